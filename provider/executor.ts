// The executor: carries out one plan, in order, through the Cloud port. It decides nothing beyond
// retrying and waiting; every instance it terminates has first been drained of tasks and targets.
import { Cloud, ClusterContainerInstance, Deps } from "./cloud";
import { drainBatch, ownedTargetGroups, shortArn } from "./drain";
import { Action, activeCount, isLiveState, Plan, RunReport } from "./model";
import { Policy } from "./settings";
import { plural, renderAction } from "./render";
import { describeError } from "./retry";
import { waitFor } from "./waits";

export interface ExecuteSettings {
    clusterName: string;
    policy: Policy;
    /** Target groups from the inputs; the group's own target groups are added at run time. */
    targetGroupArns: string[];
    /** Absolute epoch ms after which the run stops and reports what is left. */
    deadlineMs: number;
}

/** A run that stopped before the plan was done; `report` says what was done and what is left. */
export interface ScalerRunError extends Error {
    name: "ScalerRunError";
    report: RunReport;
}

// A plain Error with fields, not a subclass: this code runs from the serialized provider, where
// classes extending built-ins lose what their constructor sets.
export function scalerRunError(message: string, report: RunReport): ScalerRunError {
    return Object.assign(new Error(message), { name: "ScalerRunError" as const, report });
}

export function isScalerRunError(error: unknown): error is ScalerRunError {
    return error instanceof Error && error.name === "ScalerRunError" && "report" in error;
}

/** Seconds new instances get, at least, to register ACTIVE before a wait for them fails. */
export const REGISTRATION_TIMEOUT_SECONDS = 600;

