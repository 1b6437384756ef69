// The scaler's own CloudWatch metrics, published once after each `pulumi up` that acted. Pure
// computation here; the Cloud port sends them in one PutMetricData request.
import { isLiveState, Observed, Plan, RETAINED_STATE, RunReport } from "./model";

/** Namespace of the scaler's metrics; each carries the dimension ClusterName. */
export const SCALER_NAMESPACE = "SpotEcs/Scaler";

export interface ScalerMetric {
    name: ScalerMetricName;
    value: number;
    unit: "Count" | "Seconds";
}

export const SCALER_METRICS = [
    "PlannedDesiredCapacity", "InstancesDrained", "TasksMoved", "DrainSecondsMax", "DrainsTimedOut", "SpotInstances", "OnDemandInstances",
    "RetainedInstances",
] as const;
export type ScalerMetricName = (typeof SCALER_METRICS)[number];

/** Desired capacity once every action of the plan is done. */
export function plannedDesiredCapacity(desired: number, plan: Plan): number {
    let d = desired;
    for (const a of plan.actions) {
        if (a.kind === "set-desired") d = a.to;
        else if (a.kind === "drain") d -= a.victims.filter((v) => v.decrement).length;
    }
    return d;
}

/** The metrics of one run: what was planned, what was drained and how long drains took. */
export function runMetrics(observed: Observed, plan: Plan, report: RunReport): ScalerMetric[] {
    const victims = plan.actions.flatMap((a): { instanceId: string; tasks: number }[] => a.kind === "drain" || a.kind === "hook-drain" ? a.victims : []);
    // Retained after a hook ended in ABANDON: each costs an instance outside desired capacity until drained and terminated.
    const retained = observed.instances.filter((i) => i.asgState === RETAINED_STATE && report.instances[i.instanceId] !== "terminated").length
        + Object.values(report.instances).filter((o) => o === "abandoned").length;
    const drained = victims.filter((v) => report.instances[v.instanceId] === "terminated");
    const moved = Math.max(0, drained.reduce((n, v) => n + (report.tasksAtDrain[v.instanceId] ?? v.tasks), 0) - report.tasksStopped.length);
    const live = observed.instances.filter((i) => isLiveState(i.asgState));
    return [
        { name: "PlannedDesiredCapacity", value: plannedDesiredCapacity(observed.desired, plan), unit: "Count" },
        { name: "InstancesDrained", value: drained.length, unit: "Count" },
        { name: "TasksMoved", value: moved, unit: "Count" },
        { name: "DrainSecondsMax", value: Math.max(0, ...Object.values(report.drainSeconds)), unit: "Seconds" },
        { name: "DrainsTimedOut", value: Object.values(report.instances).filter((o) => o === "timed-out" || o === "abandoned").length, unit: "Count" },
        { name: "SpotInstances", value: live.filter((i) => i.lifecycle === "spot").length, unit: "Count" },
        { name: "OnDemandInstances", value: live.filter((i) => i.lifecycle === "on-demand").length, unit: "Count" },
        { name: "RetainedInstances", value: retained, unit: "Count" },
    ];
}
