// The simulated Auto Scaling group: launches (Spot pools by type and zone, the On-Demand base, failed
// Spot launches retried a minute later), bounds and desired capacity, scale-in protection, the
// group's own scale-in, terminations (through the group's termination hooks, lifecycleHooks.ts), and the
// Auto Scaling calls of the Cloud port over them.
import { Cloud, FALLBACK_TAG, HALT_TAG, haltTagValue, parseHaltTag, SURGE_TAG } from "../cloud";
import { HOOK_WAIT_STATE, Lifecycle, RETAINED_STATE } from "../model";
import { requirementsMismatch } from "../instanceTypes";
import { SIM_TYPE_FACTS } from "./instanceTypeFacts";
import { completeAction, enterHooks, recordHeartbeat } from "./lifecycleHooks";
import { terminate } from "./termination";
import { registerAgent } from "./ecs";
import { AWS_WIRE } from "./network";
import { Actor, DEFAULT_ZONES, SimCall, SimInstance, SimState } from "./state";

/** Seconds between the group's attempts to launch while launches fail. */
export const LAUNCH_RETRY_SECONDS = 60;

/** A number in [0, 1) fixed by `id`, spread evenly over ids (FNV-1a, then mixed): per-instance variation without drawing from a shared generator. */
function spreadOf(id: string): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193) >>> 0;
    // Ids differ in their last characters only: mix every bit into the high ones (MurmurHash3's finalizer).
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Every `type/zone` pool of the group. */
export function spotPools(w: SimState): string[] {
    return groupTypes(w).flatMap((t) => groupZones(w).map((z) => `${t}/${z}`));
}

/** The group's types: its list, or the types the simulator knows that have its requirements (smallest first). */
function groupTypes(w: SimState): string[] {
    const r = w.group.instanceRequirements;
    if (r === undefined) return w.group.instanceTypes ?? [w.group.instanceType];
    const matching = Object.entries(SIM_TYPE_FACTS).filter(([type, facts]) => requirementsMismatch(type, facts, r) === undefined)
        .sort(([a, fa], [b, fb]) => fa.vcpus - fb.vcpus || fa.memoryMiB - fb.memoryMiB || a.localeCompare(b)).map(([type]) => type);
    return matching.length > 0 ? matching : [w.group.instanceType];
}

function groupZones(w: SimState): string[] {
    return w.group.zones ?? DEFAULT_ZONES;
}

/** What the group launches next: On-Demand until its On-Demand base is met, then Spot. */
function nextLifecycle(w: SimState): Lifecycle {
    const onDemand = [...w.instances.values()].filter((i) => i.asgState !== "Terminated" && i.lifecycle === "on-demand").length;
    return onDemand < w.group.onDemandBaseCapacity ? "on-demand" : "spot";
}

/**
 * Where the group launches next: the zone with the fewest live instances (the group balances its
 * zones), and there the first type in priority order; a Spot launch only into a pool with capacity.
 */
function poolFor(w: SimState, lifecycle: Lifecycle): { type: string; zone: string } | undefined {
    const live = w.liveInstances();
    const zones = [...groupZones(w)].sort((a, b) => live.filter((i) => i.zone === a).length - live.filter((i) => i.zone === b).length);
    for (const zone of zones) {
        const type = groupTypes(w).find((t) => lifecycle === "on-demand" || !w.drySpotPools.has(`${t}/${zone}`));
        if (type !== undefined) return { type, zone };
    }
    return undefined;
}

export function launch(w: SimState, version: string = w.group.launchTemplateVersion, lifecycle?: Lifecycle): SimInstance {
    const kind: Lifecycle = lifecycle ?? nextLifecycle(w);
    // Setting up a scenario launches even into a dry pool.
    const pool = poolFor(w, kind) ?? poolFor(w, "on-demand")!;
    const id = w.nextId("i-0");
    const inst: SimInstance = {
        id,
        type: pool.type,
        zone: pool.zone,
        lifecycle: kind,
        ltVersion: version,
        launchedAt: w.now,
        bootSeconds: w.timings.bootSeconds + Math.round(spreadOf(id) * (w.timings.bootSpreadSeconds ?? 0)),
        asgState: "Pending",
        neverRegisters: w.newInstancesNeverRegister,
        protectedFromScaleIn: w.protectNewInstances,
    };
    w.instances.set(inst.id, inst);
    w.activities.push(w.now);
    w.log("asg", `launch ${inst.id} (${inst.lifecycle}, v${version})`);
    return inst;
}

