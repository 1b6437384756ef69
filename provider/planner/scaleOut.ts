// Adding capacity: up to the group's minSize, for tasks ECS cannot place, and when a reservation is
// sustained above its high threshold.
import { sustainedAbove } from "../metrics";
import { plural } from "../render";
import { PlanContext } from "./context";
import { Decision, NOTHING } from "./fleet";

/** A raised minSize: the group launches up to it by itself; the plan says so and waits for the instances. */
export function planBounds(ctx: PlanContext): Decision {
    const { o, c, observedDesired } = ctx;
    if (o.desired <= observedDesired) return NOTHING;
    return { notes: [], actions: [{
        kind: "set-desired", cause: "scale-out", from: observedDesired, to: o.desired,
        waitForActive: c.active.length + (o.desired - c.registered.length),
        reason: `scale out ${observedDesired} → ${o.desired}: minSize ${o.minSize}`,
    }] };
}

/**
 * Tasks ECS cannot place reserve nothing, so the reservation never asks for them: ask for them here,
 * cooldown or not (once the last activity's instances serve, waiting does not place them).
 */
export function planUnplaced(ctx: PlanContext): Decision {
    const { o, c } = ctx;
    const unplaced = o.unplaced ?? [];
    if (unplaced.length === 0) return NOTHING;
    const missing = Math.max(...unplaced.map((u) => u.missing));
    const want = Math.min(o.maxSize, o.desired + missing);
    const why = unplaced.map((u) => `service ${u.name} cannot place ${plural(u.missing, "task")} (ECS: ${u.event})`).join("; ");
    // At maxSize the plan names the short services whatever else it says of the reservations.
    if (want <= o.desired) return { actions: [], notes: [`${why}; maxSize ${o.maxSize} is reached: raise maxSize to ${o.desired + missing}`] };
    // Reservations above their thresholds scale out by themselves, sized by what they reserve
    // (planScaleOut), unless the cooldown holds that: tasks that cannot be placed do not wait for it.
    if (ctx.high.length > 0 && ctx.cooldownLeft <= 0) return NOTHING;
    const launching = o.desired - c.registered.length;
    if (launching > 0) return { actions: [], notes: [`scale-out held: ${why}, and ${plural(launching, "instance")} are still launching`] };
    return { notes: [], actions: [{
        kind: "set-desired", cause: "scale-out", from: o.desired, to: want, waitForActive: c.active.length + (want - o.desired),
        reason: `scale out ${o.desired} → ${want}: ${why}`,
    }] };
}

/** A reservation sustained above its high threshold: enough instances to bring it back, unless held. */
export function planScaleOut(ctx: PlanContext): Decision {
    const { o, c, high } = ctx;
    const s = ctx.p.scaling;
    if (high.length === 0) return NOTHING;
    const launching = o.desired - c.registered.length;
    const want = scaleOutTarget(ctx);
    if (ctx.cooldownLeft > 0) {
        return { actions: [], notes: [`scale-out held: ${high.join(", ")}, but the last scaling activity is within the ${s.cooldownSeconds} s cooldown `
            + `(${ctx.cooldownLeft} s left)`] };
    }
    if (launching > 0) return { actions: [], notes: [`scale-out held: ${high.join(", ")}, and ${plural(launching, "instance")} are still launching`] };
    if (want <= o.desired) return { actions: [], notes: [`scale-out held: ${high.join(", ")}, but maxSize ${o.maxSize} is reached`] };
    return { notes: [], actions: [{
        kind: "set-desired", cause: "scale-out", from: o.desired, to: want,
        waitForActive: c.active.length + (want - o.desired),
        reason: `scale out ${o.desired} → ${want}: ${high.join(", ")}`,
    }] };
}

/** Desired capacity after a scale-out of this plan, or as it is. */
export function desiredAfter(ctx: PlanContext, scaleOut: Decision): number {
    const a = scaleOut.actions.find((x) => x.kind === "set-desired");
    return a?.kind === "set-desired" ? a.to : ctx.o.desired;
}

/** Enough instances to bring every reservation above its high threshold back to it, at least one step, at most maxSize. */
function scaleOutTarget(ctx: PlanContext): number {
    const { o, p, r } = ctx;
    let ratio = 0;
    if (sustainedAbove(r.cpu, p.scaling.cpuHighPercent)) ratio = Math.max(ratio, r.cpu!.mean / p.scaling.cpuHighPercent);
    if (sustainedAbove(r.memory, p.scaling.memoryHighPercent)) ratio = Math.max(ratio, r.memory!.mean / p.scaling.memoryHighPercent);
    const needed = Math.ceil(ctx.c.registered.length * ratio - 1e-9);
    return Math.min(o.maxSize, Math.max(needed, o.desired + p.scaling.scaleOutStep));
}
