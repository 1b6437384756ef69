// An instance's end: EC2 terminates it, and every task still on it dies with it. The group's
// terminations (autoScaling.ts), its lifecycle hooks (lifecycleHooks.ts) and Spot reclaims end here.
import { finishStop } from "./ecs";
import { Actor, SimInstance, SimState, SimTask } from "./state";

/** Terminates an instance: its remaining tasks die with it. */
export function terminate(w: SimState, inst: SimInstance, actor: Actor): void {
    const alive = w.tasksOn(inst.id);
    // An instance whose agent is disconnected cannot be drained by anyone: when the scaler (or the group,
    // its hook let go by the scaler) terminates it, its tasks end with it (named in the plan and the log),
    // a loss the disconnection caused, counted apart (`healed`).
    if (inst.container !== undefined && !inst.container.agentConnected && (actor === "scaler" || actor === "asg") && alive.length > 0) {
        for (const t of alive) t.healed = true;
        for (const [arn, targets] of w.targetGroups) {
            if (targets.has(inst.id)) w.violation(`scaler terminated ${inst.id} while it was ${targets.get(inst.id)!.state} in ${arn}`);
        }
        for (const s of new Set(alive.map((t) => t.service).filter((x): x is string => x !== undefined))) {
            w.services.get(s)!.externalDebt += alive.filter((t) => t.service === s).length;
        }
        finishKilled(w, inst, alive, actor);
        return;
    }
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
    gone(w, inst, actor, alive.length);
}

/** The healing termination of an instance whose agent is disconnected: its tasks end with it, no invariant broken. */
function finishKilled(w: SimState, inst: SimInstance, alive: SimTask[], actor: Actor): void {
    for (const t of alive) finishStop(w, t, "killed", actor);
    gone(w, inst, actor, alive.length);
}

/** The instance is gone: terminated, out of its target groups, its container instance INACTIVE. */
function gone(w: SimState, inst: SimInstance, actor: Actor, killed: number): void {
    inst.asgState = "Terminated";
    inst.terminatedAt = w.now;
    inst.terminatedBy = actor;
    inst.hookStartedAt = undefined;
    inst.pendingHooks = undefined;
    // ECS deregisters the container instance of a terminated instance only while its agent is connected (E7).
    if (inst.container !== undefined && inst.container.agentConnected) inst.container.status = "INACTIVE";
    for (const targets of w.targetGroups.values()) targets.delete(inst.id);
    w.activities.push(w.now);
    w.log(actor, `terminate ${inst.id}${killed > 0 ? ` killing ${killed} task(s)` : ""}`);
}
