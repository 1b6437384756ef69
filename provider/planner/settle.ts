// What runs before the rest of the plan: drains of earlier runs that are no longer needed are undone,
// stale drain marks cleared, and instances launched before the group protected new ones protected.
import { Action, ObservedInstance } from "../model";
import { plural } from "../render";
import { PlanContext } from "./context";
import { Decision, Registered, versionLabel } from "./fleet";

/**
 * Undoes the drains in `undrain` (from the replacement and scale-in phases, in that order) but those
 * of Spot instances about to be interrupted, clears drain marks left on ACTIVE instances that
 * `planned` does not drain, and protects unprotected instances. `held`: replacement victims held back;
 * `undone`: drains that hold a service short, with why.
 */
export function planSettle(ctx: PlanContext, undrain: Registered[], held: Map<ObservedInstance, string>, planned: Action[],
    undone: Map<Registered, string>): Decision {
    const { c, low } = ctx;
    // A Spot instance with its interruption notice goes within two minutes: tasks put back on it would die.
    const notes = undrain.filter((x) => x.spotInterrupted)
        .map((i) => `${i.instanceId} stays DRAINING although its drain is no longer needed: its Spot interruption notice has been given`);
    // A drain mark on an ACTIVE instance was left by a run stopped between marking and DRAINING; clear
    // it, or a later drain by someone else (a Spot notice, an operator) would look like the scaler's.
    const victims = new Set(planned.flatMap((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : []));
    // A heal mark stays while the agent is disconnected: it keeps when that was first seen.
    const staleMarks = c.registered.filter((i) => i.container.status === "ACTIVE" && i.container.drainMark !== undefined && !victims.has(i.instanceId)
        && !(i.container.drainMark === "heal" && !i.container.agentConnected));
    const undrainActions: Action[] = [...undrain.filter((x) => !x.spotInterrupted).map((i): Action => ({
        kind: "undrain",
        instanceId: i.instanceId,
        containerInstanceArn: i.container.arn,
        reason: undone.has(i) ? `undrain ${i.instanceId}: ${undone.get(i)}`
            : i.container.drainMark === "replace" ? (held.has(i) ? `undrain ${i.instanceId}: its replacement is held (see the note)` : `undrain ${i.instanceId}: launch template ${versionLabel(i)} is current again`)
            : `undrain ${i.instanceId}: scale-in no longer needed (${low ? "its tasks no longer fit on the rest" : "reservation is not below the low thresholds"})`,
    })), ...staleMarks.map((i): Action => ({
        kind: "undrain",
        instanceId: i.instanceId,
        containerInstanceArn: i.container.arn,
        reason: i.container.drainMark === "heal" ? `clear the disconnection mark on ${i.instanceId}: its agent is connected again`
            : `clear the drain mark on ACTIVE ${i.instanceId}: left by a run that stopped before draining it`,
    }))];
    // The group protects what it launches; instances launched before that get protected here, so
    // that the group can never pick a busy instance when it scales in by itself.
    const unprotected = c.live.filter((i) => i.protectedFromScaleIn === false).map((i) => i.instanceId).sort();
    const protect: Action[] = unprotected.length === 0 ? [] : [{
        kind: "protect", instanceIds: unprotected,
        reason: `protect ${plural(unprotected.length, "instance")} from the group's own scale-in: ${unprotected.join(", ")}`,
    }];
    return { actions: [...protect, ...undrainActions], notes };
}
