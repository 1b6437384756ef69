// The runner: the scaler's own reconcile between deploys, one bounded step per invocation. It takes
// the cluster's lease (or skips while another actor holds it), carries out the part of the plan
// `runner.actions` allows before its deadline, gives the lease back and records its outcome for the
// preview. The Lambda entry point (runner/lambda.ts) and `spot-ecs run` both come through here.
import { Cloud, Deps } from "./cloud";
import { checkScalerInputs } from "./inputs";
import { Lease, LEASE_MARGIN_MS, RunnerOutcome, RunnerRecord } from "./lease";
import { Action, Plan, RunReport, TerminationHook } from "./model";
import { reconcile } from "./reconcile";
import { plural, renderAction } from "./render";
import { describeError } from "./retry";
import { isScalerRunError } from "./run";
import { RunnerAction, RunnerSettings, ScalerSettings, scheduleMinutes } from "./settings";
import { formatProblems, Problem } from "./validation";

/**
 * The category of `runner.actions` an action belongs to; undefined for those every door does (protecting
 * instances, undoing its own drains, draining what the group is terminating).
 */
export function actionCategory(a: Action): RunnerAction | undefined {
    switch (a.kind) {
        case "set-desired": return a.cause === "surge" ? "replace" : a.cause === "keep" ? "scale-in" : "scale-out";
        case "drain": return a.purpose === "replace" ? "replace" : "scale-in";
        case "set-on-demand-base": return "spot";
        case "end-surge": return "replace";
        case "end-halt":
        case "halt":
        case "mark-disconnected":
        case "protect":
        case "undrain":
        // The group is terminating these instances anyway: draining them first is never held back.
        case "hook-drain":
            return undefined;
        default: {
            const unknown: never = a;
            throw new Error(`unknown action ${JSON.stringify(unknown)}`);
        }
    }
}

/**
 * The part of `p` a door allowed `allowed` may carry out: every action up to the first it may not do,
 * and after that only protecting instances and undoing drains (a later step may rest on the one held
 * back: a replacement surges from a scale-out's desired capacity). The rest becomes a note.
 */
export function narrowPlan(p: Plan, allowed: readonly RunnerAction[]): Plan {
    // A rollout the guard alarms stopped is resumed by a `pulumi up` someone runs, never by the runner.
    const mayDo = p.rollout?.resumes === true ? allowed.filter((c) => c !== "replace") : allowed;
    const denied = p.actions.findIndex((a) => { const c = actionCategory(a); return c !== undefined && !mayDo.includes(c); });
    if (denied < 0) return p;
    const held = p.actions.filter((a, i) => i >= denied && actionCategory(a) !== undefined);
    const categories = [...new Set(held.map((a) => actionCategory(a)!))];
    const why = mayDo.length < allowed.length ? "the runner does not resume a rollout the guard alarms stopped"
        : `runner.actions is ${allowed.join(", ")}`;
    const { rollout: _, ...rest } = p;
    return {
        ...(held.some((a) => actionCategory(a) === "replace") ? rest : p),
        actions: p.actions.filter((a, i) => i < denied || actionCategory(a) === undefined),
        notes: [...p.notes, `held for a \`pulumi up\`: ${plural(held.length, "action")} (${categories.join(", ")}), since `
            + `${why}: ${held.map((a) => renderAction(a).join("; ")).join(" | ")}`],
    };
}

/** What one runner step did. */
export interface RunnerResult {
    outcome: RunnerOutcome;
    summary: string;
    /** The plan as carried out (rendered), when it got that far. */
    plan?: string[];
    report?: RunReport;
    problems?: Problem[];
}

export interface RunnerStep {
    cloud: () => Cloud;
    deps: Deps;
    lease: (s: ScalerSettings) => Lease;
    /** The settings the last `pulumi up` deployed, as found (checked here before any AWS call). */
    settings: unknown;
    /** Who acts, as the lease names it. */
    holder: string;
    /** Epoch ms by which the step stops (its invocation's own deadline, less a margin). */
    deadlineMs: number;
}

/**
 * One bounded step: settings checked (invalid ones: nothing is sent to AWS), the lease taken or the
 * step skipped, the allowed part of the plan carried out until the deadline, the lease given back and
 * the outcome recorded.
 */
