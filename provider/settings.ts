// The scaler's settings: what the component passes it, every field resolved, with the defaults and
// ranges both the component and the scaler's `check` enforce.
import { Problems } from "./validation";

export const STANDALONE_TASK_POLICIES = ["fail", "stop"] as const;
export type StandaloneTaskPolicy = (typeof STANDALONE_TASK_POLICIES)[number];

export interface ScalingPolicy {
    cpuHighPercent: number;
    cpuLowPercent: number;
    memoryHighPercent: number;
    memoryLowPercent: number;
    evaluationMinutes: number;
    scaleOutStep: number;
    maxScaleInPercent: number;
    cooldownSeconds: number;
    spotFallbackAfterSeconds: number;
    spotRevertAfterSeconds: number;
    /** UTC window in which the way back to Spot may run (`"02:00-06:00"`, `"Sat,Sun 01:00-05:00"`); any time when absent. */
    spotRevertWindow?: string;
}

export interface DrainingPolicy {
    timeoutSeconds: number;
    batchSize: number;
    minHealthyPercent: number;
    standaloneTasks: StandaloneTaskPolicy;
    maxUpdateSeconds: number;
}

/** Everything the planner and executor need besides what they observe. */
export interface Policy {
    scaling: ScalingPolicy;
    draining: DrainingPolicy;
}

/** What the scaler acts on and how; every field comes from the component, none from the environment. */
export interface ScalerSettings {
    region: string;
    clusterName: string;
    autoScalingGroupName: string;
    launchTemplateId: string;
    launchTemplateVersion: string;
    targetGroupArns: string[];
    /** The group's bounds and instance types as declared; the group may still hold older values in a preview. @default the group's own */
    minSize?: number;
    maxSize?: number;
    instanceTypes?: string[];
    /** The On-Demand base capacity as declared; the scaler applies it (the group resource ignores later changes). */
    onDemandBaseCapacity?: number;
    scaling: ScalingPolicy;
    draining: DrainingPolicy;
}

/** Default scaling settings; the component's DEFAULTS.scaling is this object. */
export const DEFAULT_SCALING: Readonly<ScalingPolicy> = Object.freeze({
    cpuHighPercent: 75,
    cpuLowPercent: 40,
    memoryHighPercent: 75,
    memoryLowPercent: 40,
    evaluationMinutes: 5,
    scaleOutStep: 1,
    maxScaleInPercent: 10,
    cooldownSeconds: 300,
    spotFallbackAfterSeconds: 300,
    spotRevertAfterSeconds: 1800,
});

/** Default draining settings; the component's DEFAULTS.draining is this object. */
export const DEFAULT_DRAINING: Readonly<DrainingPolicy> = Object.freeze({
    timeoutSeconds: 900,
    batchSize: 1,
    minHealthyPercent: 100,
    standaloneTasks: "fail",
    maxUpdateSeconds: 3600,
});

/** Inclusive integer ranges of every numeric setting. */
export const SCALING_RANGES: Record<Exclude<keyof ScalingPolicy, "spotRevertWindow">, [number, number]> = {
    cpuHighPercent: [1, 100],
    cpuLowPercent: [0, 99],
    memoryHighPercent: [1, 100],
    memoryLowPercent: [0, 99],
    evaluationMinutes: [1, 60],
    scaleOutStep: [1, 100],
    maxScaleInPercent: [1, 100],
    cooldownSeconds: [0, 86400],
    spotFallbackAfterSeconds: [60, 86400],
    spotRevertAfterSeconds: [300, 604800],
};

export const DRAINING_RANGES: Record<Exclude<keyof DrainingPolicy, "standaloneTasks">, [number, number]> = {
    timeoutSeconds: [30, 172800],
    batchSize: [1, 1000],
    minHealthyPercent: [0, 100],
    maxUpdateSeconds: [60, 86400],
};

export const SIZE_RANGES = { minSize: [0, 1000], maxSize: [1, 1000], desiredCapacity: [0, 1000] } as const;

/**
 * Checks scaling settings; with `partial`, missing keys pass (the component fills them from defaults).
 * Reports thresholds in the wrong order only when both sides are valid numbers.
 */
export function checkScaling(p: Problems, path: string, value: unknown, partial: boolean): void {
    if (value === undefined && partial) return;
    if (!p.object(path, value)) return;
    const s = value as Record<string, unknown>;
    for (const key of Object.keys(SCALING_RANGES) as (keyof typeof SCALING_RANGES)[]) {
        const [min, max] = SCALING_RANGES[key];
        p.integer(`${path}.${key}`, s[key], min, max, partial);
    }
    checkOrder(p, path, s, "cpuLowPercent", "cpuHighPercent");
    checkOrder(p, path, s, "memoryLowPercent", "memoryHighPercent");
    p.matches(`${path}.spotRevertWindow`, s.spotRevertWindow, WINDOW_PATTERN,
        "a UTC window \"HH:MM-HH:MM\", optionally after days such as \"Sat,Sun \" (e.g. \"02:00-06:00\")", true);
    const known = [...Object.keys(SCALING_RANGES), "spotRevertWindow"];
    for (const key of Object.keys(s)) {
        if (!known.includes(key)) p.add(`${path}.${key}`, `\`${path}.${key}\` is not a setting; known settings are ${known.join(", ")}`);
    }
}

