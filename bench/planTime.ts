// How long the pure planner takes on a large cluster, on this machine (real time, median of many runs).
import { performance } from "node:perf_hooks";
import { Observed, ObservedInstance, ObservedTask } from "../provider/model";
import { plan } from "../provider/planner";
import { DEFAULT_DRAINING, DEFAULT_SCALING } from "../provider/settings";

export interface PlanTime {
    instances: number;
    tasks: number;
    medianMs: number;
    /** Median per scenario: the scale-in check (bin-packing) and a fleet replacement. */
    byScenario: Record<string, number>;
    runs: number;
}

/** An observed cluster of `n` instances with `perInstance` tasks each, reservations low, some instances outdated. */
export function bigCluster(n: number, perInstance: number, outdatedShare: number): Observed {
    const now = Date.UTC(2026, 10, 25, 12);
    const instances: ObservedInstance[] = [];
    const tasks: ObservedTask[] = [];
    for (let i = 0; i < n; i++) {
        const id = `i-${i.toString(16).padStart(17, "0")}`;
        const arn = `arn:aws:ecs:us-east-1:123456789012:container-instance/big/${id}`;
        // Every instance runs `perInstance` tasks; their sizes vary so instances differ in use.
        const size = { cpu: 64 + (i % 5) * 32, memory: 128 + (i % 7) * 64 };
        const count = perInstance;
        const used = { cpu: count * size.cpu, memory: count * size.memory };
        instances.push({
            instanceId: id, instanceType: "m6i.xlarge", lifecycle: i % 5 === 0 ? "on-demand" : "spot", asgState: "InService",
            launchTemplateId: "lt-0123456789abcdef0", launchTemplateVersion: i < n * outdatedShare ? "6" : "7",
            container: { arn, status: "ACTIVE", agentConnected: true, registered: { cpu: 4096, memory: 15616 },
                remaining: { cpu: 4096 - used.cpu, memory: 15616 - used.memory }, runningTasks: count, pendingTasks: 0 },
        });
        for (let k = 0; k < count; k++) tasks.push({ arn: `${arn}/t${k}`, containerInstanceArn: arn, group: "service:app", ...size, desiredStatus: "RUNNING", lastStatus: "RUNNING" });
    }
    // A full scale-in delay of low readings (the longer of the two windows).
    const series = (v: number) => Array.from({ length: DEFAULT_SCALING.scaleInAfterMinutes }, (_, m) => ({ time: now - (m + 1) * 60_000, value: v }));
    return {
        now, clusterName: "big", autoScalingGroupName: "big-asg", desired: n, minSize: 1, maxSize: n * 2,
        target: { launchTemplateId: "lt-0123456789abcdef0", version: "7" }, instances, tasks,
        metrics: { cpu: series(25), memory: series(20) }, managedDrainingProviders: [],
    };
}

function median(values: number[]): number {
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median wall time in ms (one decimal) of `runs` plans of `observed`, after one warm-up plan. */
function medianPlanMs(observed: Observed, policy: Parameters<typeof plan>[1], runs: number): number {
    plan(observed, policy);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        plan(observed, policy);
        times.push(performance.now() - t0);
    }
    return Math.round(median(times) * 10) / 10;
}

/** Median wall time of `runs` plans, for the scale-in check and for a replacement of a quarter of the fleet. */
export function planTime(n = 5000, perInstance = 10, runs = 25): PlanTime {
    const policy = { scaling: { ...DEFAULT_SCALING }, draining: { ...DEFAULT_DRAINING, batchSize: 100 } };
    const scenarios: Record<string, Observed> = { scaleIn: bigCluster(n, perInstance, 0), replacement: bigCluster(n, perInstance, 0.25) };
    const byScenario: Record<string, number> = {};
    for (const [name, observed] of Object.entries(scenarios)) {
        byScenario[name] = medianPlanMs(observed, policy, runs);
    }
    const tasks = scenarios.scaleIn.tasks!.length;
    return { instances: n, tasks, medianMs: Math.max(...Object.values(byScenario)), byScenario, runs };
}

/** One point of the plan-time curve. */
export interface PlanCurvePoint {
    instances: number;
    tasks: number;
    scenario: "scaleIn" | "replacement";
    medianMs: number;
    /** Instances the plan drains. */
    victims: number;
}

const TYPES = [
    { type: "m6i.xlarge", cpu: 4096, memory: 15616 },
    { type: "m5.large", cpu: 2048, memory: 7680 },
    { type: "c6i.xlarge", cpu: 4096, memory: 7680 },
];
const TASK_SIZES = [{ cpu: 128, memory: 256 }, { cpu: 256, memory: 512 }, { cpu: 512, memory: 1024 }, { cpu: 256, memory: 2048 }];

