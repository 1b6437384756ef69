// Pure input checks shared by the component (at construction), the scaler (in `check`) and the
// command. Each check appends one line per problem; callers throw once with every line.
import { DEFAULT_SCALING, DRAINING_KEYS, DRAINING_RANGES, FORMATS, Format, HALT_ALARMS_RANGE, MAINTENANCE_KEYS, MAX_INSTANCE_AGE_DAYS_RANGE, RUNNER_ACTIONS, SCALING_KEYS, SCALING_RANGES, SIZE_RANGES, STANDALONE_TASK_POLICIES } from "./settings";
import { ACCELERATOR_TYPES, CPU_MANUFACTURERS, INCLUSIONS, INSTANCE_GENERATIONS, REQUIREMENT_KEYS, REQUIREMENT_RANGES, TYPE_PATTERN, TYPE_PATTERNS_RANGE } from "./settings";

/** A validation problem: the property path and a sentence naming what is allowed and what was given. */
export interface Problem {
    property: string;
    reason: string;
}

/** Renders a value the way a user typed it, so messages show strings quoted and NaN as NaN. */
export function describeValue(value: unknown): string {
    if (value === undefined) return "undefined";
    if (value === null) return "null";
    if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "boolean" || typeof value === "bigint") return String(value);
    if (Array.isArray(value)) return value.length === 0 ? "[]" : `an array of ${value.length}`;
    if (typeof value === "function") return "a function";
    return "an object";
}

/** Formats problems as one multi-line message, one problem per line. */
export function formatProblems(subject: string, problems: Problem[]): string {
    return `${subject}:\n${problems.map((p) => `  - ${p.reason}`).join("\n")}`;
}

/** Collects problems; `message` is the single error thrown once every check has run. */
export class Problems {
    readonly items: Problem[] = [];

    add(property: string, reason: string): void {
        this.items.push({ property, reason });
    }

    get empty(): boolean {
        return this.items.length === 0;
    }

    /** An integer in [min, max]; `undefined` passes when `optional`. Returns true when the value is usable. */
    integer(property: string, value: unknown, min: number, max: number, optional = false): value is number {
        if (value === undefined && optional) return false;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            this.add(property, `\`${property}\` must be an integer between ${min} and ${max}, got ${describeValue(value)}`);
            return false;
        }
        return true;
    }

    /** A boolean; `undefined` passes when `optional`. */
    boolean(property: string, value: unknown, optional = false): value is boolean {
        if (value === undefined && optional) return false;
        if (typeof value !== "boolean") {
            this.add(property, `\`${property}\` must be true or false, got ${describeValue(value)}`);
            return false;
        }
        return true;
    }

    /** One of a fixed set of strings. */
    oneOf<T extends string>(property: string, value: unknown, allowed: readonly T[], optional = false): value is T {
        if (value === undefined && optional) return false;
        if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
            const list = allowed.map((a) => `"${a}"`).join(", ");
            this.add(property, `\`${property}\` must be one of ${list}, got ${describeValue(value)}`);
            return false;
        }
        return true;
    }

    /** A string matching `pattern`, described to the user as `what`. */
    matches(property: string, value: unknown, pattern: RegExp, what: string, optional = false): value is string {
        if (value === undefined && optional) return false;
        if (typeof value !== "string" || !pattern.test(value)) {
            this.add(property, `\`${property}\` must be ${what}, got ${describeValue(value)}`);
            return false;
        }
        return true;
    }

    /** A string in `format` (one of the settings' `FORMATS`). */
    format(property: string, value: unknown, format: Format, optional = false): value is string {
        return this.matches(property, value, format.pattern, format.what, optional);
    }

    /** A plain object (not null, not an array). */
    object(property: string, value: unknown, optional = false): value is Record<string, unknown> {
        if (value === undefined && optional) return false;
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            this.add(property, `\`${property}\` must be an object, got ${describeValue(value)}`);
            return false;
        }
        return true;
    }

    /** An array with between `min` and `max` entries. */
    list(property: string, value: unknown, min: number, max: number, optional = false): value is unknown[] {
        if (value === undefined && optional) return false;
        if (!Array.isArray(value)) {
            this.add(property, `\`${property}\` must be a list of ${min} to ${max} entries, got ${describeValue(value)}`);
            return false;
        }
        if (value.length < min || value.length > max) {
            this.add(property, `\`${property}\` must have between ${min} and ${max} entries, got ${value.length}`);
            return false;
        }
        return true;
    }
}

