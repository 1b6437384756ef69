// The executor: carries out one plan, in order, through the Cloud port. The plan decides what is
// done; the executor waits, retries and refuses what would be unsafe, and the drain's verdicts
// (drainVerdict.ts) decide when each victim goes. Every instance it terminates has first been drained
// of tasks and targets.
import { Cloud, Deps } from "./cloud";
import { drainBatch, putBackActive } from "./drain";
import { beat, finishHookDrains, HookWatch, startHookDrains, watchHook } from "./hookDrain";
import { Action, Plan, RunReport } from "./model";
import { plural, renderAction } from "./render";
import { describeError } from "./retry";
import { bake, bakesAfter } from "./rolloutGuard";
import { ExecuteSettings, isScalerRunError, RunContext, runContext } from "./run";

/** Carries out `plan`; resolves with the report, or throws ScalerRunError carrying it. */
export async function execute(plan: Plan, cloud: Cloud, deps: Deps, settings: ExecuteSettings): Promise<RunReport> {
    const run = runContext(cloud, deps, settings);
    // With the scaler's hook on the group, the run drains what waits in it, from the start or arriving while it runs.
    let hooked: HookWatch | undefined;
    const watch = (w: HookWatch): HookWatch => {
        run.beforeEachWait(() => beat(run, w));
        return w;
    };
    if (plan.terminationHook !== undefined) {
        run.terminationHook = plan.terminationHook.name;
        hooked = watch(watchHook(plan.terminationHook.name, plan.terminationHook.heartbeatSeconds, deps.now(), true));
    }
    const plannedVictims = new Set(plan.actions.flatMap((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : []));
    let undrainsDone = false;
    for (const [index, action] of plan.actions.entries()) {
        const lines = renderAction(action);
        const summary = lines.join("; ");
        for (const line of lines) run.log(line.trim());
        try {
            switch (action.kind) {
                case "set-desired": await setDesired(run, action); break;
                case "protect":
                    await cloud.setInstanceProtection(action.instanceIds, true);
                    run.log(`protected ${plural(action.instanceIds.length, "instance")} from the group's own scale-in`);
                    break;
                case "undrain":
                    // The first undrain does them all; the others only report.
                    if (!undrainsDone) {
                        await undrainAll(run, plan.actions.filter((x): x is Extract<Action, { kind: "undrain" }> => x.kind === "undrain"));
                        undrainsDone = true;
                    }
                    break;
                case "end-surge": await cloud.recordSurge(undefined); break;
                case "end-halt": await cloud.recordHalt(undefined); break;
                case "halt": await cloud.recordHalt(action.halt); break;
                case "mark-disconnected": await cloud.markDrain(action.instances.map((i) => i.containerInstanceArn), "heal", deps.now()); break;
                case "set-on-demand-base": await setOnDemandBase(run, action); break;
                case "drain":
                    await drainBatch(run, action, plannedVictims, action.purpose === "replace" ? plan.rollout : undefined);
                    if (bakesAfter(plan, action)) await bake(run, plan.rollout!, `replace batch ${action.batch} of ${action.batches}`);
                    break;
                case "hook-drain":
                    hooked ??= watch(watchHook(action.hook, action.heartbeatSeconds, deps.now(), false));
                    await startHookDrains(run, hooked, action);
                    break;
                default: {
                    const unknown: never = action;
                    throw new Error(`unknown action ${JSON.stringify(unknown)}`);
                }
            }
            run.report.actions.push({ summary, outcome: "done" });
        } catch (error) {
            run.report.actions.push({ summary, outcome: "failed" });
            for (const rest of plan.actions.slice(index + 1)) run.report.actions.push({ summary: renderAction(rest).join("; "), outcome: "skipped" });
            if (isScalerRunError(error)) throw error;
            run.fail(`${summary}: ${describeError(error)}`);
        }
    }
    if (hooked !== undefined && hooked.held.length > 0) await finishHookDrains(run, hooked);
    run.log(plan.actions.length === 0 ? "nothing to do" : `done: ${plan.actions.length} action(s)`);
    return run.finish();
}

/** Raises desired capacity (never lowers it: that would terminate without a drain), then waits for the new instances. */
async function setDesired(run: RunContext, a: Extract<Action, { kind: "set-desired" }>): Promise<void> {
    const group = await run.cloud.describeGroup();
    if (a.to < group.desired) {
        run.fail(`refusing to lower desired capacity ${group.desired} → ${a.to} directly: that terminates instances without draining`);
    }
    if (a.cause === "surge" && a.baseline !== undefined) await run.cloud.recordSurge(a.baseline);
    if (a.to !== group.desired) await run.cloud.setDesiredCapacity(a.to);
    run.log(`desired capacity ${group.desired} → ${a.to}`);
    if (a.waitForActive > 0) await run.waitForActive(a.waitForActive, `for new instances (${a.cause})`);
}

/** Sets the On-Demand base; the declared base is recorded before a fallback changes it, so a crash leaves it known. */
async function setOnDemandBase(run: RunContext, a: Extract<Action, { kind: "set-on-demand-base" }>): Promise<void> {
    if (a.fallback === "start") await run.cloud.recordFallback(a.baseline);
    await run.cloud.setOnDemandBase(a.to);
    if (a.fallback === "end") await run.cloud.recordFallback(undefined);
    run.log(`On-Demand base capacity ${a.from} → ${a.to}`);
}

/** Undoes every undrain of the plan at once (see {@link putBackActive}). */
async function undrainAll(run: RunContext, all: Extract<Action, { kind: "undrain" }>[]): Promise<void> {
    const gone = await putBackActive(run, all);
    for (const a of all) {
        run.report.instances[a.instanceId] = gone.includes(a.instanceId) ? "gone" : "undrained";
        if (gone.includes(a.instanceId)) run.log(`${a.instanceId} is gone; nothing to undrain`);
    }
}
