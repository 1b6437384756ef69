// Waiting as values: a probe answers RETRY, DONE or FAILED; the loop adds TIMEOUT. The poll
// schedule is a pure function so tests pin it; time comes from Deps.
import { Deps } from "./cloud";

export type WaitState = "RETRY" | "DONE" | "FAILED" | "TIMEOUT";

export interface ProbeResult<T> {
    state: Exclude<WaitState, "TIMEOUT">;
    value?: T;
    /** What the probe saw, for progress lines and errors. */
    detail: string;
}

export interface WaitResult<T> {
    state: Exclude<WaitState, "RETRY">;
    value?: T;
    detail: string;
    attempts: number;
}

const POLL_FIRST_MS = 5_000;
const POLL_MAX_MS = 15_000;

/**
 * Delay before poll number `attempt` (0-based): 5 s growing by half each time up to 15 s, then
 * spread by ±10% with `random` in [0, 1) so many waiters do not poll in step.
 */
export function pollDelayMs(attempt: number, random: number): number {
    const base = Math.min(POLL_MAX_MS, POLL_FIRST_MS * Math.pow(1.5, attempt));
    return Math.round(base * (0.9 + 0.2 * random));
}

/**
 * Polls `probe` until it is DONE or FAILED, or until `deadlineMs` (absolute) passes. `onDetail` is
 * called whenever the probe's detail changes, so progress shows one line per change.
 */
export async function waitFor<T>(probe: () => Promise<ProbeResult<T>>, deadlineMs: number, deps: Deps,
    onDetail?: (detail: string) => void): Promise<WaitResult<T>> {
    let last = "";
    for (let attempt = 0; ; attempt++) {
        const result = await probe();
        if (result.detail !== last) {
            last = result.detail;
            onDetail?.(result.detail);
        }
        if (result.state !== "RETRY") return { state: result.state, value: result.value, detail: result.detail, attempts: attempt + 1 };
        const left = deadlineMs - deps.now();
        if (left <= 0) return { state: "TIMEOUT", value: result.value, detail: result.detail, attempts: attempt + 1 };
        await deps.sleep(Math.min(left, pollDelayMs(attempt, deps.random())));
    }
}
