// Capacity following demand: a seeded 24-hour trace replayed on the simulated cluster, with the
// scaler reconciling every 10 minutes and the scale-out alarms acting in between; against a cluster
// fixed at the peak and against plain threshold step scaling that scales in without draining.
import { simReconcile, simSettings, buildCluster } from "../provider/sim/scenario";
import { seededRandom } from "../provider/sim/random";
import { SimWorld } from "../provider/sim/world";
import { BENCH_TIMINGS } from "./replacement";
import { memoryLease } from "../provider/lease";
import { runnerStep } from "../provider/runner";
import { DEFAULT_SCALING, RUNNER_ACTIONS, RunnerSettings, ScalingPolicy } from "../provider/settings";
import { simCloud, simDeps } from "../provider/sim/cloud";

/** The runner as the component deploys it by default. */
const RUNNER_DEFAULTS: RunnerSettings = { functionName: "trace-spot-ecs-runner", schedule: "rate(1 minute)", actions: [...RUNNER_ACTIONS] };


const MINUTE = 60_000;
/** Each task reserves 256 CPU units and 512 MiB: eight fill an m6i.large's CPU. */
const TASK = { cpu: 256, memory: 512 };
const TASKS_PER_INSTANCE = 8;

export interface TraceResult {
    instanceHours: number;
    pendingMinutes: number;
    peakPending: number;
    tasksKilled: number;
    /** Instance-hours of On-Demand instances. */
    onDemandInstanceHours?: number;
    /** Reconciles that stopped with an error (the scaler only). */
    reconcileFailures?: number;
}

/** The demand shapes of the bench: the base day, and three more for consolidation not to be tuned to one. */
export const DEMAND_SHAPES = ["day", "twoPeaks", "flashSale", "rampPlateau"] as const;
export type DemandShape = (typeof DEMAND_SHAPES)[number];

/** What each shape is, for the report. */
export const SHAPE_TEXT: Record<DemandShape, string> = {
    day: "~30 tasks at night, ~90 from noon, spikes of +110 at 10:00 (30 min) and +90 at 15:00 (20 min)",
    twoPeaks: "~20 tasks at night, peaks of ~100 at 09:00 and ~120 at 20:00, each rising and falling over 3 hours",
    flashSale: "~40 tasks all day, 200 from 14:00 to 14:45 (reached within 2 minutes)",
    rampPlateau: "~10 tasks at midnight rising evenly to ~150 by 10:00, a plateau until 18:00, then ~10 again by 20:00",
};

/** Tasks wanted at hour `h` (0-24) of each shape, before noise. */
function shapeAt(shape: DemandShape, h: number): number {
    const bump = (center: number, halfWidth: number, height: number) => Math.max(0, 1 - Math.abs(h - center) / halfWidth) * height;
    switch (shape) {
    case "day": {
        let base: number;
        if (h < 6) base = 30;
        else if (h < 12) base = 30 + (h - 6) / 6 * 60;
        else if (h < 18) base = 90;
        else base = 90 - (h - 18) / 6 * 60;
        if (h >= 10 && h < 10.5) base += 110;
        if (h >= 15 && h < 15 + 20 / 60) base += 90;
        return base;
    }
    case "twoPeaks":
        return 20 + bump(9, 3, 80) + bump(20, 3, 100);
    case "flashSale":
        return h >= 14 && h < 14.75 ? 40 + Math.min(1, (h - 14) * 30) * 160 : 40;
    case "rampPlateau":
        return h < 10 ? 10 + h / 10 * 140 : h < 18 ? 150 : h < 20 ? 150 - (h - 18) / 2 * 140 : 10;
    }
}

/**
 * Tasks wanted at each minute of a day of `shape` (by default the base day: ~30 at night, rising to
 * ~90 by noon, flat in the afternoon, a slow decline from 18:00 to midnight, two sharp spikes at 10:00
 * for 30 min and 15:00 for 20 min), with ±5% seeded noise.
 */