/**
 * The group's own launch: Spot unless the On-Demand base is not met yet. In a Spot drought the
 * launch fails as a scaling activity with EC2's error, and the group tries again a minute later.
 */
export function tryLaunch(w: SimState, version: string = w.group.launchTemplateVersion): SimInstance | undefined {
    const lifecycle = nextLifecycle(w);
    if (lifecycle === "spot") {
        // The group tries the zone it balances into; when every pool there is dry the attempt fails as a
        // scaling activity and the group tries another zone (balanced best effort).
        const balanced = poolFor(w, "on-demand")!;
        const zoneDry = groupTypes(w).every((t) => w.drySpotPools.has(`${t}/${balanced.zone}`));
        if (zoneDry && w.now - w.lastFailedLaunch >= LAUNCH_RETRY_SECONDS * 1000) {
            w.lastFailedLaunch = w.now;
            w.launchFailures.push({ at: w.now, code: "InsufficientInstanceCapacity", message: `Launching a new EC2 instance. Status Reason: `
                + `We currently do not have sufficient ${balanced.type} capacity in the Availability Zone you requested (${balanced.zone}). `
                + "Launching EC2 instance failed. InsufficientInstanceCapacity" });
            w.activities.push(w.now);
            w.log("asg", `Spot launch failed in ${balanced.zone}: InsufficientInstanceCapacity`);
        }
        if (poolFor(w, "spot") === undefined) return undefined;
    }
    return launch(w, version, lifecycle);
}

/** Launches `count` instances that are already registered (the state before a scenario starts). */
export function seedInstances(w: SimState, count: number, opts: { lifecycle?: Lifecycle; version?: string } = {}): SimInstance[] {
    const made: SimInstance[] = [];
    for (let i = 0; i < count; i++) {
        const inst = launch(w, opts.version ?? w.group.launchTemplateVersion, opts.lifecycle);
        // A seeded instance has booted already: launched its boot time ago, registered now.
        inst.launchedAt = w.now - inst.bootSeconds * 1000;
        registerAgent(w, inst);
        made.push(inst);
    }
    return made;
}

/**
 * UpdateAutoScalingGroup with a MaxSize below the desired capacity: the group sets desired capacity
 * to the new maximum at once, an implicit scale-in by its termination policy.
 */
export function setMaxSize(w: SimState, maxSize: number, actor: Actor): void {
    w.log(actor, `maxSize ${w.group.maxSize} → ${maxSize}`);
    w.group.maxSize = maxSize;
    if (w.group.desired > maxSize) {
        w.group.desired = maxSize;
        w.desiredActor = actor;
    }
}

export function setDesired(w: SimState, desired: number, actor: Actor): void {
    if (desired < w.group.minSize || desired > w.group.maxSize) {
        throw Object.assign(new Error(`New SetDesiredCapacity value ${desired} is outside the group's bounds `
            + `(min ${w.group.minSize}, max ${w.group.maxSize})`), { name: "ValidationError" });
    }
    w.log(actor, `desired ${w.group.desired} → ${desired}`);
    w.group.desired = desired;
    w.desiredActor = actor;
}

/** SetInstanceProtection. */
export function setInstanceProtection(w: SimState, ids: string[], protect: boolean, actor: Actor): void {
    for (const id of ids) {
        const inst = w.instances.get(id);
        if (inst === undefined || inst.asgState === "Terminated") {
            throw Object.assign(new Error(`The instance ${id} is not part of Auto Scaling group ${w.group.name}.`), { name: "ValidationError" });
        }
        inst.protectedFromScaleIn = protect;
    }
    w.log(actor, `${protect ? "protect" : "unprotect"} ${ids.join(", ")} from scale-in`);
}

