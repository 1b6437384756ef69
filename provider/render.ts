// The plan as people read it in `pulumi preview --diff` (the scaler's `plan` property) and in logs.
import { Action, Forecast, ForecastStep, Plan, ServiceForecast } from "./model";

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

/** How the forecast's lines begin: a drain that cannot work, a service's lowest count, the estimated duration. */
const FORECAST_PREFIXES = ["blocked: ", "service ", "estimate: "];

/** Whether a rendered plan line is part of the forecast (what the up puts the services through) rather than an action. */
export function isForecastLine(line: string): boolean {
    return FORECAST_PREFIXES.some((p) => line.startsWith(p));
}

/** Whether a rendered plan (as `check` stored it) has an action to carry out, not only notes, the forecast or a pending line. */
export function planHasActions(plan: unknown): boolean {
    return Array.isArray(plan) && plan.some((line) => typeof line === "string" && !isNoteLine(line) && !isForecastLine(line) && !line.startsWith(PENDING_PREFIX));
}

/** `45 s`, `6 min`, `2 h 5 min`. */
export function duration(seconds: number): string {
    if (seconds < 120) return `${Math.round(seconds)} s`;
    const minutes = Math.round(seconds / 60);
    return minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The forecast's lines, before the actions: the drains that cannot work as things stand first, then each
 * service the drains touch with the fewest tasks it will run, then the estimated duration.
 */
export function renderForecast(f: Forecast): string[] {
    return [
        ...f.blockers.map((b) => `blocked: ${b.subject}: ${b.problem}; to let it drain, ${b.change}`),
        ...f.services.map((s) => `service ${s.service}: `
            + (s.lowest >= s.desired ? `never below ${s.desired} of ${s.desired} tasks running` : `as few as ${s.lowest} of ${s.desired} tasks running, from ${s.lowestDuring}`)
            + `${s.running < s.desired ? ` (${s.running} running now)` : ""} (minimumHealthyPercent ${s.minimumHealthyPercent}, maximumPercent ${s.maximumPercent}); `
            + `its tasks on the instances drained: ${tasksWhere(s)}${s.cannotMove ? ", and they cannot move" : ""}`),
        `estimate: about ${duration(f.estimateSeconds)} (${runsOf(f.steps).join("; ")})` + (f.maxUpdateSeconds === undefined ? ""
            : `; longer than draining.maxUpdateSeconds (${f.maxUpdateSeconds} s): the up stops there, and the next run goes on`),
    ];
}

/** `2 in replace batch 1 of 40, 1 in replace batch 2 of 40, …, 37 more in later steps`: the first three steps, then the rest summed. */
function tasksWhere(s: ServiceForecast): string {
    const shown = s.tasksBy.slice(0, 3);
    const rest = s.tasksDrained - shown.reduce((n, b) => n + b.tasks, 0);
    return [...shown.map((b) => `${b.tasks} in ${b.step}`), ...(rest > 0 ? [`${rest} more in later steps`] : [])].join(", ");
}

/** The estimate's steps, consecutive drain batches of the same estimate and reason as one run (`replace batches 1 to 40 of 40 5 min each: …`). */
function runsOf(steps: ForecastStep[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < steps.length;) {
        let j = i + 1;
        const batch = /^(.*) batch (\d+) of (\d+)$/.exec(steps[i].step);
        while (batch !== null && j < steps.length && steps[j].seconds === steps[i].seconds && steps[j].why === steps[i].why
            && steps[j].step.startsWith(`${batch[1]} batch `)) j++;
        const last = /batch (\d+) of/.exec(steps[j - 1].step)?.[1];
        out.push(j - i === 1 ? `${steps[i].step} ${duration(steps[i].seconds)}: ${steps[i].why}`
            : `${batch![1]} batches ${batch![2]} to ${last} of ${batch![3]} ${duration(steps[i].seconds)} each: ${steps[i].why}`);
        i = j;
    }
    return out;
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
        case "end-halt":
        case "halt":
        case "mark-disconnected":
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

/** The whole plan, one line per step: the forecast first, then the actions, then the notes. Empty when there is nothing to do or say. */
export function renderPlan(plan: Plan): string[] {
    return [...(plan.forecast === undefined ? [] : renderForecast(plan.forecast)), ...plan.actions.flatMap(renderAction),
        ...plan.notes.map((n) => `${NOTE_PREFIX}${n}`)];
}