export function demandTrace(seed = 42, minutes = 1440, shape: DemandShape = "day"): number[] {
    const random = seededRandom(seed);
    const out: number[] = [];
    for (let m = 0; m < minutes; m++) {
        out.push(Math.max(1, Math.round(shapeAt(shape, m / 60) * (0.95 + 0.1 * random()))));
    }
    return out;
}

export type Strategy = "ours" | "fixedPeak" | "stepScaling";

function instancesFor(tasks: number): number {
    return Math.ceil(tasks / TASKS_PER_INSTANCE);
}

/** The packing floor: instance-hours when each minute runs exactly the instances its tasks need. */
export function packingFloor(trace: number[]): number {
    return Math.round(trace.reduce((sum, tasks) => sum + instancesFor(tasks), 0) / 60 * 10) / 10;
}

/** Minute-by-minute bookkeeping and the demand itself, as tick hooks. */
function instrument(world: SimWorld, trace: number[], start: number): { result: () => TraceResult } {
    let instanceSeconds = 0;
    let onDemandSeconds = 0;
    let pendingMinutes = 0;
    let peakPending = 0;
    const tick = world.timings.tickSeconds;
    world.tickHooks.push((w) => {
        const live = w.liveInstances();
        instanceSeconds += live.length * tick;
        onDemandSeconds += live.filter((i) => i.lifecycle === "on-demand").length * tick;
        const elapsed = w.now - start;
        if (elapsed % MINUTE === 0) {
            const minute = Math.min(trace.length - 1, elapsed / MINUTE);
            w.setServiceDesired("app", trace[minute]);
            if (w.unplaceable > 0) pendingMinutes++;
            peakPending = Math.max(peakPending, w.unplaceable);
        }
    });
    return {
        result: () => ({
            instanceHours: Math.round(instanceSeconds / 3600 * 10) / 10,
            pendingMinutes,
            peakPending,
            tasksKilled: world.killedTasks().length,
            onDemandInstanceHours: Math.round(onDemandSeconds / 3600 * 10) / 10,
        }),
    };
}

function lastPoints(world: SimWorld, metric: "cpu" | "memory", n: number): number[] {
    return world.metrics[metric].slice(-n).map((p) => p.value);
}

/**
 * Plain threshold step scaling as it is commonly set up: out above 75% and in below 40%, either
 * reservation, over 5 minutes, one instance at a time, 300 s apart.
 */
export const STEP_SCALING = Object.freeze({ cpuHighPercent: 75, memoryHighPercent: 75, cpuLowPercent: 40, memoryLowPercent: 40,
    evaluationMinutes: 5, scaleOutStep: 1, cooldownSeconds: 300 });

/** The high thresholds, window and step a scale-out alarm acts on. */
type AlarmSettings = Pick<ScalingPolicy, "cpuHighPercent" | "memoryHighPercent" | "evaluationMinutes" | "scaleOutStep">;

/**
 * The step scaling policy the high alarms drive: add `scaleOutStep` when CPU or memory reservation
 * stayed above the high threshold for the evaluation window and nothing is still launching.
 */
function scaleOutAlarm(world: SimWorld, start: number, s: AlarmSettings): void {
    world.tickHooks.push((w) => {
        if ((w.now - start) % MINUTE !== 0) return;
        const m = s.evaluationMinutes;
        const cpu = lastPoints(w, "cpu", m);
        const mem = lastPoints(w, "memory", m);
        const high = (cpu.length === m && cpu.every((v) => v > s.cpuHighPercent)) || (mem.length === m && mem.every((v) => v > s.memoryHighPercent));
        const launching = w.liveInstances().some((i) => i.container === undefined);
        if (high && !launching && w.group.desired < w.group.maxSize) {
            w.setDesired(Math.min(w.group.maxSize, w.group.desired + s.scaleOutStep), "asg");
        }
    });
}

