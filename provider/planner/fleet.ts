// What each instance of the group is, as the planner sees it: live, registered, ACTIVE, draining by
// the scaler or by someone else, outdated, a stray; and the orders and labels the phases share.
import { Action, ContainerInstance, isLiveState, NEW_VERSION, Observed, ObservedInstance, ObservedTask } from "../model";
import { requirementsMismatch } from "../instanceTypes";

/** What one part of the plan decides: actions to take, and notes on what it chose not to do. */
export interface Decision {
    actions: Action[];
    notes: string[];
}

/** A part of the plan that decides nothing. */
export const NOTHING: Decision = Object.freeze({ actions: [], notes: [] }) as Decision;

/** An instance whose container instance is in the cluster (ACTIVE or DRAINING). */
export type Registered = ObservedInstance & { container: ContainerInstance };

export interface Classified {
    live: ObservedInstance[];
    registered: Registered[];
    active: Registered[];
    ourDraining: Registered[];
    foreignDraining: Registered[];
    outdated: ObservedInstance[];
    /** The observed tasks by container instance ARN (empty without task details). */
    tasksOn: Map<string, ObservedTask[]>;
}

export function isLive(i: ObservedInstance): boolean {
    return isLiveState(i.asgState);
}

export function isActive(i: ObservedInstance): i is Registered {
    return i.container?.status === "ACTIVE" && i.container.agentConnected;
}

export function isRegistered(i: ObservedInstance): i is Registered {
    return i.container?.status === "ACTIVE" || i.container?.status === "DRAINING";
}

export function isDraining(i: ObservedInstance): i is Registered {
    return i.container?.status === "DRAINING";
}

/** DRAINING by someone else (a Spot notice, an operator, ECS managed draining): no drain mark of the scaler's. */
export function isForeignDraining(i: ObservedInstance): i is Registered {
    return isDraining(i) && i.container.drainMark === undefined;
}

export function isOutdated(i: ObservedInstance, o: Observed): boolean {
    return isOnOldTemplate(i, o) || isUndeclaredType(i, o);
}

function isOnOldTemplate(i: ObservedInstance, o: Observed): boolean {
    return i.launchTemplateId !== o.target.launchTemplateId || i.launchTemplateVersion !== o.target.version;
}

function isUndeclaredType(i: ObservedInstance, o: Observed): boolean {
    return (o.instanceTypes !== undefined && !o.instanceTypes.includes(i.instanceType)) || requirementsMiss(i, o) !== undefined;
}

/** Why the instance's type lacks the declared instanceRequirements, by EC2's facts about it. */
function requirementsMiss(i: ObservedInstance, o: Observed): string | undefined {
    return o.instanceRequirements === undefined ? undefined : requirementsMismatch(i.instanceType, i.typeFacts, o.instanceRequirements);
}

/** The version instances are replaced onto, as the plan says it. */
function targetLabel(o: Observed): string {
    return o.target.version === NEW_VERSION ? "the version this update creates" : `v${o.target.version}`;
}

/** `launch template v4`, or the version a preview cannot number yet. */
export function templateTarget(o: Observed): string {
    return o.target.version === NEW_VERSION ? "the launch template version this update creates" : `launch template v${o.target.version}`;
}

/** Why an outdated instance is replaced. */
export function outdatedReason(i: ObservedInstance, o: Observed): string {
    return isOnOldTemplate(i, o) ? `launch template ${versionLabel(i)} → ${targetLabel(o)}`
        : o.instanceRequirements !== undefined ? `instance type ${i.instanceType} no longer has instanceRequirements: ${requirementsMiss(i, o)}`
        : `instance type ${i.instanceType} is no longer in instanceTypes`;
}

export function versionLabel(i: ObservedInstance): string {
    return i.launchTemplateVersion === undefined ? "unknown" : `v${i.launchTemplateVersion}`;
}

/**
 * An instance in service this long after launch without a container instance in the cluster is a
 * stray (its agent failed, or it was deregistered and never terminated); it is replaced.
 */
export const STRAY_GRACE_SECONDS = 600;

/** In service, not registered with the cluster, and past its grace to register. */
export function isUnregisteredPastGrace(i: ObservedInstance, now: number): boolean {
    return i.asgState === "InService" && i.container === undefined && i.launchTime !== undefined && now - i.launchTime > STRAY_GRACE_SECONDS * 1000;
}

export function isStray(i: ObservedInstance, o: Observed, now: number): boolean {
    return isUnregisteredPastGrace(i, now) && !isOutdated(i, o);
}

