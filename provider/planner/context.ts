// What every phase of the plan reads: the observation within the bounds both declared and held, its
// instances classified, the reservation readings over the evaluation window, and the cooldown.
import { pct, statOf, sustainedAbove, sustainedBelow, WindowStat } from "../metrics";
import { Observed } from "../model";
import { Policy } from "../settings";
import { boundedDesired, Classified, classify } from "./fleet";

/** Metric readings over the evaluation window. */
export interface Readings {
    cpu?: WindowStat;
    memory?: WindowStat;
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
    /** Seconds of cooldown left after the last scaling activity (0 or less: none). */
    cooldownLeft: number;
    /** Each reservation sustained above its high threshold, as the plan says it. */
    high: string[];
    /** Both reservations sustained below their low thresholds. */
    low: boolean;
    /** How the plan says `low`; empty when not low. */
    lowText: string;
}

export function readings(o: Observed, p: Policy, now: number): Readings {
    const minutes = p.scaling.evaluationMinutes;
    return { cpu: statOf(o.metrics.cpu, now, minutes), memory: statOf(o.metrics.memory, now, minutes) };
}

/** Whether both reservations are sustained below their low thresholds. */
export function isLow(r: Readings, p: Policy): boolean {
    return sustainedBelow(r.cpu, p.scaling.cpuLowPercent) && sustainedBelow(r.memory, p.scaling.memoryLowPercent);
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
    const low = isLow(r, p);
    return {
        o,
        declared: { minSize: observed.minSize, maxSize: observed.maxSize },
        observedDesired: observed.desired,
        p,
        now,
        c: classify(o),
        r,
        cooldownLeft: o.lastScalingActivity === undefined ? 0 : Math.ceil((o.lastScalingActivity + s.cooldownSeconds * 1000 - now) / 1000),
        high: highReadings(r, p),
        low,
        lowText: low ? `CPUReservation ${pct(r.cpu!.mean)} < ${s.cpuLowPercent}% and MemoryReservation `
            + `${pct(r.memory!.mean)} < ${s.memoryLowPercent}% over ${s.evaluationMinutes} min` : "",
    };
}