function checkOrder(p: Problems, path: string, s: Record<string, unknown>, low: string, high: string): void {
    const l = s[low];
    const h = s[high];
    if (typeof l === "number" && typeof h === "number" && Number.isFinite(l) && Number.isFinite(h) && l >= h) {
        p.add(`${path}.${low}`, `\`${path}.${low}\` must be below \`${path}.${high}\` (${h}), got ${l}`);
    }
}

/** Checks draining settings; with `partial`, missing keys pass. */
export function checkDraining(p: Problems, path: string, value: unknown, partial: boolean): void {
    if (value === undefined && partial) return;
    if (!p.object(path, value)) return;
    const d = value as Record<string, unknown>;
    for (const key of Object.keys(DRAINING_RANGES) as (keyof typeof DRAINING_RANGES)[]) {
        const [min, max] = DRAINING_RANGES[key];
        p.integer(`${path}.${key}`, d[key], min, max, partial);
    }
    p.oneOf(`${path}.standaloneTasks`, d.standaloneTasks, STANDALONE_TASK_POLICIES, partial);
    const known = [...Object.keys(DRAINING_RANGES), "standaloneTasks"];
    for (const key of Object.keys(d)) {
        if (!known.includes(key)) p.add(`${path}.${key}`, `\`${path}.${key}\` is not a setting; known settings are ${known.join(", ")}`);
    }
}

/** Checks min/max size and their order. */
export function checkSizes(p: Problems, minSize: unknown, maxSize: unknown, desired?: unknown): void {
    const minOk = p.integer("minSize", minSize, ...SIZE_RANGES.minSize);
    const maxOk = p.integer("maxSize", maxSize, ...SIZE_RANGES.maxSize);
    const desiredOk = p.integer("desiredCapacity", desired, ...SIZE_RANGES.desiredCapacity, true);
    if (minOk && maxOk && minSize > maxSize) {
        p.add("minSize", `\`minSize\` (${minSize}) must not be greater than \`maxSize\` (${maxSize})`);
    }
    if (desiredOk && minOk && desired < minSize) {
        p.add("desiredCapacity", `\`desiredCapacity\` must be between \`minSize\` (${minSize}) and \`maxSize\`, got ${desired}`);
    } else if (desiredOk && maxOk && desired > maxSize) {
        p.add("desiredCapacity", `\`desiredCapacity\` must be between \`minSize\` and \`maxSize\` (${maxSize}), got ${desired}`);
    }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const HHMM = "(?:[01]\\d|2[0-3]):[0-5]\\d";
/** `HH:MM-HH:MM` (UTC; the end may be past midnight), optionally after a comma-separated list of days. */
export const WINDOW_PATTERN = new RegExp(`^(?:(?:${DAYS.join("|")})(?:,(?:${DAYS.join("|")}))* )?${HHMM}-${HHMM}$`);

/**
 * Whether `nowMs` falls inside `window` (see {@link WINDOW_PATTERN}), and if not, milliseconds until
 * it opens. A window that ends before it starts runs past midnight; its days are the days it starts.
 */
export function windowState(window: string, nowMs: number): { open: boolean; opensInMs: number } {
    const m = /^(?:(\S+) )?(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(window)!;
    const days = m[1] === undefined ? [0, 1, 2, 3, 4, 5, 6] : m[1].split(",").map((d) => DAYS.indexOf(d));
    const start = Number(m[2]) * 60 + Number(m[3]);
    let length = Number(m[4]) * 60 + Number(m[5]) - start;
    if (length <= 0) length += 24 * 60;
    const DAY = 86_400_000;
    const dayStart = Math.floor(nowMs / DAY) * DAY;
    let next = Infinity;
    // Yesterday's window may still be open past midnight; otherwise the next start within a week.
    for (let d = -1; d <= 7; d++) {
        const opens = dayStart + d * DAY + start * 60_000;
        if (!days.includes(new Date(opens).getUTCDay())) continue;
        if (nowMs >= opens && nowMs < opens + length * 60_000) return { open: true, opensInMs: 0 };
        if (opens > nowMs) next = Math.min(next, opens - nowMs);
    }
    return { open: false, opensInMs: next };
}