/**
 * A cluster as it looks in life: three instance types, four task sizes of five services, tasks
 * placed at random where they fit (about `perInstance` per instance on average), reservations low.
 */
export function realisticCluster(n: number, perInstance: number, outdatedShare: number, seed = 1): Observed {
    let state = seed >>> 0;
    const rnd = () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const base = bigCluster(0, 0, 0);
    const instances: ObservedInstance[] = [];
    const free: { cpu: number; memory: number }[] = [];
    for (let i = 0; i < n; i++) {
        const t = TYPES[Math.floor(rnd() * TYPES.length)];
        const id = `i-${i.toString(16).padStart(17, "0")}`;
        instances.push({
            instanceId: id, instanceType: t.type, lifecycle: rnd() < 0.2 ? "on-demand" : "spot", asgState: "InService",
            launchTemplateId: "lt-0123456789abcdef0", launchTemplateVersion: i < n * outdatedShare ? "6" : "7",
            container: { arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/big/${id}`, status: "ACTIVE", agentConnected: true,
                registered: { cpu: t.cpu, memory: t.memory }, remaining: { cpu: t.cpu, memory: t.memory }, runningTasks: 0, pendingTasks: 0 },
        });
        free.push({ cpu: t.cpu, memory: t.memory });
    }
    const tasks: ObservedTask[] = [];
    for (let k = 0; k < n * perInstance; k++) {
        const size = TASK_SIZES[Math.floor(rnd() * TASK_SIZES.length)];
        // A random instance with room, tried a few times; a task that finds none is not placed.
        for (let attempt = 0; attempt < 8; attempt++) {
            const j = Math.floor(rnd() * n);
            if (free[j].cpu < size.cpu || free[j].memory < size.memory) continue;
            free[j].cpu -= size.cpu;
            free[j].memory -= size.memory;
            const c = instances[j].container!;
            c.remaining = { ...free[j] };
            c.runningTasks++;
            tasks.push({ arn: `${c.arn}/t${k}`, containerInstanceArn: c.arn, group: `service:svc${k % 5}`, ...size,
                desiredStatus: "RUNNING", lastStatus: "RUNNING" });
            break;
        }
    }
    return { ...base, desired: n, maxSize: n * 2, instances, tasks };
}

/**
 * Median plan time on realistic clusters of each size: a scale-in on a cluster half as loaded (about
 * `perInstance` / 2 tasks an instance) whose reservation readings are its own, so that consolidation
 * checks and places the tasks of every instance it removes; and a replacement of a quarter.
 */
export function planCurve(sizes: number[], perInstance = 10, runs = 5): PlanCurvePoint[] {
    const policy = { scaling: { ...DEFAULT_SCALING }, draining: { ...DEFAULT_DRAINING, batchSize: 100 } };
    const out: PlanCurvePoint[] = [];
    for (const n of sizes) {
        for (const [scenario, share] of [["scaleIn", 0], ["replacement", 0.25]] as const) {
            const observed = scenario === "scaleIn" ? withOwnReadings(realisticCluster(n, perInstance / 2, share, n)) : realisticCluster(n, perInstance, share, n);
            const victims = plan(observed, policy).actions.reduce((sum, a) => sum + (a.kind === "drain" ? a.victims.length : 0), 0);
            out.push({ instances: n, tasks: observed.tasks!.length, scenario, medianMs: medianPlanMs(observed, policy, runs), victims });
        }
    }
    return out;
}

/** `o` with reservation readings of what its instances reserve, over the scale-in delay. */
function withOwnReadings(o: Observed): Observed {
    const sum = (f: (c: NonNullable<ObservedInstance["container"]>) => number) => o.instances.reduce((n, i) => n + (i.container === undefined ? 0 : f(i.container)), 0);
    const cpu = Math.round((1 - sum((c) => c.remaining.cpu) / sum((c) => c.registered.cpu)) * 1000) / 10;
    const memory = Math.round((1 - sum((c) => c.remaining.memory) / sum((c) => c.registered.memory)) * 1000) / 10;
    const series = (v: number) => Array.from({ length: DEFAULT_SCALING.scaleInAfterMinutes }, (_, m) => ({ time: o.now - (m + 1) * 60_000, value: v }));
    return { ...o, metrics: { cpu: series(cpu), memory: series(memory) } };
}
