// Retrying Cloud calls on throttling, 5xx and timeouts with bounded, jittered exponential backoff.
// The schedule is pure; the clock and randomness come from Deps.
import { Cloud, Deps } from "./cloud";

const RETRY_BASE_MS = 250;
const RETRY_CAP_MS = 20_000;
export const RETRY_MAX_ATTEMPTS = 8;
/**
 * A call that gets no answer from AWS for this long is abandoned and retried. A call that reads many
 * pages may take longer in all, as long as answers keep coming.
 */
const CALL_TIMEOUT_MS = 60_000;

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
    /** The AWS operation that failed, or the scaler's step when the error does not say. */
    operation: string;
    attempts: number;
    last: unknown;
}

/**
 * The error once retries of `step` are spent. It names the AWS operation that failed when the error
 * says which (the AWS Cloud marks each error with its operation), and the scaler's step with it.
 */
// A plain Error with fields, not a subclass (see scalerRunError in run.ts).
function retriesExhausted(step: string, attempts: number, last: unknown): RetriesExhaustedError {
    const failed = typeof last === "object" && last !== null ? (last as { operation?: unknown }).operation : undefined;
    const operation = typeof failed === "string" && failed !== step ? failed : undefined;
    const message = operation === undefined ? `${step} failed after ${attempts} attempts: ${describeError(last)}`
        : `${operation} failed after ${attempts} attempts (${step}): ${describeError(last)}`;
    return Object.assign(new Error(message), { name: "RetriesExhaustedError" as const, operation: operation ?? step, attempts, last });
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

/** How often a call that counts answers is looked at: it is abandoned this close to a call timeout after its last answer. */
const STALL_CHECK_MS = 10_000;

/**
 * Rejects once CALL_TIMEOUT_MS passes with no new answer (`answered` counts the answers so far; without
 * it, once CALL_TIMEOUT_MS passes); never settles once `signal` aborts.
 */
async function stalled(operation: string, deps: Deps, signal: AbortSignal, answered?: () => number): Promise<never> {
    let seen = answered?.();
    let lastAnswerMs = deps.now();
    for (;;) {
        // A signal of its own for each wait: waits on the caller's signal would each leave a listener on it.
        const wait = new AbortController();
        const stop = () => wait.abort();
        signal.addEventListener("abort", stop, { once: true });
        try {
            await deps.sleep(answered === undefined ? CALL_TIMEOUT_MS : Math.min(STALL_CHECK_MS, lastAnswerMs + CALL_TIMEOUT_MS - deps.now()), wait.signal);
        } finally {
            signal.removeEventListener("abort", stop);
        }
        if (signal.aborted) return new Promise<never>(() => undefined);
        const now = answered?.();
        if (now !== undefined && now !== seen) {
            seen = now;
            lastAnswerMs = deps.now();
        } else if (deps.now() - lastAnswerMs >= CALL_TIMEOUT_MS) {
            throw callTimeout(operation);
        }
    }
}

/**
 * Runs `call`, retrying retryable errors, abandoning an attempt that gets no answer for
 * CALL_TIMEOUT_MS (`answered`: how many answers the Cloud has had so far).
 */
export async function retrying<T>(operation: string, call: () => Promise<T>, deps: Deps, answered?: () => number): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        const abort = new AbortController();
        try {
            return await Promise.race([call(), stalled(operation, deps, abort.signal, answered)]);
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
    const answered = cloud.answered === undefined ? undefined : () => cloud.answered!();
    for (const key of Object.keys(cloud) as (keyof Cloud)[]) {
        const method = cloud[key] as unknown as (...args: unknown[]) => Promise<unknown>;
        wrapped[key] = key === "answered" ? method : (...args: unknown[]) => retrying(key, () => method.apply(cloud, args), deps, answered);
    }
    return wrapped as unknown as Cloud;
}
