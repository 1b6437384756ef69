// Drains that hold a service short: a service has tasks ECS cannot place, nothing new is on its way to
// make room, and the scaler holds instances DRAINING. Their room is what the service lacks, so the
// drains are undone, and their replacement or scale-in waits for room.
import { plural } from "../render";
import { PlanContext } from "./context";
import { ObservedInstance } from "../model";
import { Registered, STRAY_GRACE_SECONDS } from "./fleet";

/** The scaler's drains to undo, each with why. */
export function drainsHoldingServicesShort(ctx: PlanContext): Map<Registered, string> {
    const { o, c, now } = ctx;
    const unplaced = o.unplaced ?? [];
    const undo = new Map<Registered, string>();
    if (unplaced.length === 0 || c.ourDraining.length === 0) return undo;
    // Instances launching, or in service but still within their grace to register, may bring the room.
    const arriving = (i: ObservedInstance) => i.container === undefined
        && (i.asgState.startsWith("Pending") || (i.launchTime !== undefined && now - i.launchTime <= STRAY_GRACE_SECONDS * 1000));
    if (c.live.some(arriving)) return undo;
    const why = unplaced.map((u) => `service ${u.name} cannot place ${plural(u.missing, "task")} (ECS: ${u.event})`).join("; ");
    // A Spot instance with its interruption notice goes anyway: its drain stays.
    for (const i of c.ourDraining) if (!i.spotInterrupted) undo.set(i, `${why}, and nothing new is launching: the drain gives back its room`);
    return undo;
}
