// Termination lifecycle hooks, as the simulator plays them. An instance the group terminates waits in
// Terminating:Wait until every hook on the group has let it go:
// - ECS's managed-draining hook (a capacity provider with managed draining attached): ECS sets the
//   container instance DRAINING and completes the action once no task on it is left, or after 48 hours;
// - the scaler's own hook (`world.ownHook`): it waits for CompleteLifecycleAction. Each heartbeat
//   (RecordLifecycleActionHeartbeat) restarts its heartbeat timeout; when that runs out, or after 48
//   hours or 100 × the heartbeat timeout, whichever is smaller, its default result applies.
// CONTINUE from every hook terminates the instance. ABANDON from any one skips the others; the group
// then terminates it, or, with an instance lifecycle policy retaining on TerminateHookAbandon, moves it
// to Terminating:Retained: out of desired capacity (the group launches a replacement) until
// TerminateInstanceInAutoScalingGroup. A Spot reclaim does not wait for any hook (autoScaling.ts).
import { TerminationHook } from "../model";
import { terminate } from "./termination";
import { Actor, ECS_HOOK, SimInstance, SimState } from "./state";

/** Hours an instance may wait in a termination hook at most (and 100 × the hook's heartbeat timeout, if smaller). */
export const HOOK_CAP_HOURS = 48;

/** How long an instance may wait in `hook` from its start, whatever the heartbeats. */
export function hookCapMs(hook: TerminationHook): number {
    return Math.min(HOOK_CAP_HOURS * 3600, 100 * hook.heartbeatTimeoutSeconds) * 1000;
}

/** The termination begins: the instance waits in every hook on the group, or goes now when there is none. */
export function enterHooks(w: SimState, inst: SimInstance, actor: Actor): void {
    const hooks = w.terminationHooks();
    if (hooks.length === 0) {
        terminate(w, inst, actor);
        return;
    }
    inst.asgState = "Terminating";
    inst.hookStartedAt = w.now;
    inst.hookBeatAt = w.now;
    inst.hookActor = actor;
    inst.pendingHooks = hooks.map((h) => h.name);
    if (w.managedDraining && inst.container?.status === "ACTIVE") inst.container.status = "DRAINING";
    w.activities.push(w.now);
    w.log(actor, `terminate ${inst.id}: waits in lifecycle hook${hooks.length > 1 ? "s" : ""} ${hooks.map((h) => h.name).join(", ")}`);
}

/** One tick of every instance waiting in a hook: ECS's hook completes on an empty instance; the scaler's times out. */
export function advanceTerminationHooks(w: SimState): void {
    for (const inst of w.instances.values()) {
        if (inst.asgState !== "Terminating" || inst.pendingHooks === undefined) continue;
        if (inst.pendingHooks.includes(ECS_HOOK.name)) {
            if (inst.container?.status === "ACTIVE") inst.container.status = "DRAINING";
            const empty = w.tasksOn(inst.id).length === 0;
            if (empty || w.now - inst.hookStartedAt! >= hookCapMs({ ...ECS_HOOK, heartbeatTimeoutSeconds: Infinity })) {
                w.log("ecs", `complete lifecycle action for ${inst.id}${empty ? "" : ` after ${HOOK_CAP_HOURS} h`}`);
                letGo(w, inst, ECS_HOOK.name);
                if (inst.pendingHooks === undefined) continue;
            }
        }
        const own = w.ownHook;
        if (own !== undefined && inst.pendingHooks.includes(own.name)) {
            const timedOut = w.now >= inst.hookBeatAt! + own.heartbeatTimeoutSeconds * 1000;
            const capped = w.now >= inst.hookStartedAt! + hookCapMs(own);
            if (timedOut || capped) {
                w.log("asg", `lifecycle hook ${own.name} of ${inst.id} ${capped ? "reached its global timeout" : "timed out without a heartbeat"}: `
                    + `default result ${own.defaultResult}`);
                w.hookTimeouts.push({ instanceId: inst.id, at: w.now, result: own.defaultResult, tasks: w.tasksOn(inst.id).length });
                if (own.defaultResult === "ABANDON") abandon(w, inst);
                else letGo(w, inst, own.name);
            }
        }
    }
}

/** RecordLifecycleActionHeartbeat. */
export function recordHeartbeat(w: SimState, id: string, hook: string): void {
    const inst = waitingIn(w, id, hook);
    inst.hookBeatAt = w.now;
}

/** CompleteLifecycleAction. */
export function completeAction(w: SimState, id: string, hook: string, result: "CONTINUE" | "ABANDON", actor: Actor): void {
    const inst = waitingIn(w, id, hook);
    w.log(actor, `complete lifecycle action ${hook} for ${inst.id}: ${result}`);
    if (result === "ABANDON") abandon(w, inst);
    else letGo(w, inst, hook);
}

/** The instance waiting in `hook`, or Auto Scaling's error when none is. */
function waitingIn(w: SimState, id: string, hook: string): SimInstance {
    const inst = w.instances.get(id);
    if (inst === undefined || inst.asgState !== "Terminating" || !(inst.pendingHooks ?? []).includes(hook)) {
        throw Object.assign(new Error(`No active Lifecycle Action found with instance ID ${id}`), { name: "ValidationError" });
    }
    return inst;
}

/** One hook lets the instance go; it terminates when none holds it any more. */
function letGo(w: SimState, inst: SimInstance, hook: string): void {
    inst.pendingHooks = inst.pendingHooks!.filter((h) => h !== hook);
    if (inst.pendingHooks.length > 0) return;
    inst.pendingHooks = undefined;
    terminate(w, inst, inst.hookActor ?? "asg");
}

/** ABANDON: the other hooks are skipped; the instance is retained when the group's policy says so, else terminated. */
function abandon(w: SimState, inst: SimInstance): void {
    inst.pendingHooks = undefined;
    inst.holdsDesired = false;
    if (w.retainOnAbandon) {
        inst.asgState = "Retained";
        inst.retainedAt = w.now;
        w.activities.push(w.now);
        w.log("asg", `${inst.id} retained (Terminating:Retained): its termination hook ended in ABANDON; it no longer counts toward desired capacity`);
        return;
    }
    inst.abandoned = true;
    terminate(w, inst, inst.hookActor ?? "asg");
}
