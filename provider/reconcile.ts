// One reconcile: observe → plan → (preview: show) → (up: execute). Shared by the dynamic
// provider, the command line and the simulator, so all three run the same code.
import { Cloud, Deps } from "./cloud";
import { execute } from "./executor";
import { isScalerRunError } from "./run";
import { Observed, Plan, RunReport } from "./model";
import { observe } from "./observe";
import { plan } from "./planner";
import { forecastOf, ForecastFacts, servicesDrained } from "./planner/forecast";
import { ScalerSettings } from "./settings";
import { renderForecast, renderPlan } from "./render";
import { describeError, withRetries } from "./retry";
import { runMetrics, SCALER_NAMESPACE } from "./scalerMetrics";

export interface Preview {
    observed: Observed;
    plan: Plan;
    lines: string[];
    /** What the forecast read besides the observation. */
    facts: ForecastFacts;
}

/** Observes and plans without changing anything; the plan carries its forecast. */
export async function previewPlan(cloud: Cloud, deps: Deps, s: ScalerSettings): Promise<Preview> {
    const policy = { scaling: s.scaling, draining: s.draining, ...(s.maintenance === undefined ? {} : { maintenance: s.maintenance }) };
    const retried = withRetries(cloud, deps);
    const observed = await observe(retried, s, policy, deps.now());
    const p = plan(observed, policy, observed.now);
    const facts = await forecastFacts(retried, s, observed, p);
    const forecasted = withForecast(p, observed, facts, s);
    return { observed, plan: forecasted, lines: renderPlan(forecasted), facts };
}

/** `p` with its forecast (made anew, for a plan narrowed after the facts were read). */
function withForecast(p: Plan, observed: Observed, facts: ForecastFacts, s: ScalerSettings): Plan {
    const { forecast: _, ...rest } = p;
    const forecast = forecastOf(rest, observed, facts, s.draining);
    return forecast === undefined ? rest : { ...rest, forecast };
}

/**
 * What the forecast reads besides the observation, only for a plan that drains: the services with a
 * task on the instances drained (DescribeServices, their task definitions) and the deregistration
 * delays of their target groups and of the instance target groups the scaler owns.
 */
async function forecastFacts(cloud: Cloud, s: ScalerSettings, observed: Observed, p: Plan): Promise<ForecastFacts> {
    const names = servicesDrained(p, observed);
    const drains = p.actions.some((a) => (a.kind === "drain" || a.kind === "hook-drain") && a.victims.length > 0);
    if (!drains) return { services: {}, delays: {}, instanceTargetGroupArns: [] };
    // The instance target groups are read even for empty victims: their deregistration delay is the drain's floor.
    const services = names.length === 0 ? {} : await cloud.serviceFacts(names);
    const own = s.targetGroupArns.length === 0 ? {} : await cloud.targetGroups(s.targetGroupArns);
    const theirs = [...new Set(Object.values(services).flatMap((f) => f.targetGroupArns))].filter((arn) => !(arn in own));
    // A service's target group that cannot be read (deleted under it) leaves its delay to the estimate's assumption, not the plan to fail.
    const groups = { ...own, ...(theirs.length === 0 ? {} : await cloud.targetGroups(theirs).catch(() => ({}))) };
    return {
        services,
        delays: Object.fromEntries(Object.entries(groups).map(([arn, g]) => [arn, g.deregistrationDelaySeconds])),
        instanceTargetGroupArns: s.targetGroupArns.filter((arn) => own[arn]?.targetType === "instance"),
    };
}

/** How one door runs the reconcile: what of the plan it may carry out, and when it must stop. */
export interface ReconcileOptions {
    /** The part of the plan this door carries out (the runner's `runner.actions`); the rest becomes notes. */
    narrow?: (p: Plan) => Plan;
    /** Epoch ms by which the run stops, if before `draining.maxUpdateSeconds` from its start. */
    deadlineMs?: number;
    /** How messages name that deadline. */
    deadlineName?: string;
}

/** Observes, plans and carries the plan out; throws ScalerRunError (with its report) when it cannot finish. */
export async function reconcile(cloud: Cloud, deps: Deps, s: ScalerSettings, options: ReconcileOptions = {}): Promise<Preview & { report: RunReport }> {
    const started = deps.now();
    const updateDeadline = started + s.draining.maxUpdateSeconds * 1000;
    const retried = withRetries(cloud, deps);
    const planned = await previewPlan(cloud, deps, s);
    const narrowed = options.narrow === undefined ? planned.plan : withForecast(options.narrow(planned.plan), planned.observed, planned.facts, s);
    const preview = options.narrow === undefined ? planned : { ...planned, plan: narrowed, lines: renderPlan(narrowed) };
    const publish = async (report: RunReport): Promise<void> => {
        if (preview.plan.actions.length === 0) return;
        const metrics = runMetrics(preview.observed, preview.plan, report);
        try {
            await retried.publishMetrics(metrics);
            report.metrics = metrics;
            deps.log(`[${s.clusterName}] published ${metrics.map((m) => `${m.name}=${m.value}`).join(" ")} to ${SCALER_NAMESPACE}`);
        } catch (error) {
            // Metrics are for people watching; they never fail the update.
            deps.log(`[${s.clusterName}] could not publish metrics to ${SCALER_NAMESPACE}: ${describeError(error)}`);
        }
    };
    // What the plan said the run would take, against what it took, goes into the report either way.
    const withActual = (report: RunReport): RunReport => preview.plan.forecast === undefined ? report
        : Object.assign(report, { forecast: { ...preview.plan.forecast, actualSeconds: Math.round((deps.now() - started) / 1000) } });
    // The forecast the preview showed, at the head of the up's progress: what the services go through, how long it should take.
    if (preview.plan.forecast !== undefined && preview.plan.actions.length > 0) {
        for (const line of renderForecast(preview.plan.forecast)) deps.log(`[${s.clusterName}] ${line}`);
    }
    try {
        const report = withActual(await execute(preview.plan, retried, deps, {
            clusterName: s.clusterName,
            policy: { scaling: s.scaling, draining: s.draining },
            targetGroupArns: s.targetGroupArns,
            // The door's own deadline, when it comes before the update's, is the one messages name.
            ...(options.deadlineMs !== undefined && options.deadlineMs < updateDeadline
                ? { deadlineMs: options.deadlineMs, ...(options.deadlineName === undefined ? {} : { deadlineName: options.deadlineName }) }
                : { deadlineMs: updateDeadline }),
        }));
        await publish(report);
        return { ...preview, report };
    } catch (error) {
        if (isScalerRunError(error)) await publish(withActual(error.report));
        throw error;
    }
}
