// One reconcile: observe → plan → (preview: show) → (up: execute). Shared by the dynamic
// provider, the command line and the simulator, so all three run the same code.
import { Cloud, Deps } from "./cloud";
import { execute } from "./executor";
import { isScalerRunError } from "./run";
import { Observed, Plan, RunReport } from "./model";
import { observe } from "./observe";
import { plan } from "./planner";
import { ScalerSettings } from "./settings";
import { renderPlan } from "./render";
import { describeError, withRetries } from "./retry";
import { runMetrics, SCALER_NAMESPACE } from "./scalerMetrics";

export interface Preview {
    observed: Observed;
    plan: Plan;
    lines: string[];
}

/** Observes and plans without changing anything. */
export async function previewPlan(cloud: Cloud, deps: Deps, s: ScalerSettings): Promise<Preview> {
    const policy = { scaling: s.scaling, draining: s.draining };
    const observed = await observe(withRetries(cloud, deps), s, policy, deps.now());
    const p = plan(observed, policy, observed.now);
    return { observed, plan: p, lines: renderPlan(p) };
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
    const narrowed = options.narrow === undefined ? planned.plan : options.narrow(planned.plan);
    const preview = narrowed === planned.plan ? planned : { ...planned, plan: narrowed, lines: renderPlan(narrowed) };
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
    try {
        const report = await execute(preview.plan, retried, deps, {
            clusterName: s.clusterName,
            policy: { scaling: s.scaling, draining: s.draining },
            targetGroupArns: s.targetGroupArns,
            // The door's own deadline, when it comes before the update's, is the one messages name.
            ...(options.deadlineMs !== undefined && options.deadlineMs < updateDeadline
                ? { deadlineMs: options.deadlineMs, ...(options.deadlineName === undefined ? {} : { deadlineName: options.deadlineName }) }
                : { deadlineMs: updateDeadline }),
        });
        await publish(report);
        return { ...preview, report };
    } catch (error) {
        if (isScalerRunError(error)) await publish(error.report);
        throw error;
    }
}
