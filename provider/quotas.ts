// What AWS allows the scaler's requests: items per batch call, requests sent together, and the
// throttling buckets of each operation. The AWS Cloud sends within them; the simulated network charges
// the same figures, so both read them from here.

import { AWS_OPERATIONS } from "./operations";

/** Items per call allowed by each batch API. */
export const LIMITS = {
    describeContainerInstances: 100,
    describeTasks: 100,
    listPage: 100,
    updateContainerInstancesState: 10,
    attributes: 10,
    describeInstances: 200,
    deregisterTargets: 100,
    describeTargetHealth: 100,
    describeTargetGroups: 20,
    describeSpotInstanceRequests: 200,
    setInstanceProtection: 50,
    describeServices: 10,
    describeAlarms: 100,
    describeInstanceTypes: 100,
} as const;

/** Requests of one call sent at the same time, at most: the pacing holds them to AWS's quotas. */
export const REQUEST_CONCURRENCY = 5;

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

/**
 * AWS's buckets for the requests the scaler sends: ECS and EC2 as documented, the others assumed (and
 * marked so); each holds the operations operations.ts puts in it.
 */
export const AWS_RATE_LIMITS: RateLimit[] = ([
    { name: "ECS cluster resource read", capacity: 100, refillPerSecond: 20, source: ECS_PAGE },
    { name: "ECS cluster resource modify", capacity: 100, refillPerSecond: 40, source: ECS_PAGE },
    { name: "ECS service read", capacity: 100, refillPerSecond: 20, source: ECS_PAGE },
    { name: "ECS cluster read", capacity: 50, refillPerSecond: 20, source: ECS_PAGE },
    { name: "ECS task definition read", capacity: 50, refillPerSecond: 20, source: ECS_PAGE },
    { name: "ECS capacity provider read", capacity: 50, refillPerSecond: 20, source: ECS_PAGE },
    // EC2 throttles each action in a bucket of its own.
    { name: "EC2 DescribeInstances", capacity: 100, refillPerSecond: 20, source: EC2_PAGE },
    { name: "EC2 DescribeSpotInstanceRequests", capacity: 100, refillPerSecond: 20, source: EC2_PAGE },
    { name: "EC2 DescribeInstanceTypes", capacity: 100, refillPerSecond: 20, source: EC2_PAGE },
    { name: "Auto Scaling describe", capacity: 100, refillPerSecond: 20, source: ASSUMED },
    { name: "Auto Scaling modify", capacity: 100, refillPerSecond: 20, source: ASSUMED },
    { name: "ELB describe", capacity: 100, refillPerSecond: 20, source: ASSUMED },
    { name: "ELB modify", capacity: 100, refillPerSecond: 20, source: ASSUMED },
    { name: "CloudWatch", capacity: 100, refillPerSecond: 20, source: ASSUMED },
]).map((b) => ({ ...b, operations: AWS_OPERATIONS.filter((o) => o.bucket === b.name).map((o) => o.operation) }));

/** The share of each bucket's burst the scaler uses for itself. */
export const BURST_SHARE = 0.5;
