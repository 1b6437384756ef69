// The Cloud port over the simulated world, with optional seeded fault injection (throttling, 5xx
// errors and calls that never answer). Each service's calls are in the file of the service it
// stands in for (ecs.ts, autoScaling.ts, ec2.ts, elb.ts, cloudWatch.ts), as on the AWS side.
import { Cloud, Deps } from "../cloud";
import { autoScalingApi } from "./autoScaling";
import { cloudWatchApi } from "./cloudWatch";
import { ec2Api } from "./ec2";
import { ecsApi } from "./ecs";
import { elbApi } from "./elb";
import { Network, NetworkModel, Wire } from "./network";
import { seededRandom } from "./random";
import { SimState } from "./state";
import { SimWorld } from "./world";

export { STOPPED_LISTED_MS } from "./ecs";

export interface FaultConfig {
    seed: number;
    /** Share of calls answered with ThrottlingException. */
    throttleRate?: number;
    /** Share of calls answered with an HTTP 500. */
    serverErrorRate?: number;
    /** Share of calls that never answer (the caller's timeout must fire). */
    hangRate?: number;
}

export interface SimCloud extends Cloud {
    /** Requests made, by operation. */
    readonly requests: Record<string, number>;
    /** Faults injected, by kind. */
    readonly faults: Record<"throttle" | "serverError" | "hang", number>;
    /** With a network model: the AWS requests behind the calls, their latency and throttling. */
    readonly network?: Network;
}

/**
 * A Cloud acting on `world` as the scaler. With `network`, every call costs the AWS requests the AWS
 * Cloud sends for it (pages and batches, one after another), each with a latency and a token from its
 * throttling bucket, on the world's clock.
 */
export function simCloud(world: SimState, faults?: FaultConfig, network?: NetworkModel): SimCloud {
    const requests: Record<string, number> = {};
    const wire = network === undefined ? undefined : new Network(network, () => world.now, (ms) => world.clock.sleep(ms));
    const injected = { throttle: 0, serverError: 0, hang: 0 };
    const roll = faults === undefined ? () => 1 : seededRandom(faults.seed);

    /**
     * Counts the request, then maybe fails it before it reaches the world; with a network model, sends
     * the AWS requests `aws` (default: one `op`) first.
     */
    async function call<T>(op: string, body: () => T, aws?: () => Wire): Promise<T> {
        requests[op] = (requests[op] ?? 0) + 1;
        if (faults !== undefined) {
            const r = roll();
            const t = faults.throttleRate ?? 0;
            const e = t + (faults.serverErrorRate ?? 0);
            const h = e + (faults.hangRate ?? 0);
            if (r < t) {
                injected.throttle++;
                throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 }, operation: op });
            }
            if (r < e) {
                injected.serverError++;
                throw Object.assign(new Error("We encountered an internal error. Please try again."), { name: "InternalFailure", $metadata: { httpStatusCode: 500 },
                    operation: op });
            }
            if (r < h) {
                injected.hang++;
                return new Promise<T>(() => undefined);
            }
        }
        if (wire !== undefined) await wire.send(aws === undefined ? [op] : aws());
        return body();
    }

    return {
        requests,
        faults: injected,
        ...(wire === undefined ? {} : { network: wire, answered: () => wire.answered }),
        ...ecsApi(world, call),
        ...autoScalingApi(world, call),
        ...ec2Api(world, call),
        ...elbApi(world, call),
        ...cloudWatchApi(world, call),
    };
}

/** Deps on the world's virtual clock with seeded randomness. */
export function simDeps(world: SimWorld, seed = 1, log: (line: string) => void = () => undefined): Deps {
    const random = seededRandom(seed);
    return {
        now: () => world.now,
        sleep: (ms, signal) => world.clock.sleep(ms, signal),
        random,
        log,
    };
}
