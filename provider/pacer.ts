// Pacing requests to AWS's throttling quotas on the client side: each request waits for a token of
// its category's bucket, so the scaler's own requests stay within the quotas AWS documents instead of
// being refused and retried. The buckets are shared by all of an account's clients in a Region, so
// the scaler keeps to half of each burst and leaves the rest to others.

/** A token bucket as AWS documents it: `capacity` at once (the burst), refilled at `refillPerSecond` (the sustained rate). */
export interface RateLimit {
    name: string;
    capacity: number;
    refillPerSecond: number;
    operations: string[];
    /** Where the figures come from. */
    source: string;
}

const ECS_PAGE = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html";
const EC2_PAGE = "https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html";
const ASSUMED = "assumed: this service publishes no per-action rates; the EC2 non-mutating figures are used";

/** AWS's buckets for the requests the scaler sends: ECS and EC2 as documented, the others assumed (and marked so). */
export const AWS_RATE_LIMITS: RateLimit[] = [
    { name: "ECS cluster resource read", capacity: 100, refillPerSecond: 20, source: ECS_PAGE,
        operations: ["DescribeContainerInstances", "DescribeTasks", "ListContainerInstances", "ListTasks"] },
    { name: "ECS cluster resource modify", capacity: 100, refillPerSecond: 40, source: ECS_PAGE,
        operations: ["DeleteAttributes", "DeregisterContainerInstance", "PutAttributes", "StopTask", "UpdateContainerInstancesState"] },
    { name: "ECS service read", capacity: 100, refillPerSecond: 20, source: ECS_PAGE, operations: ["DescribeServices", "ListServices"] },
    { name: "ECS cluster read", capacity: 50, refillPerSecond: 20, source: ECS_PAGE, operations: ["DescribeClusters"] },
    { name: "ECS task definition read", capacity: 50, refillPerSecond: 20, source: ECS_PAGE, operations: ["DescribeTaskDefinition"] },
    { name: "ECS capacity provider read", capacity: 50, refillPerSecond: 20, source: ECS_PAGE, operations: ["DescribeCapacityProviders"] },
    // EC2 throttles each action in a bucket of its own.
    { name: "EC2 DescribeInstances", capacity: 100, refillPerSecond: 20, source: EC2_PAGE, operations: ["DescribeInstances"] },
    { name: "EC2 DescribeSpotInstanceRequests", capacity: 100, refillPerSecond: 20, source: EC2_PAGE, operations: ["DescribeSpotInstanceRequests"] },
    { name: "Auto Scaling describe", capacity: 100, refillPerSecond: 20, source: ASSUMED,
        operations: ["DescribeAutoScalingGroups", "DescribeScalingActivities"] },
    { name: "Auto Scaling modify", capacity: 100, refillPerSecond: 20, source: ASSUMED,
        operations: ["SetDesiredCapacity", "SetInstanceProtection", "TerminateInstanceInAutoScalingGroup", "UpdateAutoScalingGroup",
            "CreateOrUpdateTags", "DeleteTags"] },
    { name: "ELB describe", capacity: 100, refillPerSecond: 20, source: ASSUMED,
        operations: ["DescribeTargetHealth", "DescribeTargetGroups", "DescribeTargetGroupAttributes"] },
    { name: "ELB modify", capacity: 100, refillPerSecond: 20, source: ASSUMED, operations: ["DeregisterTargets", "RegisterTargets"] },
    { name: "CloudWatch", capacity: 100, refillPerSecond: 20, source: ASSUMED, operations: ["GetMetricData", "PutMetricData"] },
];

/** The share of each bucket's burst the scaler uses for itself. */
export const BURST_SHARE = 0.5;

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