/**
 * A termination the group carries out: the instance waits in the group's termination lifecycle hooks
 * (Terminating:Wait) until each lets it go (lifecycleHooks.ts); with none, it goes now. `replaced`: the
 * termination leaves desired capacity as it is (a health replacement, an instance refresh, a termination
 * without decrement), so the instance counts toward it while it waits and its replacement launches once
 * it is gone or retained (the retained-instances page: the group launches a replacement when an instance
 * enters Terminating:Retained).
 */
export function startTermination(w: SimState, inst: SimInstance, actor: Actor, replaced = false): void {
    inst.holdsDesired = replaced;
    enterHooks(w, inst, actor);
}

/**
 * TerminateInstanceInAutoScalingGroup: not blocked by scale-in protection. A retained instance
 * (Terminating:Retained) is terminated at once: it has been through the hooks already.
 */
export function terminateInGroup(w: SimState, id: string, decrement: boolean, actor: Actor): void {
    const inst = w.instances.get(id);
    if (inst === undefined || inst.asgState === "Terminated" || inst.asgState === "Terminating") {
        throw Object.assign(new Error(`Instance Id not found - No managed instance found for instance ID: ${id}`), { name: "ValidationError" });
    }
    if (inst.asgState === "Retained") {
        if (decrement) w.group.desired = Math.max(w.group.minSize, w.group.desired - 1);
        terminate(w, inst, actor);
        return;
    }
    if (decrement) {
        if (w.group.desired - 1 < w.group.minSize) {
            throw Object.assign(new Error(`Currently, desiredSize equals minSize (${w.group.minSize}). Terminating instance without `
                + "replacement will violate group's min size constraint."), { name: "ValidationError" });
        }
        w.group.desired -= 1;
    }
    startTermination(w, inst, actor, !decrement);
}

export { terminate } from "./termination";

export function reconcileGroup(w: SimState): void {
    // An instance a rebalance recommendation is replacing does not count: its replacement does.
    const replaced = new Set(w.groupEvents.rebalancing.values());
    const live = w.liveInstances().filter((i) => !replaced.has(i.id));
    // An instance waiting in a hook after a termination that left desired capacity as it was still counts.
    const waiting = [...w.instances.values()].filter((i) => i.asgState === "Terminating" && i.holdsDesired).length;
    for (let n = live.length + waiting; n < w.group.desired; n++) {
        if (tryLaunch(w) === undefined) break;
    }
    if (live.length > w.group.desired) {
        // The group's own scale-in: oldest launch template version first, then oldest instance;
        // instances protected from scale-in are never picked (the group stays above desired).
        const extra = live.filter((i) => !i.protectedFromScaleIn)
            .sort((a, b) => Number(a.ltVersion) - Number(b.ltVersion) || a.launchedAt - b.launchedAt)
            .slice(0, live.length - w.group.desired);
        for (const inst of extra) startTermination(w, inst, w.desiredActor === "scaler" ? "scaler" : "asg");
    }
}

/**
 * One tick of the group's instances: a booted instance goes in service (its agent registers it, unless
 * it never does), and a Spot instance whose interruption notice has run out is terminated.
 */
export function advanceInstances(w: SimState): void {
    const now = w.now;
    for (const inst of w.instances.values()) {
        if (inst.asgState === "Pending" && now - inst.launchedAt >= inst.bootSeconds * 1000) {
            // The group sees the instance in service once it has booted, whether or not its agent registers.
            if (inst.neverRegisters) inst.asgState = "InService";
            else registerAgent(w, inst);
        }
        if (inst.interruptAt !== undefined && now >= inst.interruptAt && inst.asgState !== "Terminated") {
            terminate(w, inst, "spot");
        }
    }
}

/** The Auto Scaling calls of the Cloud port on the simulated cluster. */
export type AutoScalingApi = Pick<Cloud, "describeGroup" | "lastScalingActivity" | "setDesiredCapacity" | "setInstanceProtection"
    | "spotLaunchFailures" | "terminationHooks" | "setOnDemandBase" | "recordFallback" | "recordSurge" | "recordHalt" | "terminateInstance"
    | "recordHookHeartbeat" | "completeHookAction">;

