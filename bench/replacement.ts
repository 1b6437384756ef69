// Fleet replacement after a launch template change, on the simulated cluster (virtual time):
// the scaler with full and 10% surge, against one-at-a-time draining and an ASG instance refresh.
import { SimCloud } from "../provider/sim/cloud";
import { buildCluster, newLaunchTemplateVersion, simReconcile, simSettings } from "../provider/sim/scenario";
import { SimTimings, SimWorld } from "../provider/sim/world";
import { describeNetwork, NetworkModel } from "../provider/sim/network";

export const BENCH_TIMINGS: SimTimings = {
    bootSeconds: 90,
    deregistrationDelaySeconds: 300,
    taskStopSeconds: 30,
    taskStartSeconds: 15,
    spotNoticeSeconds: 120,
    tickSeconds: 5,
};

export interface ReplacementRow {
    instances: number;
    surgePercent: number;
    seconds: number;
    lowerBoundSeconds: number;
    /**
     * What the simulated cluster can physically reach: boot and registration, then the drain, in which
     * the target's deregistration delay and the task move run at the same time.
     */
    physicalBoundSeconds: number;
    /** The latency and throttling model of the simulated AWS calls: "none" (every call is instant), or the model used. */
    latency: string;
    /** With a latency model: the AWS requests the scaler sent, and how many AWS refused (throttled). */
    awsRequests?: number;
    throttled?: number;
    /** Instances replaced (all of them, except where the run's deadline came first). */
    replaced: number;
    /** The package's draining defaults (batch 1, min healthy 100%, a one-hour deadline) instead of the bench's settings. */
    defaults?: true;
    /** The comparisons (left out of the rows with latency: the operator's calls there are not simulated requests). */
    oneAtATimeSeconds?: number;
    instanceRefreshSeconds?: number;
    tasksLost: number;
    minHealthyViolations: number;
}

const TASKS_PER_INSTANCE = 8;

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** A fleet of `n` instances, 8 service tasks each (services of 40 at min healthy 50%, max 200%), one target group. */
function fleet(n: number, maxSize: number, timings: SimTimings): SimWorld {
    const tasks = n * TASKS_PER_INSTANCE;
    const services = Array.from({ length: Math.ceil(tasks / 40) }, (_, i) => ({
        name: `svc-${i + 1}`, count: Math.min(40, tasks - i * 40), cpu: 180, memory: 512, minHealthyPercent: 50, maxPercent: 200,
    }));
    const world = buildCluster({ instances: n, maxSize, minSize: 1, targetGroups: 1, services, timings });
    world.clock.advance(6 * 60_000);
    newLaunchTemplateVersion(world);
    return world;
}

/** The one-wave bound as first defined: boot, then the deregistration delay, then one task move. */
export function lowerBoundSeconds(t: SimTimings): number {
    return t.bootSeconds + t.deregistrationDelaySeconds + t.taskStartSeconds + t.taskStopSeconds;
}

/**
 * Boot (of the slowest instance), then a drain in which the deregistration delay and the task move
 * (stop, then start elsewhere) overlap.
 */
export function physicalBoundSeconds(t: SimTimings): number {
    return t.bootSeconds + (t.bootSpreadSeconds ?? 0) + Math.max(t.deregistrationDelaySeconds, t.taskStopSeconds + t.taskStartSeconds);
}

function activeCount(world: SimWorld): number {
    return world.liveInstances().filter((i) => i.container?.status === "ACTIVE").length;
}

async function until(world: SimWorld, condition: () => boolean): Promise<void> {
    while (!condition()) await world.clock.sleep(5000);
}

/** Drains `ids` together (DRAINING, targets deregistered), then terminates each once empty; the group replaces them. */
async function drainAndReplace(world: SimWorld, ids: string[], fleetSize: number): Promise<void> {
    const tg = world.group.targetGroupArns;
    for (const id of ids) {
        const inst = world.instances.get(id)!;
        world.setContainerStatus(inst.container!.arn, "DRAINING", "operator");
        for (const arn of tg) world.deregisterTarget(arn, id, "operator");
    }
    await until(world, () => ids.every((id) => world.tasksOn(id).length === 0 && tg.every((arn) => !world.targetGroups.get(arn)!.has(id))));
    for (const id of ids) {
        world.deregisterContainer(world.instances.get(id)!.container!.arn, "operator");
        world.terminateInGroup(id, false, "operator");
    }
    await until(world, () => activeCount(world) >= fleetSize);
}

/** What a naive drainer does: one instance at a time, waiting for its replacement before the next. */
export async function oneAtATime(n: number, timings = BENCH_TIMINGS): Promise<number> {
    const world = fleet(n, n, timings);
    const start = world.now;
    const old = world.liveInstances().map((i) => i.id);
    await world.clock.run((async () => {
        for (const id of old) await drainAndReplace(world, [id], n);
    })());
    return (world.now - start) / 1000;
}

