// The planner: observed state and policy in, a list of actions with reasons out. Pure: no AWS, no
// Pulumi, no clock, no randomness. Each phase decides in a file of its own; this file says the order
// of the phases and which holds back which.
import { Observed, Plan } from "../model";
import { Policy } from "../settings";
import { isLow, PlanContext, planContext, readings } from "./context";
import { boundedDesired, Decision, isLive, isOutdated, isStray, NOTHING, registeredOf } from "./fleet";
import { rolloutGuard } from "./guard";
import { planHeal } from "./heal";
import { planAged } from "./maintenance";
import { heldForHook, hookHoldsTasks, ownHook, planHookDrains, planHookRoom } from "./hooks";
import { drainsHoldingServicesShort } from "./relief";
import { planReplacements } from "./replacement";
import { planExcess, planScaleInPhase } from "./scaleIn";
import { desiredAfter, launchingCount, planBounds, planScaleOut, planUnplaced } from "./scaleOut";
import { planSettle } from "./settle";
import { planSpotCapacity } from "./spotFallback";

export { STRAY_GRACE_SECONDS } from "./fleet";

/** Whether any of `decisions` acts. */
function anyAction(...decisions: Decision[]): boolean {
    return decisions.some((d) => d.actions.length > 0);
}

/** Whether any of `decisions` changes desired capacity or drains. */
function changesCapacity(...decisions: Decision[]): boolean {
    return decisions.some((d) => d.actions.some((a) => a.kind === "set-desired" || a.kind === "drain"));
}

/**
 * Plans one reconcile. The phases, in order of precedence:
 * 1. the group's bounds (a raised minSize) and the On-Demand base (Spot fallback and back);
 * 2. tasks ECS cannot place, then reservations above their high thresholds, then room for the tasks of
 *    instances waiting in the scaler's hook (hooks.ts): only when (1) does nothing;
 * 3. replacement of outdated, stray and fallback instances: always, surging from (2)'s desired capacity;
 * 4. the excess above desired capacity: only when nothing before acts and no replacement or surge is under way;
 * 5. scale-in: only when nothing before changes desired capacity or drains, and nothing is replaced;
 *    (4) and (5) also wait while instances the group is terminating still hold tasks (hooks.ts);
 * 6. undoing drains no longer needed, or that hold a service short (relief.ts), and protecting
 *    instances, which run first;
 * 0. before everything, the drains of instances the group is terminating while the scaler's own
 *    termination hook holds them (hooks.ts): they start at once and are looked at until the run ends.
 * Actions come in the order they must run; `notes` say what was held back and why.
 */
export function plan(observed: Observed, p: Policy, now: number = observed.now): Plan {
    const ctx = planContext(observed, p, now);
    const notices = planNotices(ctx);
    const bounds = planBounds(ctx);
    const spot = planSpotCapacity(ctx.o, p, now);
    const unplaced = anyAction(bounds, spot) ? NOTHING : planUnplaced(ctx);
    const scaleOut = anyAction(bounds, spot, unplaced) ? NOTHING : planScaleOut(ctx);
    const room = anyAction(bounds, spot, unplaced, scaleOut) ? NOTHING : planHookRoom(ctx, launchingCount(ctx));
    const undone = drainsHoldingServicesShort(ctx);
    const aged = planAged(ctx.o, p, now);
    const heal = planHeal(ctx.o, p, now);
    const guard = rolloutGuard(ctx.o, p, spot.revert.length > 0 || outdatedOrStray(ctx.o) || aged.aged.length > 0 || heal.due.length > 0);
    const replacement = planReplacements(ctx, spot.revert, desiredAfter(ctx, [unplaced, scaleOut, room].find((d) => d.actions.length > 0) ?? NOTHING), undone,
        { guardHold: guard.hold, aged: aged.aged, healing: heal.due, hold: heal.hold });
    // Instances the group is terminating still hold tasks that need the room the others have.
    const hookBusy = hookHoldsTasks(ctx.o);
    const excess = anyAction(bounds, spot, unplaced, scaleOut, room, replacement) || replacement.replaceNow.length > 0 || ctx.o.surgeBaseline !== undefined
        || hookBusy ? NOTHING : planExcess(ctx, undone);
    const scaleIn = heldForHook(ctx, hookBusy,
        planScaleInPhase(ctx, replacement, excess, changesCapacity(bounds, spot, unplaced, scaleOut, room, replacement, excess) || hookBusy, undone));
    const halts: Decision = { actions: guard.actions, notes: [...aged.notes, ...heal.notes, ...guard.notes] };
    const phases = [bounds, spot, unplaced, scaleOut, room, replacement, excess, scaleIn, halts];
    const planned = phases.flatMap((d) => d.actions);
    const settle = planSettle(ctx, [...replacement.undrain, ...scaleIn.undrain], replacement.held, planned, undone);
    // Undrains run first: the instances they put back ACTIVE count toward a scale-out's wait.
    const undrained = settle.actions.filter((a) => a.kind === "undrain").length;
    const hooked = planHookDrains(ctx.o);
    const own = ownHook(ctx.o);
    const replaces = replacement.actions.some((a) => a.kind === "drain" && a.purpose === "replace");
    return {
        ...(own === undefined ? {} : { terminationHook: { name: own.name, heartbeatSeconds: own.heartbeatTimeoutSeconds } }),
        ...(replaces && guard.rollout !== undefined ? { rollout: guard.rollout } : {}),
        // Marks of disconnected agents go first: they keep when each was first seen, whatever fails after.
        actions: [...hooked.actions, ...heal.actions, ...settle.actions, ...planned.map((a) => a.kind === "set-desired" && a.cause === "scale-out" && undrained > 0
            ? { ...a, waitForActive: a.waitForActive + undrained } : a)],
        notes: [...notices.notes, ...phases.flatMap((d) => d.notes), ...settle.notes],
    };
}

