// One reconcile: observe → plan → (preview: show) → (up: execute). Shared by the dynamic
// provider, the command line and the simulator, so all three run the same code.
import { Cloud, Deps } from "./cloud";
import { execute } from "./executor";
import { Observed, Plan, RunReport } from "./model";
import { observe } from "./observe";
import { plan } from "./planner";
import { DrainingPolicy, ScalingPolicy } from "./policy";
import { renderPlan } from "./render";
import { withRetries } from "./retry";

/** What the scaler acts on and how; every field comes from the component, none from the environment. */
export interface ScalerSettings {
    region: string;
    clusterName: string;
    autoScalingGroupName: string;
    launchTemplateId: string;
    launchTemplateVersion: string;
    targetGroupArns: string[];
    scaling: ScalingPolicy;
    draining: DrainingPolicy;
}

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

/** Observes, plans and carries the plan out; throws ScalerRunError (with its report) when it cannot finish. */
export async function reconcile(cloud: Cloud, deps: Deps, s: ScalerSettings): Promise<Preview & { report: RunReport }> {
    const started = deps.now();
    const retried = withRetries(cloud, deps);
    const preview = await previewPlan(cloud, deps, s);
    const report = await execute(preview.plan, retried, deps, {
        clusterName: s.clusterName,
        policy: { scaling: s.scaling, draining: s.draining },
        targetGroupArns: s.targetGroupArns,
        deadlineMs: started + s.draining.maxUpdateSeconds * 1000,
    });
    return { ...preview, report };
}
