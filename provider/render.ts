// The plan as people read it in `pulumi preview --diff` (the scaler's `plan` property) and in logs.
import { Action, Plan } from "./model";

/** How a rendered plan marks a note (something the plan chose not to do, and why). */
export const NOTE_PREFIX = "note: ";

/** Whether a rendered plan line is a note rather than an action. */
export function isNoteLine(line: string): boolean {
    return line.startsWith(NOTE_PREFIX);
}

/** How every line that says there is nothing to plan yet begins. */
const PENDING_PREFIX = "nothing to plan yet: ";

/** The one-line plan of a scaler whose cluster or Auto Scaling group is created in this update. */
export const PLAN_PENDING = `${PENDING_PREFIX}the cluster or its Auto Scaling group is created in this update; `
    + "the first `pulumi up` after that plans and acts";

/** The one-line plan when the cluster or group named in the inputs does not exist (yet). */
export function planPendingBecause(what: string): string {
    return `${PENDING_PREFIX}${what} does not exist; it is created in this update, or the name is wrong`;
}

/** Whether a rendered plan (as `check` stored it) has an action to carry out, not only notes or a pending line. */
export function planHasActions(plan: unknown): boolean {
    return Array.isArray(plan) && plan.some((line) => typeof line === "string" && !isNoteLine(line) && !line.startsWith(PENDING_PREFIX));
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
        case "hook-drain":
            return [a.reason, ...a.victims.map((v) => v.retained
                ? `  drain retained ${v.instanceId} (${plural(v.tasks, "task")}), then terminate it (desired capacity unchanged)`
                : `  drain ${v.instanceId} (${plural(v.tasks, "task")}), then let its termination go on (CompleteLifecycleAction CONTINUE)`)];
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
