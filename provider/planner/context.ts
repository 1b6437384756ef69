// What every phase of the plan reads: the observation within the bounds both declared and held, its
// instances classified, the reservation readings over the evaluation window, and the cooldown.
import { METRIC_LAG_MINUTES, pct, statOf, sustainedAbove, sustainedBelow, WindowStat } from "../metrics";
import { Datapoint, Observed } from "../model";
import { Policy } from "../settings";
import { boundedDesired, Classified, classify, registeredOf } from "./fleet";

/** Metric readings over the evaluation window (scale-out) and over the scale-in delay. */
export interface Readings {
    cpu?: WindowStat;
    memory?: WindowStat;
    cpuIn?: WindowStat;
    memoryIn?: WindowStat;
}

export interface PlanContext {
    /**
     * The observation within the bounds both declared and held by the group: the tighter of each. A
     * full `pulumi up` applies the declared ones before the scaler runs, so there they are the same; a
     * run of the scaler alone leaves the group's, and Auto Scaling refuses a desired capacity outside them.
     */
    o: Observed;
    /** minSize and maxSize as declared (the observation's), for the notes. */
    declared: { minSize: number; maxSize: number };
    /** Desired capacity as observed, before the bounds. */
    observedDesired: number;
    p: Policy;
    now: number;
    c: Classified;
    r: Readings;
    /** Seconds of the scale-out cooldown left after the last scaling activity (0 or less: none). */
    cooldownLeft: number;
    /** Seconds of the scale-in cooldown left after the last scaling activity (0 or less: none). */
    scaleInCooldownLeft: number;
    /** Each reservation sustained above its high threshold, as the plan says it. */
    high: string[];
    /**
     * Both reservations have stayed low enough, over the scale-in delay, for one instance of the
     * registered ones to go within the scale-in target (consolidation may scale in).
     */
    low: boolean;
    /** How the plan says `low`; empty when not low. */
    lowText: string;
}

export function readings(o: Observed, p: Policy, now: number): Readings {
    const minutes = p.scaling.evaluationMinutes;
    const delay = p.scaling.scaleInAfterMinutes;
    const idle = idleMinutes(o, delay, now);
    return { cpu: statOf(o.metrics.cpu, now, minutes), memory: statOf(o.metrics.memory, now, minutes),
        cpuIn: statOf([...o.metrics.cpu, ...idle], now, delay), memoryIn: statOf([...o.metrics.memory, ...idle], now, delay) };
}

/**
 * ECS sends no reservation datapoint for a minute in which the cluster has no task RUNNING, so an idle
 * cluster's window stays empty and would never allow a scale-in. While no registered instance holds a
 * task, each minute of the scale-in window that has no datapoint counts as 0%: reserved nothing. A
 * minute with a datapoint keeps it.
 */
function idleMinutes(o: Observed, delay: number, now: number): Datapoint[] {
    const registered = registeredOf(o);
    if (registered.length === 0 || registered.some((i) => i.container.runningTasks + i.container.pendingTasks > 0)) return [];
    const seen = new Set([...o.metrics.cpu, ...o.metrics.memory].map((d) => Math.floor(d.time / 60_000)));
    const newest = Math.floor(now / 60_000) - 1;
    const out: Datapoint[] = [];
    for (let m = newest; m > newest - delay - METRIC_LAG_MINUTES; m--) if (!seen.has(m)) out.push({ time: m * 60_000, value: 0 });
    return out;
}

/**
 * The reservation below which one of `registered` instances of equal size can go and leave the
 * reservation within the scale-in target: target × (n − 1) / n. The scale-in itself checks each
 * victim against the target with the instances' own sizes.
 */
export function consolidationThreshold(registered: number, p: Policy): number {
    return registered <= 1 ? 0 : p.scaling.scaleInTargetPercent * (registered - 1) / registered;
}

/**
 * Whether both reservations stayed, over the scale-in delay, below the consolidation threshold of
 * `registered` instances (ACTIVE or DRAINING: those the reservation metrics count).
 */
export function isLow(registered: number, r: Readings, p: Policy): boolean {
    const threshold = consolidationThreshold(registered, p);
    return sustainedBelow(r.cpuIn, threshold) && sustainedBelow(r.memoryIn, threshold);
}

function highReadings(r: Readings, p: Policy): string[] {
    const out: string[] = [];
    const m = p.scaling.evaluationMinutes;
    if (sustainedAbove(r.cpu, p.scaling.cpuHighPercent)) out.push(`CPUReservation ${pct(r.cpu!.mean)} > ${p.scaling.cpuHighPercent}% over ${m} min`);
    if (sustainedAbove(r.memory, p.scaling.memoryHighPercent)) out.push(`MemoryReservation ${pct(r.memory!.mean)} > ${p.scaling.memoryHighPercent}% over ${m} min`);
    return out;
}

/**
 * The context of one plan. The group takes its declared bounds before the scaler runs, and with them
 * a desired capacity inside them: a raised minSize launches instances, a lowered maxSize leaves some in
 * excess. Where the group holds tighter bounds (a run of the scaler alone), the plan keeps inside those.
 */
export function planContext(observed: Observed, p: Policy, now: number): PlanContext {
    const held = observed.groupBounds;
    const bounds = { minSize: Math.max(observed.minSize, held?.minSize ?? 0), maxSize: Math.min(observed.maxSize, held?.maxSize ?? Infinity) };
    const o: Observed = { ...observed, ...bounds, desired: boundedDesired({ ...observed, ...bounds }) };
    const r = readings(o, p, now);
    const s = p.scaling;
    const c = classify(o);
    const low = isLow(c.registered.length, r, p);
    return {
        o,
        declared: { minSize: observed.minSize, maxSize: observed.maxSize },
        observedDesired: observed.desired,
        p,
        now,
        c,
        r,
        cooldownLeft: secondsLeft(o.lastScalingActivity, s.cooldownSeconds, now),
        scaleInCooldownLeft: secondsLeft(o.lastScalingActivity, s.scaleInCooldownSeconds, now),
        high: highReadings(r, p),
        low,
        lowText: low ? `CPUReservation at most ${pct(r.cpuIn!.max)} and MemoryReservation at most ${pct(r.memoryIn!.max)} over `
            + `${s.scaleInAfterMinutes} min: room to remove an instance of ${c.registered.length} within the ${s.scaleInTargetPercent}% scale-in target` : "",
    };
}

/** Seconds left of a cooldown of `seconds` after `since` (0 without one). */
function secondsLeft(since: number | undefined, seconds: number, now: number): number {
    return since === undefined ? 0 : Math.ceil((since + seconds * 1000 - now) / 1000);
}
