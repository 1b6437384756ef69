// An instance's end: EC2 terminates it, and every task still on it dies with it. The group's
// terminations (autoScaling.ts), its lifecycle hooks (lifecycleHooks.ts) and Spot reclaims end here.
import { finishStop } from "./ecs";
import { Actor, SimInstance, SimState } from "./state";

/** Terminates an instance: its remaining tasks die with it. */
export function terminate(w: SimState, inst: SimInstance, actor: Actor): void {
    const alive = w.tasksOn(inst.id);
    // With a termination hook on the group, its own terminations are drained first (until the hook's cap);
    // one whose hook ended in ABANDON without retention is the hook's default result, counted in hookTimeouts.
    if (actor === "asg" && w.terminationHooks().length > 0 && !inst.abandoned && alive.length > 0) {
        w.violation(`the group terminated ${inst.id} with ${alive.length} task(s) on it: ${alive.map((t) => t.family).join(", ")}`);
    }
    if (actor === "scaler") {
        if (alive.length > 0) w.violation(`scaler terminated ${inst.id} with ${alive.length} task(s) on it: ${alive.map((t) => t.family).join(", ")}`);
        for (const [arn, targets] of w.targetGroups) {
            if (targets.has(inst.id)) w.violation(`scaler terminated ${inst.id} while it was ${targets.get(inst.id)!.state} in ${arn}`);
        }
    }
    for (const t of alive) finishStop(w, t, "killed", actor);
    for (const s of new Set(alive.map((t) => t.service).filter((s): s is string => s !== undefined))) {
        if (actor !== "scaler") w.services.get(s)!.externalDebt += alive.filter((t) => t.service === s && t.status === "STOPPED").length;
    }
    inst.asgState = "Terminated";
    inst.terminatedAt = w.now;
    inst.terminatedBy = actor;
    inst.hookStartedAt = undefined;
    inst.pendingHooks = undefined;
    if (inst.container !== undefined) inst.container.status = "INACTIVE";
    for (const targets of w.targetGroups.values()) targets.delete(inst.id);
    w.activities.push(w.now);
    w.log(actor, `terminate ${inst.id}${alive.length > 0 ? ` killing ${alive.length} task(s)` : ""}`);
}