/** Carries out `plan`; resolves with the report, or throws ScalerRunError carrying it. */
export async function execute(plan: Plan, cloud: Cloud, deps: Deps, settings: ExecuteSettings): Promise<RunReport> {
    const report: RunReport = {
        startedAt: new Date(deps.now()).toISOString(),
        finishedAt: "",
        actions: [],
        instances: {},
        tasksStopped: [],
        drainSeconds: {},
        tasksAtDrain: {},
    };
    const log = (line: string) => deps.log(`[${settings.clusterName}] ${line}`);
    const finish = () => { report.finishedAt = new Date(deps.now()).toISOString(); return report; };
    const fail = (message: string): never => {
        report.error = message;
        finish();
        throw scalerRunError(message, report);
    };
    const draining = settings.policy.draining;
    const waitDeadline = (seconds: number) => Math.min(deps.now() + seconds * 1000, settings.deadlineMs);
    const deadlineLeft = () => settings.deadlineMs - deps.now();
    const maxUpdate = `${draining.maxUpdateSeconds} s`;
    // New instances take minutes to boot and register whatever the drain timeout is.
    const registrationSeconds = Math.max(draining.timeoutSeconds, REGISTRATION_TIMEOUT_SECONDS);

    /** Waits until `count` instances are ACTIVE; returns the container instances the last look listed. */
    async function waitForActive(count: number, why: string): Promise<ClusterContainerInstance[]> {
        let listed: ClusterContainerInstance[] = [];
        const result = await waitFor(async () => {
            const group = await cloud.describeGroup();
            // Fewer live instances in the group than needed: no container instance list can say otherwise,
            // and at thousands of instances that list is tens of requests.
            const live = group.instances.filter((i) => isLiveState(i.asgState)).length;
            if (live < count) return { state: "RETRY", value: live, detail: `${live} instances in the group, ${count} ACTIVE needed` };
            listed = await cloud.listContainerInstances();
            const n = activeCount(group, listed);
            return { state: n >= count ? "DONE" : "RETRY", value: n, detail: `${n} instances ACTIVE, ${count} needed` };
        }, waitDeadline(registrationSeconds), deps, (detail) => log(`waiting ${why}: ${detail}`));
        if (result.state !== "DONE") {
            fail(`${why}: only ${result.detail} after ${registrationSeconds} s`
                + (deadlineLeft() <= 0 ? ` (update deadline of ${maxUpdate} reached)` : "")
                + "; nothing was drained for it, and the next run continues from here");
        }
        return listed;
    }

    async function setDesired(a: Extract<Action, { kind: "set-desired" }>): Promise<void> {
        const group = await cloud.describeGroup();
        if (a.to < group.desired) {
            fail(`refusing to lower desired capacity ${group.desired} → ${a.to} directly: that terminates instances without draining`);
        }
        if (a.cause === "surge" && a.baseline !== undefined) await cloud.recordSurge(a.baseline);
        if (a.to !== group.desired) await cloud.setDesiredCapacity(a.to);
        log(`desired capacity ${group.desired} → ${a.to}`);
        if (a.waitForActive > 0) await waitForActive(a.waitForActive, `for new instances (${a.cause})`);
    }

    const plannedVictims = new Set(plan.actions.flatMap((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : []));
    const run = { cloud, deps, settings, report, log, fail, waitDeadline, deadlineLeft, waitForActive };

    /**
     * Undoes every undrain of the plan at once, with batched requests (at thousands of instances one
     * request each would take minutes): ACTIVE again, drain mark cleared, back in the owned target groups.
     */
    async function undrainAll(all: Extract<Action, { kind: "undrain" }>[]): Promise<void> {
        const present = new Map((await cloud.describeContainerInstances(all.map((a) => a.containerInstanceArn))).map((c) => [c.arn, c]));
        const here = all.filter((a) => present.has(a.containerInstanceArn));
        for (const a of all.filter((x) => !present.has(x.containerInstanceArn))) {
            report.instances[a.instanceId] = "gone";
            log(`${a.instanceId} is gone; nothing to undrain`);
        }
        if (here.length === 0) return;
        const draining = here.filter((a) => present.get(a.containerInstanceArn)!.status === "DRAINING").map((a) => a.containerInstanceArn);
        if (draining.length > 0) await cloud.setContainerInstanceState(draining, "ACTIVE");
        await cloud.clearDrainMark(here.map((a) => a.containerInstanceArn));
        // The drain took the instances out of their target groups, and nothing else puts them back.
        const owned = await ownedTargetGroups(cloud, settings.targetGroupArns, await cloud.describeGroup());
        for (const tg of owned) await cloud.registerTargets(tg.arn, here.map((a) => a.instanceId), tg.port);
        for (const a of here) {
            report.instances[a.instanceId] = "undrained";
            log(`${a.instanceId} is ACTIVE again${owned.length > 0 ? ` and registered in ${owned.map((tg) => shortArn(tg.arn)).join(", ")}` : ""}`);
        }
    }

    let undrainsDone = false;
    for (const [index, action] of plan.actions.entries()) {
        const lines = renderAction(action);
        const summary = lines.join("; ");
        for (const line of lines) log(line.trim());
        try {
            switch (action.kind) {
                case "set-desired": await setDesired(action); break;
                case "protect":
                    await cloud.setInstanceProtection(action.instanceIds, true);
                    log(`protected ${plural(action.instanceIds.length, "instance")} from the group's own scale-in`);
                    break;
                case "undrain":
                    // The first undrain does them all; the others only report.
                    if (!undrainsDone) {
                        await undrainAll(plan.actions.filter((x): x is Extract<Action, { kind: "undrain" }> => x.kind === "undrain"));
                        undrainsDone = true;
                    }
                    break;
                case "end-surge": await cloud.recordSurge(undefined); break;
                case "set-on-demand-base":
                    // The declared base is recorded before it is changed, so a crash leaves it known.
                    if (action.fallback === "start") await cloud.recordFallback(action.baseline);
                    await cloud.setOnDemandBase(action.to);
                    if (action.fallback === "end") await cloud.recordFallback(undefined);
                    log(`On-Demand base capacity ${action.from} → ${action.to}`);
                    break;
                case "drain": await drainBatch(run, action, plannedVictims); break;
                default: {
                    const unknown: never = action;
                    throw new Error(`unknown action ${JSON.stringify(unknown)}`);
                }
            }
            report.actions.push({ summary, outcome: "done" });
        } catch (error) {
            report.actions.push({ summary, outcome: "failed" });
            for (const rest of plan.actions.slice(index + 1)) report.actions.push({ summary: renderAction(rest).join("; "), outcome: "skipped" });
            if (isScalerRunError(error)) throw error;
            fail(`${summary}: ${describeError(error)}`);
        }
    }
    log(plan.actions.length === 0 ? "nothing to do" : `done: ${plan.actions.length} action(s)`);
    return finish();
}
