// What AWS requests cost in time: a latency for every request and the token buckets AWS throttles
// them with. The simulated Cloud charges each of its calls the requests the AWS Cloud
// (provider/aws/cloud.ts) sends for it, one after another as that code sends them.
import { LIMITS, REQUEST_CONCURRENCY } from "../aws/cloud";
import { forEachLimit } from "../limit";
import { AWS_RATE_LIMITS, Pacer, pacer, RateLimit } from "../pacer";
import { seededRandom } from "./random";

export interface NetworkModel {
    /** Seed of the latency draws. */
    seed: number;
    /** Median latency of one request, in ms; latencies are log-normal around it. */
    medianMs: number;
    /** Spread of the log-normal (its sigma): 0.5 puts the 99th percentile at 3.2 × the median. */
    sigma: number;
    /** AWS's token buckets, per account and Region; an operation in none is not throttled. */
    buckets: RateLimit[];
    /** Whether the client paces itself to the buckets, as the AWS Cloud does. @default true */
    pace?: boolean;
}

/**
 * The latency and throttling the bench's rows "with latency" use. No AWS page gives a per-request
 * latency; 100 ms median (p99 about 320 ms) is an assumption, slower than a typical in-Region call.
 */
export const AWS_NETWORK: NetworkModel = { seed: 1, medianMs: 100, sigma: 0.5, buckets: AWS_RATE_LIMITS };

/** One line naming the model, for results and tables. */
export function describeNetwork(m: NetworkModel): string {
    return `log-normal latency, median ${m.medianMs} ms, sigma ${m.sigma}; AWS token buckets (ECS and EC2 as documented, others assumed)`;
}

/** `n` items read with `size` to a request: how many requests (at least one). */
function pages(n: number, size: number): number {
    return Math.max(1, Math.ceil(n / size));
}

/**
 * The requests of one Cloud call in the order the AWS Cloud sends them: a name is one request after
 * the one before; a list of names is requests sent together, REQUEST_CONCURRENCY at a time.
 */
export type Wire = (string | string[])[];

/** Requests sent together (nothing for none). */
export function together(ops: string[]): Wire {
    return ops.length === 0 ? [] : [ops];
}

/** A paged list of `n` items, its pages one after another, then their descriptions (100 to a request) together. */
export function listAndDescribe(list: string, describe: string, n: number): Wire {
    return [...Array.from({ length: pages(n, LIMITS.listPage) }, () => list), ...together(batched(describe, n, 100))];
}

/** `op`, once per batch of `size` among `n` items (none for no items). */
export function batched(op: string, n: number, size: number): string[] {
    return Array.from({ length: Math.ceil(n / size) }, () => op);
}

/** Charges requests their latency and throttles them by the model's buckets, on the caller's clock. */
export class Network {
    private readonly random: () => number;
    private readonly tokens = new Map<string, { tokens: number; at: number }>();
    private readonly bucketOf = new Map<string, RateLimit>();
    private readonly pacer: Pacer | undefined;
    /** Requests sent, by operation. */
    readonly requests: Record<string, number> = {};
    /** Requests AWS would have refused for want of a token, by operation. */
    readonly throttled: Record<string, number> = {};

    constructor(readonly model: NetworkModel, private readonly now: () => number, private readonly sleep: (ms: number) => Promise<void>) {
        this.random = seededRandom(model.seed);
        for (const b of model.buckets) for (const op of b.operations) this.bucketOf.set(op, b);
        this.pacer = model.pace === false ? undefined : pacer(model.buckets, now, sleep);
    }

    /** A latency draw, in ms: exp(N(ln median, sigma)) by Box-Muller. */
    latencyMs(): number {
        const u = Math.max(this.random(), 1e-12);
        const v = this.random();
        const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
        return this.model.medianMs * Math.exp(this.model.sigma * z);
    }

    /** Whether the bucket of `op` has a token now (taking it), refilled for the time since it was last looked at. */
    private take(op: string): boolean {
        const spec = this.bucketOf.get(op);
        if (spec === undefined) return true;
        const now = this.now();
        const b = this.tokens.get(spec.name) ?? { tokens: spec.capacity, at: now };
        b.tokens = Math.min(spec.capacity, b.tokens + (now - b.at) / 1000 * spec.refillPerSecond);
        b.at = now;
        this.tokens.set(spec.name, b);
        if (b.tokens < 1) return false;
        b.tokens -= 1;
        return true;
    }

    /**
     * Sends the requests of `wire` as the AWS Cloud does, each once the client's pacer lets it go;
     * throws ThrottlingException (after that request's latency) at the first one AWS refuses.
     */
    async send(wire: Wire): Promise<void> {
        for (const step of wire) {
            if (typeof step === "string") await this.one(step);
            else await forEachLimit(step, REQUEST_CONCURRENCY, (op) => this.one(op));
        }
    }

    private async one(op: string): Promise<void> {
        await this.pacer?.take(op);
        this.requests[op] = (this.requests[op] ?? 0) + 1;
        const admitted = this.take(op);
        await this.sleep(this.latencyMs());
        if (!admitted) {
            this.throttled[op] = (this.throttled[op] ?? 0) + 1;
            throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
        }
    }
}