/** The Auto Scaling calls, sent through `call`. */
export function autoScalingApi(world: SimState, call: SimCall): AutoScalingApi {
    return {
        describeGroup: () => call("DescribeAutoScalingGroups", () => ({
            name: world.group.name,
            desired: world.group.desired,
            minSize: world.group.minSize,
            maxSize: world.group.maxSize,
            targetGroupArns: [...world.group.targetGroupArns],
            instances: [...world.instances.values()].filter((i) => i.asgState !== "Terminated").map((i) => ({
                instanceId: i.id,
                instanceType: i.type,
                asgState: i.asgState === "Terminating" ? HOOK_WAIT_STATE : i.asgState === "Retained" ? RETAINED_STATE : i.asgState,
                launchTemplateId: world.group.launchTemplateId,
                launchTemplateVersion: i.ltVersion,
                protectedFromScaleIn: i.protectedFromScaleIn,
            })),
            capacityRebalance: world.capacityRebalance,
            onDemandBase: world.group.onDemandBaseCapacity,
            ...(world.group.tags[FALLBACK_TAG] === undefined ? {} : { fallbackBaseline: Number(world.group.tags[FALLBACK_TAG]) }),
            ...(world.group.tags[SURGE_TAG] === undefined ? {} : { surgeBaseline: Number(world.group.tags[SURGE_TAG]) }),
            ...(parseHaltTag(world.group.tags[HALT_TAG]) === undefined ? {} : { halted: parseHaltTag(world.group.tags[HALT_TAG]) }),
        })),
        terminationHooks: () => call("DescribeLifecycleHooks", () => world.terminationHooks()),
        lastScalingActivity: () => call("DescribeScalingActivities", () =>
            world.activities.length === 0 ? undefined : Math.max(...world.activities)),
        setDesiredCapacity: (n) => call("SetDesiredCapacity", () => setDesired(world, n, "scaler")),
        setInstanceProtection: (ids, protect) => call("SetInstanceProtection", () => setInstanceProtection(world, ids, protect, "scaler"),
            () => AWS_WIRE.setInstanceProtection(ids.length)),
        spotLaunchFailures: (since) => call("DescribeScalingActivities", () =>
            world.launchFailures.filter((f) => f.at >= since).reverse().map((f) => ({ ...f }))),
        setOnDemandBase: (base) => call("UpdateAutoScalingGroup", () => {
            world.log("scaler", `On-Demand base ${world.group.onDemandBaseCapacity} → ${base}`);
            world.group.onDemandBaseCapacity = base;
        }, () => AWS_WIRE.setOnDemandBase()),
        recordFallback: (baseline) => call("CreateOrUpdateTags", () => {
            if (baseline === undefined) delete world.group.tags[FALLBACK_TAG];
            else world.group.tags[FALLBACK_TAG] = String(baseline);
        }, () => AWS_WIRE.recordTag(baseline === undefined)),
        recordSurge: (baseline) => call("CreateOrUpdateTags", () => {
            if (baseline === undefined) delete world.group.tags[SURGE_TAG];
            else world.group.tags[SURGE_TAG] = String(baseline);
        }, () => AWS_WIRE.recordTag(baseline === undefined)),
        recordHalt: (halt) => call("CreateOrUpdateTags", () => {
            if (halt === undefined) delete world.group.tags[HALT_TAG];
            else world.group.tags[HALT_TAG] = haltTagValue(halt);
        }, () => AWS_WIRE.recordTag(halt === undefined)),
        terminateInstance: (id, decrement) => call("TerminateInstanceInAutoScalingGroup", () => terminateInGroup(world, id, decrement, "scaler")),
        recordHookHeartbeat: (id, hook) => call("RecordLifecycleActionHeartbeat", () => recordHeartbeat(world, id, hook)),
        completeHookAction: (id, hook, result) => call("CompleteLifecycleAction", () => completeAction(world, id, hook, result, "scaler")),
    };
}
