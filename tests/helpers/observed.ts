// Builders of observed state for planner tests: plain data, as the observer produces it.
import { Datapoint, Observed, ObservedInstance, ObservedTask } from "../../provider/model";
import { DEFAULT_DRAINING, DEFAULT_SCALING, Policy } from "../../provider/settings";
import { SIM_TYPE_FACTS } from "../../provider/sim/instanceTypeFacts";

export const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
export const CPU = 2048;
export const MEM = 7680;
/** A reservation that neither scales out nor in: the scale-in target itself. */
export const NEUTRAL = DEFAULT_SCALING.scaleInTargetPercent;

export function policy(overrides: { scaling?: Partial<Policy["scaling"]>; draining?: Partial<Policy["draining"]>; maintenance?: Policy["maintenance"] } = {}): Policy {
    return { scaling: { ...DEFAULT_SCALING, ...overrides.scaling }, draining: { ...DEFAULT_DRAINING, ...overrides.draining },
        ...(overrides.maintenance === undefined ? {} : { maintenance: overrides.maintenance }) };
}

/**
 * `minutes` one-minute datapoints ending at NOW (by default the scale-in delay's, the longer window),
 * all `value` unless `values` lists them newest first.
 */
export function series(value: number, minutes = DEFAULT_SCALING.scaleInAfterMinutes, values?: number[]): Datapoint[] {
    return Array.from({ length: minutes }, (_, i) => ({ time: NOW - (i + 1) * 60_000, value: values?.[i] ?? value }));
}

export interface InstanceOpts {
    version?: string;
    lifecycle?: "spot" | "on-demand";
    status?: "ACTIVE" | "DRAINING";
    mark?: "scale-in" | "replace";
    usedCpu?: number;
    usedMemory?: number;
    tasks?: number;
    registered?: boolean;
    asgState?: string;
}

export function instance(n: number, o: InstanceOpts = {}): ObservedInstance {
    const id = `i-${String(n).padStart(4, "0")}`;
    const usedCpu = o.usedCpu ?? 0;
    const usedMemory = o.usedMemory ?? 0;
    return {
        instanceId: id,
        instanceType: "m6i.large",
        typeFacts: SIM_TYPE_FACTS["m6i.large"],
        lifecycle: o.lifecycle ?? "spot",
        asgState: o.asgState ?? "InService",
        launchTemplateId: "lt-1",
        launchTemplateVersion: o.version ?? "4",
        container: o.registered === false ? undefined : {
            arn: `arn:ci/${id}`,
            status: o.status ?? "ACTIVE",
            agentConnected: true,
            registered: { cpu: CPU, memory: MEM },
            remaining: { cpu: CPU - usedCpu, memory: MEM - usedMemory },
            runningTasks: o.tasks ?? 0,
            pendingTasks: 0,
            ...(o.mark === undefined ? {} : { drainMark: o.mark }),
        },
    };
}

/** Tasks of `size` on an instance, `count` of them. */
export function tasksOn(i: ObservedInstance, count: number, cpu: number, memory: number, group = "service:web"): ObservedTask[] {
    return Array.from({ length: count }, (_, k) => ({
        arn: `arn:task/${i.instanceId}/${k}`, containerInstanceArn: i.container!.arn, group, cpu, memory, desiredStatus: "RUNNING", lastStatus: "RUNNING",
    }));
}

export function observed(instances: ObservedInstance[], o: Partial<Observed> = {}): Observed {
    return {
        now: NOW,
        clusterName: "web",
        autoScalingGroupName: "web-asg",
        desired: instances.length,
        minSize: 1,
        maxSize: 20,
        target: { launchTemplateId: "lt-1", version: "4" },
        instances,
        // Neither above the high thresholds nor low enough for any instance to go within the scale-in target.
        metrics: { cpu: series(NEUTRAL), memory: series(NEUTRAL) },
        managedDrainingProviders: [],
        ...o,
    };
}
