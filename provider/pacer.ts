// Pacing requests to AWS's throttling quotas on the client side: each request waits for a token of
// its category's bucket, so the scaler's own requests stay within the quotas AWS documents instead of
// being refused and retried. The buckets are shared by all of an account's clients in a Region, so
// the scaler keeps to half of each burst and leaves the rest to others.

import { BURST_SHARE, RateLimit } from "./quotas";

/** A token bucket's tokens when it was last looked at (below zero: requests already waiting for tokens). */
export interface BucketState {
    tokens: number;
    at: number;
}

/** Refills `b` at `refillPerSecond` for the time since it was last looked at, up to `capacity`; returns its tokens. */
export function refill(b: BucketState, capacity: number, refillPerSecond: number, now: number): number {
    b.tokens = Math.min(capacity, b.tokens + (now - b.at) / 1000 * refillPerSecond);
    b.at = now;
    return b.tokens;
}

export interface Pacer {
    /** Waits until a request of `op` may be sent, taking its token. Requests of one bucket go in the order they asked. */
    take(op: string): Promise<void>;
}

/** A pacer over `limits`, on the given clock (the real one, or the simulator's). */
export function pacer(limits: RateLimit[], now: () => number, sleep: (ms: number) => Promise<void>, burstShare = BURST_SHARE): Pacer {
    const bucketOf: Record<string, { limit: RateLimit; tokens: number; at: number }> = {};
    for (const limit of limits) {
        const bucket = { limit, tokens: limit.capacity * burstShare, at: now() };
        for (const op of limit.operations) bucketOf[op] = bucket;
    }
    return {
        async take(op) {
            const b = bucketOf[op];
            if (b === undefined) return;
            refill(b, b.limit.capacity * burstShare, b.limit.refillPerSecond, now());
            // Tokens below zero are requests already waiting: this one waits for them and for its own.
            b.tokens -= 1;
            if (b.tokens < 0) await sleep(-b.tokens / b.limit.refillPerSecond * 1000);
        },
    };
}