/** Checks each integer setting of `ranges` in `s` against its range; with `partial`, missing ones pass. */
function checkRanges(p: Problems, path: string, s: Record<string, unknown>, ranges: Record<string, readonly [number, number]>, partial: boolean): void {
    for (const [key, [min, max]] of Object.entries(ranges)) p.integer(`${path}.${key}`, s[key], min, max, partial);
}

/** Reports every key of `s` that is not among `known`, naming the known ones. */
function checkKnown(p: Problems, path: string, s: Record<string, unknown>, known: readonly string[]): void {
    for (const key of Object.keys(s)) {
        if (!known.includes(key)) p.add(`${path}.${key}`, `\`${path}.${key}\` is not a setting; known settings are ${known.join(", ")}`);
    }
}

/**
 * Checks scaling settings; with `partial`, missing keys pass (the component fills them from defaults).
 * Reports thresholds in the wrong order only when both sides are valid numbers.
 */
export function checkScaling(p: Problems, path: string, value: unknown, partial: boolean): void {
    if (value === undefined && partial) return;
    if (!p.object(path, value)) return;
    const s = value as Record<string, unknown>;
    checkRanges(p, path, s, SCALING_RANGES, partial);
    checkOrder(p, path, s, "scaleInTargetPercent", "cpuHighPercent");
    checkOrder(p, path, s, "scaleInTargetPercent", "memoryHighPercent");
    p.format(`${path}.spotRevertWindow`, s.spotRevertWindow, FORMATS.window, true);
    p.format(`${path}.headroom`, s.headroom, FORMATS.headroom, true);
    checkKnown(p, path, s, SCALING_KEYS);
}

/**
 * `low` must be below `high`. A side left out takes its default (the component fills it in), so a
 * target or a threshold given alone is held to the other's default; nothing is said when neither is given.
 */
function checkOrder(p: Problems, path: string, s: Record<string, unknown>, low: keyof typeof DEFAULT_SCALING, high: keyof typeof DEFAULT_SCALING): void {
    if (s[low] === undefined && s[high] === undefined) return;
    const l = s[low] ?? DEFAULT_SCALING[low];
    const h = s[high] ?? DEFAULT_SCALING[high];
    if (typeof l === "number" && typeof h === "number" && Number.isFinite(l) && Number.isFinite(h) && l >= h) {
        const given = s[low] === undefined ? high : low;
        const other = given === low ? high : low;
        const otherValue = `${s[other] ?? DEFAULT_SCALING[other]}${s[other] === undefined ? ", its default" : ""}`;
        p.add(`${path}.${given}`, `\`${path}.${low}\` must be below \`${path}.${high}\`: \`${path}.${given}\` is ${s[given]}, `
            + `\`${path}.${other}\` ${otherValue}`);
    }
}

/** Checks draining settings; with `partial`, missing keys pass. */
export function checkDraining(p: Problems, path: string, value: unknown, partial: boolean): void {
    if (value === undefined && partial) return;
    if (!p.object(path, value)) return;
    const d = value as Record<string, unknown>;
    checkRanges(p, path, d, DRAINING_RANGES, partial);
    p.oneOf(`${path}.standaloneTasks`, d.standaloneTasks, STANDALONE_TASK_POLICIES, partial);
    if (p.list(`${path}.haltOnAlarms`, d.haltOnAlarms, ...HALT_ALARMS_RANGE, true)) {
        d.haltOnAlarms.forEach((a, i) => p.format(`${path}.haltOnAlarms[${i}]`, a, FORMATS.alarm));
    }
    checkKnown(p, path, d, DRAINING_KEYS);
}

