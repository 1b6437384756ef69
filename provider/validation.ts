// Pure input checks shared by the component (at construction) and the scaler (in `check`).
// Each check appends one line per problem; callers throw once with every line.

/** The formats of names and ARNs the component, the scaler's `check` and the command all accept. */
export const AWS_FORMATS = {
    region: { pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, what: "an AWS region such as \"us-east-1\"" },
    clusterName: { pattern: /^[A-Za-z0-9_-]{1,255}$/, what: "1-255 letters, digits, hyphens or underscores" },
    targetGroupArn: {
        pattern: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/,
        what: "a target group ARN",
    },
};

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

    /** A value in one of {@link AWS_FORMATS}. */
    format(property: string, value: unknown, format: keyof typeof AWS_FORMATS, optional = false): value is string {
        return this.matches(property, value, AWS_FORMATS[format].pattern, AWS_FORMATS[format].what, optional);
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
