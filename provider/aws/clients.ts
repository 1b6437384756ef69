// The SDK clients one AWS Cloud sends through, created when the Cloud is (never captured from module
// scope, so the provider serializes cleanly), with the request counting and client-side pacing every
// service shares, and the helpers that keep batch calls within their API limits.
import type * as ASG from "@aws-sdk/client-auto-scaling";
import type * as CW from "@aws-sdk/client-cloudwatch";
import type * as EC2 from "@aws-sdk/client-ec2";
import type * as ECS from "@aws-sdk/client-ecs";
import type * as ELB from "@aws-sdk/client-elastic-load-balancing-v2";
import { CloudTarget } from "../cloud";
import { forEachLimit } from "../limit";
import { pacer } from "../pacer";
import { AWS_RATE_LIMITS, REQUEST_CONCURRENCY } from "../quotas";

/** Added to the user agent of every request the scaler sends. */
export const SCALER_USER_AGENT = "pulumi-spot-ecs";

/** The SDK packages and a client of each, for one Region. */
export interface AwsClients {
    ecs: typeof ECS;
    asg: typeof ASG;
    ec2: typeof EC2;
    cw: typeof CW;
    elb: typeof ELB;
    ecsClient: ECS.ECSClient;
    asgClient: ASG.AutoScalingClient;
    ec2Client: EC2.EC2Client;
    cwClient: CW.CloudWatchClient;
    elbClient: ELB.ElasticLoadBalancingV2Client;
    /** Requests sent, by operation name. */
    requests: Record<string, number>;
    /** How many answers (responses or errors) AWS has given so far. */
    answered(): number;
    /** The last request sent: its operation and the endpoint it went to. */
    lastRequest(): { operation: string; endpoint: string } | undefined;
}

/** Clients in `target.region`; `requestTimeoutMs` bounds each HTTP request. Credentials come from the default chain at run time. */
export function awsClients(target: CloudTarget, options: { requestTimeoutMs?: number } = {}): AwsClients {
    const ecs: typeof ECS = require("@aws-sdk/client-ecs");
    const asg: typeof ASG = require("@aws-sdk/client-auto-scaling");
    const ec2: typeof EC2 = require("@aws-sdk/client-ec2");
    const cw: typeof CW = require("@aws-sdk/client-cloudwatch");
    const elb: typeof ELB = require("@aws-sdk/client-elastic-load-balancing-v2");

    const requests: Record<string, number> = {};
    // Each request waits for a token of its throttling bucket, so the scaler's own requests stay within AWS's quotas.
    const pace = pacer(AWS_RATE_LIMITS, () => Date.now(), (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    let answered = 0;
    let lastRequest: { operation: string; endpoint: string } | undefined;
    // Retries are ours (bounded, jittered, tested), so the SDK makes one attempt per call. The user agent
    // names the package, so its requests can be told apart in CloudTrail.
    const config = { region: target.region, maxAttempts: 1, customUserAgent: SCALER_USER_AGENT,
        ...(options.requestTimeoutMs === undefined ? {} : { requestHandler: { requestTimeout: options.requestTimeoutMs, connectionTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true } }) };
    type Request = { request?: { protocol?: string; hostname?: string; port?: number } };
    const operationOf = (context: { commandName?: string }) => (context.commandName ?? "Unknown").replace(/Command$/, "");
    const count = <C extends { middlewareStack: { add: (...a: any[]) => void } }>(client: C): C => {
        client.middlewareStack.add((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
            const op = operationOf(context);
            await pace.take(op);
            requests[op] = (requests[op] ?? 0) + 1;
            try {
                return await next(args);
            } catch (error) {
                // The AWS operation that failed, for errors that name it once retries are spent.
                if (typeof error === "object" && error !== null && !("operation" in error)) Object.assign(error, { operation: op });
                throw error;
            } finally {
                answered++;
            }
        }, { step: "initialize", name: "spotEcsRequestCounter" });
        client.middlewareStack.add((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
            const r = (args as Request).request;
            if (r?.hostname !== undefined) {
                lastRequest = { operation: operationOf(context), endpoint: `${r.protocol ?? "https:"}//${r.hostname}${r.port === undefined ? "" : `:${r.port}`}` };
            }
            return next(args);
        }, { step: "finalizeRequest", name: "spotEcsLastRequest" });
        return client;
    };
    const ecsClient = count(new ecs.ECSClient(config));
    const asgClient = count(new asg.AutoScalingClient(config));
    const ec2Client = count(new ec2.EC2Client(config));
    const cwClient = count(new cw.CloudWatchClient(config));
    const elbClient = count(new elb.ElasticLoadBalancingV2Client(config));
    return {
        ecs, asg, ec2, cw, elb, ecsClient, asgClient, ec2Client, cwClient, elbClient, requests,
        answered: () => answered,
        lastRequest: () => lastRequest,
    };
}

/** `send` for each batch of `size` among `items`, up to REQUEST_CONCURRENCY at a time; the results in the items' order. */
export async function inBatches<T, R>(items: T[], size: number, send: (batch: T[]) => Promise<R[]>): Promise<R[]> {
    const batches = chunks(items, size);
    const results: R[][] = batches.map(() => []);
    await forEachLimit(batches.map((batch, index) => ({ batch, index })), REQUEST_CONCURRENCY, async ({ batch, index }) => {
        results[index] = await send(batch);
    });
    return results.flat();
}

/** `send` for each batch of `size` among `items`, up to REQUEST_CONCURRENCY at a time. */
export async function eachBatch<T>(items: T[], size: number, send: (batch: T[]) => Promise<unknown>): Promise<void> {
    await forEachLimit(chunks(items, size), REQUEST_CONCURRENCY, async (batch) => { await send(batch); });
}

export function chunks<T>(items: T[], size: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
}