/** Checks maintenance settings (all optional). */
export function checkMaintenance(p: Problems, path: string, value: unknown): void {
    if (value === undefined) return;
    if (!p.object(path, value)) return;
    const m = value as Record<string, unknown>;
    p.integer(`${path}.maxInstanceAgeDays`, m.maxInstanceAgeDays, ...MAX_INSTANCE_AGE_DAYS_RANGE, true);
    p.format(`${path}.window`, m.window, FORMATS.window, true);
    p.integer(`${path}.maxDisconnectedPercent`, m.maxDisconnectedPercent, 1, 100, true);
    checkKnown(p, path, m, MAINTENANCE_KEYS);
}

/**
 * Holds a drain timeout to the update deadline (the component's rule: one drain fits in one update),
 * to the default `maxUpdateSeconds` when that is not given.
 */
export function checkDrainTimes(p: Problems, path: string, value: unknown, defaultMaxUpdateSeconds: number): void {
    if (typeof value !== "object" || value === null) return;
    const d = value as Record<string, unknown>;
    const timeout = d.timeoutSeconds;
    const max = d.maxUpdateSeconds ?? defaultMaxUpdateSeconds;
    if (typeof timeout === "number" && typeof max === "number" && Number.isInteger(timeout) && Number.isInteger(max) && timeout > max) {
        p.add(`${path}.timeoutSeconds`, `\`${path}.timeoutSeconds\` must not exceed \`${path}.maxUpdateSeconds\` (${max}), got ${timeout}`);
    }
}

/** Checks min/max size and their order, and the desired capacity and On-Demand base within them. */
export function checkSizes(p: Problems, minSize: unknown, maxSize: unknown, desired?: unknown, onDemandBase?: unknown): void {
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
    if (p.integer("onDemandBaseCapacity", onDemandBase, ...SIZE_RANGES.onDemandBaseCapacity, true) && typeof maxSize === "number" && onDemandBase > maxSize) {
        p.add("onDemandBaseCapacity", `\`onDemandBaseCapacity\` must not exceed \`maxSize\` (${maxSize}), got ${onDemandBase}`);
    }
}

/** A list of runner actions: at least one, each known, none twice. */
export function checkRunnerActions(p: Problems, path: string, value: unknown): void {
    if (!p.list(path, value, 1, RUNNER_ACTIONS.length)) return;
    value.forEach((a, i) => p.oneOf(`${path}[${i}]`, a, RUNNER_ACTIONS));
    const twice = value.filter((a, i) => value.indexOf(a) !== i);
    if (twice.length > 0) p.add(path, `\`${path}\` names ${twice.map((a) => describeValue(a)).join(", ")} twice; name each action once`);
}

/** The runner as the scaler is given it (the component fills it in): its function, schedule and actions, and a lease table. */
export function checkRunner(p: Problems, value: unknown, leaseTable: unknown): void {
    if (!p.object("runner", value)) return;
    checkKnown(p, "runner", value, ["functionName", "schedule", "actions"]);
    p.format("runner.functionName", value.functionName, FORMATS.lambdaFunctionName);
    p.format("runner.schedule", value.schedule, FORMATS.rateSchedule);
    checkRunnerActions(p, "runner.actions", value.actions);
    if (leaseTable === undefined) p.add("leaseTable", "`leaseTable` is required with `runner`: the runner and `pulumi up` must not act at once, got undefined");
}

/** A `{ min, max }` range within `[lo, hi]`, the minimum required when `minRequired`, the maximum not below the minimum. */
function checkMinMax(p: Problems, path: string, value: unknown, [lo, hi]: readonly [number, number], minRequired: boolean): void {
    if (!p.object(path, value, !minRequired)) return;
    const r = value as Record<string, unknown>;
    const minOk = p.integer(`${path}.min`, r.min, lo, hi, !minRequired);
    const maxOk = p.integer(`${path}.max`, r.max, lo, hi, true);
    if (minOk && maxOk && (r.max as number) < (r.min as number)) {
        p.add(`${path}.max`, `\`${path}.max\` (${r.max}) must not be below \`${path}.min\` (${r.min})`);
    }
    checkKnown(p, path, r, ["min", "max"]);
}

