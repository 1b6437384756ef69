// What AWS requests cost in time: a latency for every request and the token buckets AWS throttles
// them with. The simulated Cloud charges each of its calls the requests the AWS Cloud
// (provider/aws/cloud.ts) sends for it, one after another as that code sends them.
import { forEachLimit } from "../limit";
import { BucketState, Pacer, pacer, refill } from "../pacer";
import { AWS_RATE_LIMITS, LIMITS, RateLimit, REQUEST_CONCURRENCY } from "../quotas";
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
function listAndDescribe(list: string, describe: string, n: number): Wire {
    return [...Array.from({ length: pages(n, LIMITS.listPage) }, () => list), ...together(batched(describe, n, 100))];
}

/** `op`, once per batch of `size` among `n` items (none for no items). */
export function batched(op: string, n: number, size: number): string[] {
    return Array.from({ length: Math.ceil(n / size) }, () => op);
}

/**
 * The requests the AWS Cloud sends for each Cloud call, from the sizes involved (items asked about,
 * items listed, task definitions not read yet in this run, services). Pinned against the AWS Cloud on
 * moto (tests/provider/aws.test.ts).
 */
export const AWS_WIRE = {
    describeGroup: (): Wire => ["DescribeAutoScalingGroups"],
    describeInstances: (ids: number): Wire => batched("DescribeInstances", ids, LIMITS.describeInstances),
    /** The types not read yet by this Cloud, a hundred to a request. */
    instanceTypeFacts: (unread: number): Wire => batched("DescribeInstanceTypes", unread, LIMITS.describeInstanceTypes),
    listContainerInstances: (registered: number): Wire => listAndDescribe("ListContainerInstances", "DescribeContainerInstances", registered),
    describeContainerInstances: (arns: number): Wire => together(batched("DescribeContainerInstances", arns, LIMITS.describeContainerInstances)),
    /** Placement needs: each task definition not read yet in this run, and the services ten to a request. */
    needs: (newDefinitions: number, services: number): Wire => [...together(Array.from({ length: newDefinitions }, () => "DescribeTaskDefinition")),
        ...together(batched("DescribeServices", services, LIMITS.describeServices))],
    listTasks: (tasks: number, newDefinitions: number, services: number): Wire =>
        [...listAndDescribe("ListTasks", "DescribeTasks", tasks), ...AWS_WIRE.needs(newDefinitions, services)],
    /** One list per desired status: RUNNING, then STOPPED (which holds the tasks stopped within the hour too). */
    listTasksOn: (running: number, listedAsStopped: number): Wire =>
        [...listAndDescribe("ListTasks", "DescribeTasks", running), ...listAndDescribe("ListTasks", "DescribeTasks", listedAsStopped)],
    /**
     * The cluster's list of tasks desired STOPPED while it holds at most 100 per instance asked about
     * (`clusterListed`), else a list per instance (`perInstance`, what each lists) after the pages read to find out.
     */
    stoppingTasks: (instances: number, clusterListed: number, perInstance: () => number[]): Wire => {
        const cap = LIMITS.listPage * instances;
        if (instances > 1 && clusterListed <= cap) return listAndDescribe("ListTasks", "DescribeTasks", clusterListed);
        const abandoned = instances > 1 ? Math.floor(cap / LIMITS.listPage) + 1 : 0;
        return [...Array.from({ length: abandoned }, () => "ListTasks"), ...perInstance().flatMap((n) => listAndDescribe("ListTasks", "DescribeTasks", n))];
    },
    reservationMetrics: (): Wire => ["GetMetricData"],
    lastScalingActivity: (): Wire => ["DescribeScalingActivities"],
    terminationHooks: (): Wire => ["DescribeLifecycleHooks"],
    spotLaunchFailures: (): Wire => ["DescribeScalingActivities"],
    managedDrainingProviders: (): Wire => ["DescribeClusters", "DescribeAutoScalingGroups", "DescribeCapacityProviders"],
    targetStates: (ids: number): Wire => together(batched("DescribeTargetHealth", ids, LIMITS.describeTargetHealth)),
    targetGroups: (arns: number): Wire => [...batched("DescribeTargetGroups", arns, LIMITS.describeTargetGroups),
        ...Array.from({ length: arns }, () => "DescribeTargetGroupAttributes")],
    /** The services, then the task definition of each unplaced service not read yet in this run. */
    unplacedServices: (services: number, newDefinitions = 0): Wire => [...batched("ListServices", Math.max(1, services), LIMITS.listPage),
        ...together(batched("DescribeServices", services, LIMITS.describeServices)),
        ...together(Array.from({ length: newDefinitions }, () => "DescribeTaskDefinition"))],
    serviceHealth: (names: number): Wire => together(batched("DescribeServices", names, LIMITS.describeServices)),
    serviceFacts: (names: number, newDefinitions: number): Wire => [...together(batched("DescribeServices", names, LIMITS.describeServices)),
        ...together(Array.from({ length: newDefinitions }, () => "DescribeTaskDefinition"))],
    spotInterruptions: (ids: number): Wire => batched("DescribeSpotInstanceRequests", ids, LIMITS.describeSpotInstanceRequests),
    setInstanceProtection: (ids: number): Wire => batched("SetInstanceProtection", ids, LIMITS.setInstanceProtection),
    setOnDemandBase: (): Wire => ["DescribeAutoScalingGroups", "UpdateAutoScalingGroup"],
    recordTag: (removing: boolean): Wire => [removing ? "DeleteTags" : "CreateOrUpdateTags"],
    markDrain: (arns: number): Wire => together(batched("PutAttributes", arns, LIMITS.attributes)),
    /** The marks are read first: DeleteAttributes matches on the value. */
    clearDrainMark: (arns: number, marked: number): Wire => [...AWS_WIRE.describeContainerInstances(arns),
        ...together(batched("DeleteAttributes", marked, LIMITS.attributes))],
    setContainerInstanceState: (arns: number): Wire => together(batched("UpdateContainerInstancesState", arns, LIMITS.updateContainerInstancesState)),
    deregisterTargets: (ids: number): Wire => batched("DeregisterTargets", ids, LIMITS.deregisterTargets),
    registerTargets: (ids: number): Wire => batched("RegisterTargets", ids, LIMITS.deregisterTargets),
};

/** Charges requests their latency and throttles them by the model's buckets, on the caller's clock. */
export class Network {
    private readonly random: () => number;
    private readonly tokens = new Map<string, BucketState>();
    private readonly bucketOf = new Map<string, RateLimit>();
    private readonly pacer: Pacer | undefined;
    /** Requests sent, by operation. */
    readonly requests: Record<string, number> = {};
    /** Answers received so far (throttling errors included). */
    answered = 0;
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
        const b = this.tokens.get(spec.name) ?? { tokens: spec.capacity, at: this.now() };
        this.tokens.set(spec.name, b);
        if (refill(b, spec.capacity, spec.refillPerSecond, this.now()) < 1) return false;
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
        this.answered++;
        if (!admitted) {
            this.throttled[op] = (this.throttled[op] ?? 0) + 1;
            throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
        }
    }
}