/** Plain step scaling's scale-in: lower desired capacity by one; the group terminates an instance with its tasks. */
function blindScaleIn(world: SimWorld, start: number): void {
    const s = STEP_SCALING;
    let last = -Infinity;
    world.tickHooks.push((w) => {
        if ((w.now - start) % MINUTE !== 0 || w.now - last < s.cooldownSeconds * 1000) return;
        const m = s.evaluationMinutes;
        const cpu = lastPoints(w, "cpu", m);
        const mem = lastPoints(w, "memory", m);
        const low = cpu.length === m && cpu.every((v) => v < s.cpuLowPercent) && mem.every((v) => v < s.memoryLowPercent);
        if (low && w.group.desired > w.group.minSize) {
            w.setDesired(w.group.desired - 1, "asg");
            last = w.now;
        }
    });
}

/** Replays `trace` (tasks per minute) under one strategy; returns instance-hours, pending minutes and kills. */
export async function runTrace(strategy: Strategy, trace = demandTrace(), reconcileEveryMinutes = 10,
    scaling: Partial<typeof DEFAULT_SCALING> = {}, drought?: { startMinute: number; minutes: number }, asRunner = false): Promise<TraceResult> {
    const peak = instancesFor(Math.max(...trace));
    const initial = strategy === "fixedPeak" ? peak : Math.max(2, instancesFor(trace[0] / 0.6));
    const world = buildCluster({
        instances: initial,
        minSize: strategy === "fixedPeak" ? peak : 2,
        maxSize: strategy === "fixedPeak" ? peak : peak * 2,
        services: [{ name: "app", count: trace[0], ...TASK, minHealthyPercent: 50, maxPercent: 200 }],
        timings: BENCH_TIMINGS,
        // Plain step scaling is a group without this package's protection or managed draining.
        ...(strategy === "stepScaling" ? { protectFromScaleIn: false, managedDraining: false } : {}),
    });
    const start = world.now;
    const end = start + trace.length * MINUTE;
    const book = instrument(world, trace, start);
    if (drought !== undefined) {
        // No Spot capacity for the group's types and zones for a while: every Spot launch fails.
        world.tickHooks.push((w) => {
            const minute = (w.now - start) / MINUTE;
            w.spotAvailable = !(minute >= drought.startMinute && minute < drought.startMinute + drought.minutes);
        });
    }
    // The component's high alarms act between reconciles on the scaler's thresholds.
    if (strategy !== "fixedPeak") scaleOutAlarm(world, start, strategy === "stepScaling" ? STEP_SCALING : { ...DEFAULT_SCALING, ...scaling });
    if (strategy === "stepScaling") blindScaleIn(world, start);

    const failures: string[] = [];
    if (strategy === "ours") {
        const settings = simSettings(world, { clusterName: "trace", scaling });
        const lease = memoryLease();
        for (let next = start; next < end; next += reconcileEveryMinutes * MINUTE) {
            if (world.now < next) world.clock.advance(next - world.now);
            if (asRunner) {
                // A runner step as its Lambda function takes it: the lease, and a deadline 30 s before the default 300 s timeout.
                const r = await world.clock.run(runnerStep({ settings: { ...settings, leaseTable: "trace-spot-ecs-lease", runner: RUNNER_DEFAULTS },
                    cloud: () => simCloud(world), deps: simDeps(world), lease: () => lease, holder: "runner", deadlineMs: world.now + 270_000 }));
                if (r.outcome === "failed") failures.push(r.summary);
            } else {
                await simReconcile(world, settings).catch((e: Error) => { failures.push(e.message); });
            }
        }
    }
    if (world.now < end) world.clock.advance(end - world.now);
    return { ...book.result(), ...(strategy === "ours" ? { reconcileFailures: failures.length } : {}) };
}

