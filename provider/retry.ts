// Retrying Cloud calls on throttling, 5xx and timeouts with bounded, jittered exponential backoff.
// The schedule is pure; the clock and randomness come from Deps.
import { Cloud, Deps } from "./cloud";

export const RETRY_BASE_MS = 250;
export const RETRY_CAP_MS = 20_000;
export const RETRY_MAX_ATTEMPTS = 8;
/** A single call that takes longer than this is abandoned and retried. */
export const CALL_TIMEOUT_MS = 60_000;

// Arrays, not Sets: module-level values are copied into the serialized provider, and the closure
// serializer does not carry a Set's contents over.
const THROTTLING = [
    "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "RequestThrottled", "RequestThrottledException", "SlowDown",
    "PriorRequestNotComplete", "EC2ThrottledException",
];
const TRANSIENT = ["RequestTimeout", "RequestTimeoutException", "ServiceUnavailable", "InternalFailure",
    "InternalError", "ServerException", "CallTimeout", "TimeoutError", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT",
    // Auto Scaling refuses a change while a scaling activity or another update is under way (HTTP 400).
    "ScalingActivityInProgress", "ScalingActivityInProgressFault", "ResourceContention", "ResourceContentionFault"];

/** An error from a call that may succeed when repeated: throttling, a 5xx, a timeout or a reset connection. */
export function isRetryable(error: unknown): boolean {
    if (typeof error !== "object" || error === null) return false;
    const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
    if (e.name !== undefined && (THROTTLING.includes(e.name) || TRANSIENT.includes(e.name))) return true;
    if (e.code !== undefined && TRANSIENT.includes(e.code)) return true;
    const status = e.$metadata?.httpStatusCode;
    return status !== undefined && (status >= 500 || status === 429);
}

/** Delay before retry `attempt` (1-based): full jitter over min(cap, base × 2^(attempt-1)). */
export function backoffDelayMs(attempt: number, random: number): number {
    const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, attempt - 1));
    return Math.floor(random * ceiling);
}

/** The error thrown once retries are used up; names the operation and the last AWS error. */
export interface RetriesExhaustedError extends Error {
    name: "RetriesExhaustedError";
    operation: string;
    attempts: number;
    last: unknown;
}

// A plain Error with fields, not a subclass (see scalerRunError in executor.ts).
export function retriesExhausted(operation: string, attempts: number, last: unknown): RetriesExhaustedError {
    return Object.assign(new Error(`${operation} failed after ${attempts} attempts: ${describeError(last)}`),
        { name: "RetriesExhaustedError" as const, operation, attempts, last });
}

export function describeError(error: unknown): string {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return String(error);
}

function callTimeout(operation: string): Error {
    const e = new Error(`${operation} did not answer within ${CALL_TIMEOUT_MS / 1000} s`);
    e.name = "CallTimeout";
    return e;
}

/** Runs `call`, retrying retryable errors, bounding each attempt by CALL_TIMEOUT_MS. */
export async function retrying<T>(operation: string, call: () => Promise<T>, deps: Deps): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        const abort = new AbortController();
        try {
            return await Promise.race([
                call(),
                deps.sleep(CALL_TIMEOUT_MS, abort.signal).then(() => {
                    if (!abort.signal.aborted) throw callTimeout(operation);
                    return new Promise<never>(() => undefined);
                }),
            ]);
        } catch (error) {
            if (!isRetryable(error)) throw error;
            if (attempt >= RETRY_MAX_ATTEMPTS) throw retriesExhausted(operation, attempt, error);
            await deps.sleep(backoffDelayMs(attempt, deps.random()));
        } finally {
            abort.abort();
        }
    }
}

/** A Cloud whose every method retries through {@link retrying}. */
export function withRetries(cloud: Cloud, deps: Deps): Cloud {
    const wrapped: Record<string, unknown> = {};
    for (const key of Object.keys(cloud) as (keyof Cloud)[]) {
        const method = cloud[key] as unknown as (...args: unknown[]) => Promise<unknown>;
        wrapped[key] = (...args: unknown[]) => retrying(key, () => method.apply(cloud, args), deps);
    }
    return wrapped as unknown as Cloud;
}