/** An ASG instance refresh at 90% min healthy that drains each batch (terminate first, then launch). */
export async function instanceRefresh(n: number, timings = BENCH_TIMINGS): Promise<number> {
    const world = fleet(n, n, timings);
    const start = world.now;
    const old = world.liveInstances().map((i) => i.id);
    const batch = Math.max(1, n - Math.ceil(n * 0.9));
    await world.clock.run((async () => {
        for (let i = 0; i < old.length; i += batch) await drainAndReplace(world, old.slice(i, i + batch), n);
    })());
    return (world.now - start) / 1000;
}

/**
 * The scaler replacing the fleet with `surgePercent` of room above it: with the bench's settings (every
 * instance in one batch, a day's deadline), or with the package's draining defaults.
 */
export async function scalerReplacement(n: number, surgePercent: number, timings = BENCH_TIMINGS, defaults = false, network?: NetworkModel) {
    const world = fleet(n, n + Math.ceil(n * surgePercent / 100), timings);
    const start = world.now;
    const run = simReconcile(world, simSettings(world, {
        targetGroupArns: world.group.targetGroupArns,
        launchTemplateVersion: world.group.launchTemplateVersion,
        ...(defaults ? {} : { draining: { batchSize: Math.min(1000, n), minHealthyPercent: 100, maxUpdateSeconds: 86400 } }),
    }), network === undefined ? {} : { network });
    // With the defaults the run may stop at its deadline, leaving the rest to the next run.
    const cloud = await run.then((r) => r.cloud, (error) => { if (!defaults) throw error; return (error as { cloud?: SimCloud }).cloud; });
    // Replaced: the original instances that are gone (new ones launched for the surge do not count).
    const replaced = n - world.liveInstances().filter((i) => i.ltVersion !== world.group.launchTemplateVersion).length;
    if (!defaults && replaced < n) throw new Error(`replacement of ${n} at ${surgePercent}% surge left old instances`);
    const wire = cloud?.network;
    return { seconds: (world.now - start) / 1000, replaced, tasksLost: world.killedTasks().length, minHealthyViolations: world.violations.length,
        ...(wire === undefined ? {} : { awsRequests: sum(wire.requests), throttled: sum(wire.throttled) }) };
}

/** Timings of the rows with latency: boot and registration take 90 to 120 s, different for each instance. */
export const LATENCY_TIMINGS: SimTimings = { ...BENCH_TIMINGS, bootSpreadSeconds: 30 };

/**
 * Full-surge replacement with every AWS request charged a latency and paced and throttled by AWS's
 * token buckets (`network`), and boot times that vary per instance.
 */
export async function latencyRows(sizes: number[], network: NetworkModel, timings = LATENCY_TIMINGS): Promise<ReplacementRow[]> {
    const rows: ReplacementRow[] = [];
    for (const n of sizes) {
        const r = await scalerReplacement(n, 100, timings, false, network);
        rows.push({ instances: n, surgePercent: 100, seconds: r.seconds, lowerBoundSeconds: lowerBoundSeconds(timings),
            physicalBoundSeconds: physicalBoundSeconds(timings), latency: describeNetwork(network), awsRequests: r.awsRequests, throttled: r.throttled,
            replaced: r.replaced, tasksLost: r.tasksLost, minHealthyViolations: r.minHealthyViolations });
    }
    return rows;
}

export async function replacementRows(sizes: number[], surges = [100, 10], timings = BENCH_TIMINGS, defaultsAt?: number): Promise<ReplacementRow[]> {
    const rows: ReplacementRow[] = [];
    const bounds = { lowerBoundSeconds: lowerBoundSeconds(timings), physicalBoundSeconds: physicalBoundSeconds(timings), latency: "none" as const };
    for (const n of sizes) {
        const oneAtATimeSeconds = await oneAtATime(n, timings);
        const instanceRefreshSeconds = await instanceRefresh(n, timings);
        for (const surgePercent of surges) {
            const r = await scalerReplacement(n, surgePercent, timings);
            rows.push({ instances: n, surgePercent, seconds: r.seconds, ...bounds, replaced: r.replaced,
                oneAtATimeSeconds, instanceRefreshSeconds, tasksLost: r.tasksLost, minHealthyViolations: r.minHealthyViolations });
        }
    }
    if (defaultsAt !== undefined) {
        const r = await scalerReplacement(defaultsAt, 100, timings, true);
        rows.push({ instances: defaultsAt, surgePercent: 100, seconds: r.seconds, ...bounds, replaced: r.replaced, defaults: true,
            oneAtATimeSeconds: await oneAtATime(defaultsAt, timings), instanceRefreshSeconds: await instanceRefresh(defaultsAt, timings),
            tasksLost: r.tasksLost, minHealthyViolations: r.minHealthyViolations });
    }
    return rows;
}