/** What the plan says of the cluster whatever it decides: unsafe group settings, foreign drains, bounds not applied yet, missing data. */
function planNotices(ctx: PlanContext): Decision {
    const { o, c, r } = ctx;
    const notes: string[] = [];
    notes.push(...hookNotices(ctx.o));
    for (const i of c.foreignDraining) {
        notes.push(`${i.instanceId} is DRAINING but not by the scaler (Spot interruption notice or an operator): left alone`);
    }
    for (const bound of ["minSize", "maxSize"] as const) {
        const held = o.groupBounds?.[bound];
        if (held !== undefined && held !== ctx.declared[bound]) {
            notes.push(`${bound} ${ctx.declared[bound]} as declared: the group holds ${held} until a full \`pulumi up\` applies it (a run of the scaler alone does not)`
                + (o[bound] !== ctx.declared[bound] ? `; planned within the group's ${held}` : ""));
        }
    }
    if (o.otherLaunchFailure !== undefined) {
        notes.push(`a launch failed at ${new Date(o.otherLaunchFailure.at).toISOString()} for a reason that is not Spot capacity, `
            + `so no reason to fall back to On-Demand: ${o.otherLaunchFailure.message}`);
    }
    if ((r.cpu === undefined || r.memory === undefined) && c.registered.length > 0) {
        notes.push(`no scaling decision: fewer than ${ctx.p.scaling.evaluationMinutes} minutes of reservation data`);
    }
    return { actions: [], notes };
}

/**
 * What holds an instance the group terminates on its own (Capacity Rebalancing, a failed health check,
 * an instance refresh): the group's termination lifecycle hooks, read at every run.
 */
function hookNotices(o: Observed): string[] {
    const hooks = o.terminationHooks;
    if (hooks === undefined) return [];
    if (hooks.length === 0) {
        const provider = o.managedDrainingProviders.length === 0 ? ""
            : `; capacity provider ${o.managedDrainingProviders.join(", ")} has managed draining on, but ECS puts its hook on the group only `
                + "while the capacity provider is associated with the cluster";
        return [`no termination lifecycle hook on the group: an instance it terminates on its own (${o.capacityRebalance === true
            ? "Capacity Rebalancing is on, " : ""}a failed health check, an instance refresh) goes without a drain${provider}`];
    }
    const abandon = hooks.filter((h) => h.defaultResult === "ABANDON");
    if (abandon.length === 0 || hooks.length === 1) return [];
    return [`termination hook ${abandon.map((h) => h.name).join(", ")} defaults to ABANDON: when it times out, the group skips the other hooks `
        + `(${hooks.filter((h) => h.defaultResult !== "ABANDON").map((h) => h.name).join(", ") || "the other ABANDON ones"}) and terminates the instance`];
}

/**
 * Whether any instance may be replaced: outdated, a stray, On-Demand left by a fallback (`reverting`),
 * or past the maximum age with the maintenance window open.
 */
export function replacementPossible(o: Observed, p: Policy): boolean {
    return o.fallbackBaseline !== undefined || outdatedOrStray(o) || dueForAgeOrHeal(o, p, o.now);
}

/** Whether a live instance is on an outdated template or type, or a stray. */
function outdatedOrStray(o: Observed): boolean {
    return o.instances.some((i) => isLive(i) && (isOutdated(i, o) || isStray(i, o, o.now)));
}

/** Whether an instance is due for replacement for its age (in the maintenance window) or its disconnected agent. */
function dueForAgeOrHeal(o: Observed, p: Policy, now: number): boolean {
    return planAged(o, p, now).aged.length > 0 || planHeal(o, p, now).due.length > 0;
}

/**
 * Whether the plan needs task details (sizes and placement) to decide: only when a scale-in, an
 * excess drain or a replacement is possible. Everything else works from the container instances' counters.
 */
export function needsTasks(o: Observed, p: Policy, now: number = o.now): boolean {
    const excess = o.instances.filter(isLive).length > boundedDesired(o);
    // A replacement holds victims whose tasks are bound (memberOf) to what no other instance offers.
    const replacing = o.instances.some((i) => isLive(i) && isOutdated(i, o)) || o.fallbackBaseline !== undefined || dueForAgeOrHeal(o, p, now);
    // Whether the tasks of instances waiting in the scaler's hook fit on the others (planHookRoom).
    return excess || replacing || isLow(registeredOf(o).length, readings(o, p, now), p) || hookHoldsTasks(o);
}
