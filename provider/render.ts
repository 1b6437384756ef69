// The plan as people read it in `pulumi preview --diff` (the scaler's `plan` property) and in logs.
import { Action, Plan } from "./model";

/** How a rendered plan marks a note (something the plan chose not to do, and why). */
export const NOTE_PREFIX = "note: ";

/** Whether a rendered plan line is a note rather than an action. */
export function isNoteLine(line: string): boolean {
    return line.startsWith(NOTE_PREFIX);
}

export function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** One or more lines for one action. */
export function renderAction(a: Action): string[] {
    switch (a.kind) {
        case "set-desired":
        case "protect":
        case "set-on-demand-base":
        case "undrain":
        case "end-surge":
            return [a.reason];
        case "drain":
            if (a.purpose === "replace") {
                return a.victims.map((v) => `replace ${v.instanceId} (${v.reason}): drain ${plural(v.tasks, "task")}, `
                    + `batch ${a.batch} of ${a.batches}${v.decrement ? ", then lower desired capacity" : ""}`);
            }
            return [a.reason, ...a.victims.map((v) => `  drain ${v.instanceId} (${v.lifecycle}, ${v.reason}), batch ${a.batch} of ${a.batches}`)];
        default: {
            const unknown: never = a;
            throw new Error(`unknown action ${JSON.stringify(unknown)}`);
        }
    }
}

/** The whole plan, one line per step; notes follow the actions. Empty when there is nothing to do or say. */
export function renderPlan(plan: Plan): string[] {
    return [...plan.actions.flatMap(renderAction), ...plan.notes.map((n) => `${NOTE_PREFIX}${n}`)];
}
