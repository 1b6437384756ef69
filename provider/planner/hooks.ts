// Instances the group is terminating while the scaler's own termination lifecycle hook holds them
// (Terminating:Wait), and those the group retained after the hook ended in ABANDON
// (Terminating:Retained): each is drained like any victim of the scaler and then let go. Whoever
// started the termination (Capacity Rebalancing, a health check, an instance refresh, a lowered
// desired capacity, an operator), it goes through here.
import { Action, HOOK_WAIT_STATE, HookVictim, Observed, ObservedInstance, RETAINED_STATE, TERMINATION_HOOK_NAME } from "../model";
import { plural } from "../render";
import { PlanContext } from "./context";
import { Decision, NOTHING, taskCount } from "./fleet";

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
    const victims = held.map((i): HookVictim => ({
        instanceId: i.instanceId,
        ...(i.container === undefined ? {} : { containerInstanceArn: i.container.arn }),
        tasks: taskCount(i),
        retained: i.asgState === RETAINED_STATE,
        ...(i.container?.drainMark === "hook" && i.container.drainSince !== undefined ? { drainSince: i.container.drainSince } : {}),
    }));
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
