// Instances the group is terminating while the scaler's own termination lifecycle hook holds them
// (Terminating:Wait), and those the group retained after the hook ended in ABANDON
// (Terminating:Retained): each is drained like any victim of the scaler and then let go. Whoever
// started the termination (Capacity Rebalancing, a health check, an instance refresh, a lowered
// desired capacity, an operator), it goes through here.
import { Action, HOOK_WAIT_STATE, hookVictimOf, isMeantToRun, Observed, ObservedInstance, RETAINED_STATE, TERMINATION_HOOK_NAME } from "../model";
import { plural } from "../render";
import { PlanContext } from "./context";
import { Decision, NOTHING, taskCount } from "./fleet";
import { roomOf } from "./room";
import { atHighThresholds, typicalInstance } from "./scaleOut";

/** The scaler's hook as the group holds it now, or undefined when it is not on the group. */
export function ownHook(o: Observed) {
    return o.terminationHooks?.find((h) => h.name === TERMINATION_HOOK_NAME);
}

/** Whether the scaler's hook holds `i` (or held it: a retained instance). */
function isHeld(i: ObservedInstance, o: Observed): boolean {
    return i.asgState === RETAINED_STATE || (i.asgState === HOOK_WAIT_STATE && ownHook(o) !== undefined);
}

/** The drains of instances held in the scaler's hook, or retained by the group: one action, first in the plan. */
export function planHookDrains(o: Observed): Decision {
    const held = o.instances.filter((i) => isHeld(i, o)).sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    if (held.length === 0) return NOTHING;
    const victims = held.map((i) => hookVictimOf(i.instanceId, i.container, i.asgState === RETAINED_STATE));
    const waiting = victims.filter((v) => !v.retained).length;
    const retained = victims.length - waiting;
    const parts = [
        ...(waiting === 0 ? [] : [`${plural(waiting, "instance")} the group is terminating, held in termination hook ${TERMINATION_HOOK_NAME}`]),
        ...(retained === 0 ? [] : [`${plural(retained, "instance")} the group retained after that hook ended in ABANDON`]),
    ];
    // Only retained instances, and the hook gone from the group: they need no heartbeat.
    const action: Action = { kind: "hook-drain", hook: TERMINATION_HOOK_NAME, heartbeatSeconds: ownHook(o)?.heartbeatTimeoutSeconds ?? 3600, victims,
        reason: `drain ${parts.join(", and ")}` };
    return { actions: [action], notes: [] };
}

/** Whether an instance the scaler's hook holds, or a retained one, still has tasks: they need the room the others have. */
export function hookHoldsTasks(o: Observed): boolean {
    return o.instances.some((i) => isHeld(i, o) && taskCount(i) > 0);
}

/** The scale-in phase, held while such instances drain (an instance it would remove is where their tasks go), saying so. */
export function heldForHook<D extends Decision>(ctx: PlanContext, busy: boolean, scaleIn: D): D {
    if (!busy || !ctx.low) return scaleIn;
    return { ...scaleIn, notes: [...scaleIn.notes, `scale-in held: ${ctx.lowText}, but instances the group is terminating still hold tasks that need the room`] };
}

/**
 * Room for the tasks of instances waiting in the scaler's hook: they still count toward desired
 * capacity (the group launches their replacements only once they are gone), so their tasks must fit on
 * the ACTIVE instances. When they do not (by CPU, memory and ECS's placement rules, with task details),
 * desired capacity goes up by what they need, sized like the registered instances filled to the high
 * thresholds, less the instances already launching; otherwise the drain would wait to its timeout and
 * the instance be retained. maxSize bounds it, and the plan says so.
 */
export function planHookRoom(ctx: PlanContext, launching: number): Decision {
    const { o, c } = ctx;
    if (ownHook(o) === undefined || o.tasks === undefined) return NOTHING;
    const waiting = o.instances.filter((i) => i.asgState === HOOK_WAIT_STATE && i.container !== undefined && taskCount(i) > 0);
    if (waiting.length === 0) return NOTHING;
    const tasks = waiting.flatMap((i) => (c.tasksOn.get(i.container!.arn) ?? []).filter((t) => isMeantToRun(t) && !t.daemon));
    if (tasks.length === 0 || roomOf(c.active, c.tasksOn).place(tasks) !== undefined) return NOTHING;
    const size = typicalInstance(ctx);
    if (size === undefined) return NOTHING;
    const { cpu, memory } = atHighThresholds(ctx, size, tasks.reduce((n, t) => n + t.cpu, 0), tasks.reduce((n, t) => n + t.memory, 0));
    const needed = Math.max(1, Math.ceil(Math.max(cpu, memory) - 1e-9)) - launching;
    const base = Math.max(o.desired, c.live.length);
    const want = Math.min(o.maxSize, base + needed);
    const why = `room for the tasks of ${plural(waiting.length, "instance")} the group is terminating (${plural(tasks.length, "task")} that fit on no ACTIVE instance)`;
    if (needed <= 0) return NOTHING;
    if (want <= base) return { actions: [], notes: [`no ${why}: maxSize ${o.maxSize} is reached: raise maxSize to ${base + needed}`] };
    return { notes: [], actions: [{ kind: "set-desired", cause: "scale-out", from: o.desired, to: want, waitForActive: c.active.length + (want - base),
        reason: `scale out ${o.desired} → ${want}: ${why}` }] };
}