/** A list of distinct values, each one of `allowed`. */
function checkEnumList(p: Problems, path: string, value: unknown, allowed: readonly string[]): void {
    if (!p.list(path, value, 1, allowed.length, true)) return;
    const seen = new Set<unknown>();
    (value as unknown[]).forEach((v, i) => {
        if (p.oneOf(`${path}[${i}]`, v, allowed) && seen.has(v)) p.add(`${path}[${i}]`, `\`${path}[${i}]\` repeats ${describeValue(v)}; list each once`);
        seen.add(v);
    });
}

/**
 * Checks `instanceRequirements` as Auto Scaling takes them: vCPU and memory ranges (both required),
 * the lists of manufacturers, generations and accelerator kinds, the allowed or excluded patterns (not
 * both), the counts and the price protection.
 */
export function checkInstanceRequirements(p: Problems, path: string, value: unknown): void {
    if (!p.object(path, value)) return;
    const r = value as Record<string, unknown>;
    checkMinMax(p, `${path}.vcpuCount`, r.vcpuCount, REQUIREMENT_RANGES.vcpuCount, true);
    checkMinMax(p, `${path}.memoryMiB`, r.memoryMiB, REQUIREMENT_RANGES.memoryMiB, true);
    checkEnumList(p, `${path}.cpuManufacturers`, r.cpuManufacturers, CPU_MANUFACTURERS);
    checkEnumList(p, `${path}.instanceGenerations`, r.instanceGenerations, INSTANCE_GENERATIONS);
    checkEnumList(p, `${path}.acceleratorTypes`, r.acceleratorTypes, ACCELERATOR_TYPES);
    p.oneOf(`${path}.burstablePerformance`, r.burstablePerformance, INCLUSIONS, true);
    p.oneOf(`${path}.bareMetal`, r.bareMetal, INCLUSIONS, true);
    if (r.allowedInstanceTypes !== undefined && r.excludedInstanceTypes !== undefined) {
        p.add(`${path}.excludedInstanceTypes`, `give \`${path}.allowedInstanceTypes\` or \`${path}.excludedInstanceTypes\`, not both (Auto Scaling takes one)`);
    }
    for (const key of ["allowedInstanceTypes", "excludedInstanceTypes"]) {
        if (!p.list(`${path}.${key}`, r[key], ...TYPE_PATTERNS_RANGE, true)) continue;
        (r[key] as unknown[]).forEach((t, i) => p.matches(`${path}.${key}[${i}]`, t, TYPE_PATTERN.pattern, TYPE_PATTERN.what));
    }
    if (r.acceleratorCount !== undefined) checkMinMax(p, `${path}.acceleratorCount`, r.acceleratorCount, REQUIREMENT_RANGES.acceleratorCount, false);
    if (r.networkInterfaceCount !== undefined) checkMinMax(p, `${path}.networkInterfaceCount`, r.networkInterfaceCount, REQUIREMENT_RANGES.networkInterfaceCount, false);
    p.integer(`${path}.spotMaxPricePercentageOverLowestPrice`, r.spotMaxPricePercentageOverLowestPrice, ...REQUIREMENT_RANGES.pricePercentage, true);
    p.integer(`${path}.onDemandMaxPricePercentageOverLowestPrice`, r.onDemandMaxPricePercentageOverLowestPrice, ...REQUIREMENT_RANGES.pricePercentage, true);
    checkKnown(p, path, r, REQUIREMENT_KEYS);
}

/** Exactly one of `instanceTypes` and `instanceRequirements`: the group's overrides take one or the other. */
export function checkInstanceChoice(p: Problems, instanceTypes: unknown, instanceRequirements: unknown): "types" | "requirements" | undefined {
    if (instanceTypes !== undefined && instanceRequirements !== undefined) {
        p.add("instanceRequirements", "give `instanceTypes` (a list of types) or `instanceRequirements` (types by their attributes), not both");
        return undefined;
    }
    if (instanceTypes === undefined && instanceRequirements === undefined) {
        p.add("instanceTypes", "give `instanceTypes` (a list of types such as [\"m6i.large\"]) or `instanceRequirements` (types by their attributes), got neither");
        return undefined;
    }
    return instanceTypes !== undefined ? "types" : "requirements";
}
