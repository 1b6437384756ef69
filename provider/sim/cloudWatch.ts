// Simulated CloudWatch: the cluster's CPUReservation and MemoryReservation published once a minute
// from what the registered container instances reserve, and the CloudWatch calls of the Cloud port.
import { Cloud } from "../cloud";
import { MINUTE, SimCall, SimState } from "./state";

/**
 * ECS's reservation metrics for the minute that just ended: reserved over registered, of ACTIVE and
 * DRAINING instances. ECS sends no datapoint for a minute in which the cluster has no task RUNNING.
 */
export function publishReservation(w: SimState): void {
    if (!w.liveTasks().some((t) => t.status === "RUNNING")) return;
    let regCpu = 0;
    let regMem = 0;
    let resCpu = 0;
    let resMem = 0;
    for (const inst of w.instances.values()) {
        const c = inst.container;
        if (c === undefined || (c.status !== "ACTIVE" && c.status !== "DRAINING")) continue;
        regCpu += c.registered.cpu;
        regMem += c.registered.memory;
        const r = w.reserved(inst.id);
        resCpu += r.cpu;
        resMem += r.memory;
    }
    if (regCpu === 0) return;
    const time = w.now - MINUTE;
    w.metrics.cpu.push({ time, value: Math.round(resCpu / regCpu * 1000) / 10 });
    w.metrics.memory.push({ time, value: Math.round(resMem / regMem * 1000) / 10 });
}

/** Evaluates the alarms with a rule, once a minute (see {@link SimAlarm}). */
export function evaluateAlarms(w: SimState): void {
    if (w.alarms.size === 0) return;
    const bad = w.badVersions.size > 0 && w.liveTasks().some((t) => t.status === "RUNNING" && t.service !== undefined
        && w.badVersions.has(w.instances.get(t.instanceId)?.ltVersion ?? ""));
    for (const [name, a] of w.alarms) {
        if (a.rule !== "bad-version") continue;
        a.breaching = bad ? (a.breaching ?? 0) + 1 : 0;
        const state = a.breaching >= (a.evaluationMinutes ?? 1) ? "ALARM" : "OK";
        if (state !== a.state) w.log("cloudwatch", `alarm ${name} ${a.state} → ${state}`);
        a.state = state;
    }
}

/** The CloudWatch calls of the Cloud port on the simulated cluster. */
export type CloudWatchApi = Pick<Cloud, "reservationMetrics" | "publishMetrics" | "alarmStates">;

/** The CloudWatch calls, sent through `call`. */
export function cloudWatchApi(world: SimState, call: SimCall): CloudWatchApi {
    return {
        reservationMetrics: (start, end) => call("GetMetricData", () => ({
            cpu: world.metrics.cpu.filter((p) => p.time >= start && p.time <= end),
            memory: world.metrics.memory.filter((p) => p.time >= start && p.time <= end),
        })),
        alarmStates: (names) => call("DescribeAlarms", () => Object.fromEntries(names.map((n) => [n, world.alarms.get(n)?.state ?? "missing"]))),
        publishMetrics: (metrics) => call("PutMetricData", () => {
            world.published.push({ at: world.now, metrics: metrics.map((m) => ({ ...m })) });
        }),
    };
}