export async function runnerStep(step: RunnerStep): Promise<RunnerResult> {
    const problems = runnerProblems(step.settings);
    if (problems.length > 0) {
        return { outcome: "invalid-settings", summary: formatProblems("the runner's settings (as the last `pulumi up` deployed them) are invalid", problems), problems };
    }
    const s = step.settings as ScalerSettings & { leaseTable: string; runner: RunnerSettings };
    const started = step.deps.now();
    const lease = step.lease(s);
    const got = await lease.acquire(step.holder, started, Math.max(0, step.deadlineMs - started) + LEASE_MARGIN_MS);
    let result: RunnerResult;
    if (!got.taken) {
        result = { outcome: "skipped", summary: `skipped: ${got.by.holder} holds the cluster's lease until ${new Date(got.by.expiresAt).toISOString()}` };
    } else {
        try {
            result = await act(step, s);
        } finally {
            await lease.release(step.holder);
        }
    }
    await lease.recordRun({ at: started, outcome: result.outcome, summary: result.summary });
    return result;
}

async function act(step: RunnerStep, s: ScalerSettings & { runner: RunnerSettings }): Promise<RunnerResult> {
    try {
        const r = await reconcile(step.cloud(), step.deps, s, { narrow: (p) => narrowPlan(p, s.runner.actions), deadlineMs: step.deadlineMs,
            deadlineName: `the runner step's deadline (${Math.round((step.deadlineMs - step.deps.now()) / 1000)} s)` });
        const acted = r.plan.actions.length > 0;
        const held = r.plan.notes.find((n) => n.startsWith("held for a `pulumi up`"));
        return { outcome: acted ? "acted" : "nothing-to-do", plan: r.lines, report: r.report,
            summary: acted ? `${plural(r.plan.actions.length, "action")}: ${r.plan.actions.map((a) => a.reason).join("; ")}` : held ?? "nothing to do" };
    } catch (error) {
        const report = isScalerRunError(error) ? error.report : undefined;
        return { outcome: "failed", summary: isScalerRunError(error) ? error.message : describeError(error), ...(report === undefined ? {} : { report }) };
    }
}

/** What is wrong with the settings a runner was deployed with, if anything. */
export function runnerProblems(settings: unknown): Problem[] {
    if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
        return [{ property: "settings", reason: `the settings must be an object, got ${JSON.stringify(settings)}` }];
    }
    const problems = checkScalerInputs(settings as Record<string, unknown>);
    const s = settings as Record<string, unknown>;
    for (const key of ["region", "clusterName", "autoScalingGroupName", "launchTemplateId", "launchTemplateVersion", "scaling", "draining", "leaseTable", "runner"]) {
        if (s[key] === undefined) problems.push({ property: key, reason: `\`${key}\` is required, got undefined` });
    }
    return problems;
}

/**
 * What the preview says of the runner: that it is on, its schedule and what it may do; when it last
 * ran and how that went; whether it has stopped running, and then what the scaler's termination hook
 * (`hook`, when on the group) does with the instances the group terminates; who holds the lease now.
 */
export async function runnerNotes(s: ScalerSettings, lease: Lease, nowMs: number, hook?: TerminationHook): Promise<string[]> {
    const notes: string[] = [];
    let last: RunnerRecord | undefined;
    let holder;
    try {
        [last, holder] = await Promise.all([lease.lastRun(), lease.current(nowMs)]);
    } catch (error) {
        // The table comes with the runner: in the preview of the update that creates them it is not there yet.
        if ((error as { name?: string })?.name === "ResourceNotFoundException") {
            return [`runner${s.runner === undefined ? "" : ` ${s.runner.functionName}`}: its lease table is created in this update`];
        }
        return [`runner: could not read its record in ${lease.where}: ${describeError(error)}`];
    }
    if (s.runner !== undefined) {
        const every = scheduleMinutes(s.runner.schedule);
        const ran = last === undefined ? "it has not run yet"
            : `it last ran ${new Date(last.at).toISOString()} (${ago(nowMs - last.at)}): ${last.outcome}: ${last.summary.split("\n")[0]}`;
        notes.push(`runner ${s.runner.functionName} on, ${s.runner.schedule}, may ${s.runner.actions.join(", ")}; ${ran}`);
        if (last !== undefined && nowMs - last.at > 3 * every * 60_000 + 5 * 60_000) {
            notes.push(`the runner has not run for ${minutes(nowMs - last.at)} though its schedule is ${s.runner.schedule}: check its function and its alarms`
                + (hook === undefined ? "" : `; meanwhile an instance the group terminates waits in termination hook ${hook.name} `
                    + `${hook.heartbeatTimeoutSeconds} s, then is retained undrained (default result ${hook.defaultResult}), tasks running, until a run drains it`));
        }
    }
    if (holder !== undefined) notes.push(`${holder.holder} holds the cluster's lease until ${new Date(holder.expiresAt).toISOString()}; an up waits for it`);
    return notes;
}

function ago(ms: number): string {
    return ms < 60_000 ? "less than a minute ago" : `${minutes(ms)} ago`;
}

function minutes(ms: number): string {
    const m = Math.round(ms / 60_000);
    return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}
