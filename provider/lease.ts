// One actor at a time on a cluster: a lease taken with an atomic conditional write, with an expiry so
// that a holder that crashed cannot block the others for longer than it said it would act. The
// runner, `pulumi up` and `spot-ecs run` take it before they act; previews and `spot-ecs plan` only
// read it. The lease store also keeps the runner's last outcome, for the preview to show.

/** Who holds a cluster's lease, since when and until when (epoch ms). */
export interface LeaseHolder {
    holder: string;
    since: number;
    expiresAt: number;
}

/** What the runner's last invocation did, as the preview shows it. */
export interface RunnerRecord {
    /** Epoch ms the invocation began. */
    at: number;
    outcome: RunnerOutcome;
    /** One line: what it did, or why it did nothing. */
    summary: string;
}

export const RUNNER_OUTCOMES = ["acted", "nothing-to-do", "skipped", "failed", "invalid-settings"] as const;
export type RunnerOutcome = (typeof RUNNER_OUTCOMES)[number];

export type Acquired = { taken: true } | { taken: false; by: LeaseHolder };

/** The lease of one cluster. */
export interface Lease {
    /** The table (or store) it lives in, for messages. */
    readonly where: string;
    /** Takes the lease for `holder` until `nowMs + ttlMs` when it is free, expired or already `holder`'s. */
    acquire(holder: string, nowMs: number, ttlMs: number): Promise<Acquired>;
    /** Gives the lease up if `holder` still holds it. */
    release(holder: string): Promise<void>;
    /** The holder, if the lease is held and not expired at `nowMs`. */
    current(nowMs: number): Promise<LeaseHolder | undefined>;
    recordRun(record: RunnerRecord): Promise<void>;
    lastRun(): Promise<RunnerRecord | undefined>;
}

/** A lease kept in memory: the simulator's, and the tests'. Its writes are atomic as DynamoDB's conditional ones are. */
export function memoryLease(where = "memory"): Lease & { holderNow(): LeaseHolder | undefined } {
    let held: LeaseHolder | undefined;
    let last: RunnerRecord | undefined;
    return {
        where,
        holderNow: () => held,
        async acquire(holder, nowMs, ttlMs) {
            if (held !== undefined && held.expiresAt > nowMs && held.holder !== holder) return { taken: false, by: { ...held } };
            held = { holder, since: held?.holder === holder ? held.since : nowMs, expiresAt: nowMs + ttlMs };
            return { taken: true };
        },
        async release(holder) {
            if (held?.holder === holder) held = undefined;
        },
        async current(nowMs) {
            return held !== undefined && held.expiresAt > nowMs ? { ...held } : undefined;
        },
        async recordRun(record) {
            last = { ...record };
        },
        async lastRun() {
            return last === undefined ? undefined : { ...last };
        },
    };
}

/** How often a waiting actor looks at the lease again. */
export const LEASE_WAIT_POLL_MS = 10_000;

/** Lease time beyond the end of its holder's bounded work, for the lease write and release themselves. */
export const LEASE_MARGIN_MS = 60_000;

/**
 * How long an acting door waits for the lease: a runner step lasts at most its 900-second Lambda limit,
 * and another door at most its own update deadline; past that the holder is named in the error.
 */
export function upLeaseWaitMs(maxUpdateSeconds: number): number {
    return (Math.min(900, maxUpdateSeconds) + 60) * 1000;
}

/** How an actor names itself in the lease: what it is and its process (no credential, nothing from the environment). */
export function leaseHolderName(what: string): string {
    return `${what} (pid ${process.pid})`;
}

/** How long to wait for a lease another actor holds, and how to say so. */
export interface LeaseWait {
    /** Give up after this many ms. */
    waitMs: number;
    /** Look again after this many ms. */
    pollMs: number;
    now(): number;
    sleep(ms: number): Promise<void>;
    log(line: string): void;
}

/**
 * Takes the lease, waiting up to `wait.waitMs` while another actor holds it and saying so; throws an
 * error naming the holder when it is still held then.
 */
export async function acquireWaiting(lease: Lease, holder: string, ttlMs: number, wait: LeaseWait): Promise<void> {
    const until = wait.now() + wait.waitMs;
    for (;;) {
        const r = await lease.acquire(holder, wait.now(), ttlMs);
        if (r.taken) return;
        const left = until - wait.now();
        if (left <= 0) {
            throw new Error(`the cluster's lease (${lease.where}) is held by ${r.by.holder} since ${iso(r.by.since)}, until ${iso(r.by.expiresAt)}; `
                + `waited ${Math.round(wait.waitMs / 1000)} s. Run again once it is free; a holder that stopped lets go at that time by itself`);
        }
        wait.log(`waiting for the cluster's lease (${lease.where}): held by ${r.by.holder} until ${iso(r.by.expiresAt)}, ${Math.ceil(left / 1000)} s more at most`);
        await wait.sleep(Math.min(wait.pollMs, left));
    }
}

/**
 * Runs `act` holding the cluster's lease (or without one when `lease` is undefined), as `pulumi up` and
 * `spot-ecs run --yes` do: waits for it (see {@link upLeaseWaitMs}), holds it for the whole update
 * (`maxUpdateSeconds`), and gives it back however `act` ends.
 */
export async function underLease<T>(lease: Lease | undefined, what: string, maxUpdateSeconds: number,
    clock: Pick<LeaseWait, "now" | "sleep" | "log">, act: () => Promise<T>): Promise<T> {
    if (lease === undefined) return act();
    const holder = leaseHolderName(what);
    await acquireWaiting(lease, holder, maxUpdateSeconds * 1000 + LEASE_MARGIN_MS,
        { waitMs: upLeaseWaitMs(maxUpdateSeconds), pollMs: LEASE_WAIT_POLL_MS, ...clock });
    try {
        return await act();
    } finally {
        await lease.release(holder);
    }
}

function iso(ms: number): string {
    return new Date(ms).toISOString();
}
