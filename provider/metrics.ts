// Reading the reservation metrics over the evaluation window. Pure.
import { Datapoint } from "./model";

/** ECS publishes reservation metrics with a delay; datapoints this many minutes older than the window still count. */
export const METRIC_LAG_MINUTES = 3;

export interface WindowStat {
    /** Mean of the datapoints, rounded to one decimal. */
    mean: number;
    min: number;
    max: number;
    count: number;
}

/** The newest `minutes` datapoints no older than the window plus the publishing lag. */
function windowOf(points: Datapoint[], now: number, minutes: number): Datapoint[] {
    const oldest = now - (minutes + METRIC_LAG_MINUTES) * 60_000;
    return points
        .filter((p) => p.time >= oldest && p.time <= now && Number.isFinite(p.value))
        .sort((a, b) => b.time - a.time)
        .slice(0, minutes);
}

/** Statistics of a window; undefined when it holds fewer than `minutes` datapoints. */
export function statOf(points: Datapoint[], now: number, minutes: number): WindowStat | undefined {
    const w = windowOf(points, now, minutes);
    if (w.length < minutes) return undefined;
    const values = w.map((p) => p.value);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return { mean: Math.round(mean * 10) / 10, min: Math.min(...values), max: Math.max(...values), count: values.length };
}

/** Every datapoint of the window strictly above `threshold`. */
export function sustainedAbove(stat: WindowStat | undefined, threshold: number): boolean {
    return stat !== undefined && stat.min > threshold;
}

/** Every datapoint of the window strictly below `threshold`. */
export function sustainedBelow(stat: WindowStat | undefined, threshold: number): boolean {
    return stat !== undefined && stat.max < threshold;
}

/** A percentage as the plan prints it: whole numbers plain, others with one decimal. */
export function pct(value: number): string {
    return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}