/** The live instances registered with the cluster (ACTIVE or DRAINING), without classifying the rest. */
export function registeredOf(o: Observed): Registered[] {
    return o.instances.filter((i): i is Registered => isLive(i) && isRegistered(i));
}

export function classify(o: Observed): Classified {
    const live = o.instances.filter(isLive);
    const draining = live.filter(isDraining);
    return {
        live,
        registered: live.filter(isRegistered),
        active: live.filter(isActive),
        ourDraining: draining.filter((i) => i.container.drainMark !== undefined),
        foreignDraining: draining.filter(isForeignDraining),
        outdated: live.filter((i) => isOutdated(i, o)),
        tasksOn: tasksByContainer(o),
    };
}

/** The observed tasks by container instance ARN. */
function tasksByContainer(o: Observed): Map<string, ObservedTask[]> {
    const out = new Map<string, ObservedTask[]>();
    for (const t of o.tasks ?? []) {
        const list = out.get(t.containerInstanceArn) ?? [];
        list.push(t);
        out.set(t.containerInstanceArn, list);
    }
    return out;
}

export function taskCount(i: ObservedInstance): number {
    return (i.container?.runningTasks ?? 0) + (i.container?.pendingTasks ?? 0);
}

function usedShare(i: ObservedInstance): number {
    const c = i.container;
    if (c === undefined) return 0;
    const cpu = c.registered.cpu > 0 ? (c.registered.cpu - c.remaining.cpu) / c.registered.cpu : 0;
    const mem = c.registered.memory > 0 ? (c.registered.memory - c.remaining.memory) / c.registered.memory : 0;
    return Math.max(cpu, mem);
}

/** Least used first; Spot before On-Demand when usage is equal; then by id so the order is stable. */
export function byLeastUsed(a: ObservedInstance, b: ObservedInstance): number {
    return usedShare(a) - usedShare(b)
        || (a.lifecycle === b.lifecycle ? 0 : a.lifecycle === "spot" ? -1 : 1)
        || a.instanceId.localeCompare(b.instanceId);
}

/**
 * The order scale-in removes instances in, cheapest to lose first: On-Demand instances above the
 * On-Demand base (as many as the group runs above it), then the others by least used (fewest tasks to
 * move for what goes), then the largest (frees the most), then the oldest; the On-Demand instances
 * of the base last.
 */
export function byCostToKeep<I extends ObservedInstance>(candidates: I[], live: ObservedInstance[], onDemandBase: number): I[] {
    const aboveBase = Math.max(0, live.filter((i) => i.lifecycle === "on-demand").length - onDemandBase);
    const sorted = [...candidates].sort((a, b) => usedShare(a) - usedShare(b)
        || (b.container?.registered.cpu ?? 0) - (a.container?.registered.cpu ?? 0)
        || (a.lifecycle === b.lifecycle ? 0 : a.lifecycle === "spot" ? -1 : 1)
        || (a.launchTime ?? 0) - (b.launchTime ?? 0)
        || a.instanceId.localeCompare(b.instanceId));
    const onDemand = sorted.filter((i) => i.lifecycle === "on-demand");
    const first = onDemand.slice(0, aboveBase);
    // Those within the base go last: the group would launch On-Demand again to keep its base.
    const last = onDemand.slice(aboveBase);
    return [...first, ...sorted.filter((i) => i.lifecycle !== "on-demand"), ...last];
}

/** The median registered CPU and memory of `registered`; undefined when none has any. */
export function typicalSize(registered: Registered[]): { cpu: number; memory: number } | undefined {
    const sizes = registered.map((i) => i.container.registered).filter((r) => r.cpu > 0 && r.memory > 0);
    if (sizes.length === 0) return undefined;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { cpu: median(sizes.map((r) => r.cpu)), memory: median(sizes.map((r) => r.memory)) };
}

/** What `registered` offer and what their tasks reserve, CPU and memory, from the container instances' counters. */
export function reservationOf(registered: Registered[]): { cpu: number; memory: number; usedCpu: number; usedMemory: number } {
    return registered.reduce((acc, i) => ({
        cpu: acc.cpu + i.container.registered.cpu,
        memory: acc.memory + i.container.registered.memory,
        usedCpu: acc.usedCpu + i.container.registered.cpu - i.container.remaining.cpu,
        usedMemory: acc.usedMemory + i.container.registered.memory - i.container.remaining.memory,
    }), { cpu: 0, memory: 0, usedCpu: 0, usedMemory: 0 });
}

/** Desired capacity once the group takes its declared bounds (it does so before the scaler runs). */
export function boundedDesired(o: Observed): number {
    return Math.min(Math.max(o.desired, o.minSize), o.maxSize);
}