export async function traceResults(trace = demandTrace()) {
    return {
        ours: await runTrace("ours", trace),
        fixedPeak: await runTrace("fixedPeak", trace),
        stepScaling: await runTrace("stepScaling", trace),
    };
}

/** One demand shape at one seed: each strategy's instance-hours over the packing floor, and pending minutes. */
export interface TraceSeed {
    shape: DemandShape;
    seed: number;
    /** Packing floor, instance-hours. */
    floor: number;
    /** The scaler every 10 minutes: instance-hours over fixed peak's, and over the packing floor. */
    share: number;
    floorRatio: number;
    pendingMinutes: number;
    /** The runner's cadence: a step every minute. */
    runnerFloorRatio: number;
    runnerPendingMinutes: number;
    stepScalingFloorRatio: number;
    stepScalingPendingMinutes: number;
    fixedPeakFloorRatio: number;
    /** Tasks killed and failed reconciles of the scaler, both cadences. */
    tasksKilled: number;
    reconcileFailures: number;
}

const ratio = (a: number, b: number) => Math.round(a / b * 100) / 100;

/** Each demand shape over several seeds, with the package defaults, at both cadences. */
export async function traceSeeds(seeds: number[], minutes = 1440, shapes: readonly DemandShape[] = DEMAND_SHAPES): Promise<TraceSeed[]> {
    const out: TraceSeed[] = [];
    for (const shape of shapes) {
        for (const seed of seeds) {
            const trace = demandTrace(seed, minutes, shape);
            const floor = packingFloor(trace);
            const r = await traceResults(trace);
            const runner = await runTrace("ours", trace, 1, {}, undefined, true);
            out.push({ shape, seed, floor, share: Math.round(r.ours.instanceHours / r.fixedPeak.instanceHours * 1000) / 1000,
                floorRatio: ratio(r.ours.instanceHours, floor), pendingMinutes: r.ours.pendingMinutes,
                runnerFloorRatio: ratio(runner.instanceHours, floor), runnerPendingMinutes: runner.pendingMinutes,
                stepScalingFloorRatio: ratio(r.stepScaling.instanceHours, floor), stepScalingPendingMinutes: r.stepScaling.pendingMinutes,
                fixedPeakFloorRatio: ratio(r.fixedPeak.instanceHours, floor),
                tasksKilled: r.ours.tasksKilled + runner.tasksKilled, reconcileFailures: (r.ours.reconcileFailures ?? 0) + (runner.reconcileFailures ?? 0) });
        }
    }
    return out;
}

/** Settings that trade cost for pending time, against the defaults, on the base day at the runner's cadence. */
export const TRADE_OFFS: { name: string; scaling: Partial<ScalingPolicy> }[] = [
    { name: "roomier: scale-in target 70%, high 80%", scaling: { scaleInTargetPercent: 70, cpuHighPercent: 80, memoryHighPercent: 80 } },
    { name: "package defaults: scale-in target 85%, high 88%", scaling: {} },
    { name: "tighter: scale-in target 90%, high 95%", scaling: { scaleInTargetPercent: 90, cpuHighPercent: 95, memoryHighPercent: 95 } },
    { name: "defaults with headroom 8x256/512 (one instance's worth)", scaling: { headroom: "8x256/512" } },
];

export interface TradeOff {
    name: string;
    floorRatio: number;
    pendingMinutes: number;
    peakPending: number;
    tasksKilled: number;
}

/** Each of {@link TRADE_OFFS} on `trace` at the runner's cadence. */
export async function tradeOffs(trace: number[]): Promise<TradeOff[]> {
    const floor = packingFloor(trace);
    const out: TradeOff[] = [];
    for (const t of TRADE_OFFS) {
        const r = await runTrace("ours", trace, 1, t.scaling, undefined, true);
        out.push({ name: t.name, floorRatio: ratio(r.instanceHours, floor), pendingMinutes: r.pendingMinutes, peakPending: r.peakPending, tasksKilled: r.tasksKilled });
    }
    return out;
}
