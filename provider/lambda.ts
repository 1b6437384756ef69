// The runner's Lambda entry point, bundled with the AWS SDK clients it needs into dist/runner/index.js
// (npm run build). Each invocation is one bounded step: the settings the last `pulumi up` deployed
// (SPOT_ECS_SETTINGS) are checked, the lease taken, the allowed part of the plan carried out until
// shortly before the invocation's own deadline. Every line it logs is one JSON object.
import { awsCloud } from "./aws/cloud";
import { dynamoLease } from "./aws/lease";
import { realDeps } from "./cloud";
import { runnerStep } from "./runner";

/** Time kept back from the invocation's deadline, to give the lease back and record the outcome. */
export const DEADLINE_MARGIN_MS = 30_000;

interface LambdaContext {
    awsRequestId: string;
    getRemainingTimeInMillis(): number;
}

/** One runner step; throws (so Lambda counts an error) when the step failed or the settings are invalid. */
export async function handler(_event: unknown, context: LambdaContext): Promise<{ outcome: string; summary: string }> {
    const started = Date.now();
    const log = (fields: Record<string, unknown>) => console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
    let settings: unknown;
    try {
        settings = JSON.parse(process.env.SPOT_ECS_SETTINGS ?? "");
    } catch {
        settings = undefined;
    }
    const cluster = (settings as { clusterName?: string } | undefined)?.clusterName;
    const result = await runnerStep({
        settings,
        holder: `runner (Lambda request ${context.awsRequestId})`,
        deadlineMs: started + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
        deps: realDeps((line) => log({ level: "info", cluster, message: line })),
        cloud: () => {
            const s = settings as Parameters<typeof awsCloud>[0];
            return awsCloud({ region: s.region, clusterName: s.clusterName, autoScalingGroupName: s.autoScalingGroupName });
        },
        lease: (s) => dynamoLease(s.region, s.leaseTable!, s.clusterName),
    });
    const failed = result.outcome === "failed" || result.outcome === "invalid-settings";
    log({ level: failed ? "error" : "info", cluster, event: "runner-step", outcome: result.outcome, summary: result.summary,
        plan: result.plan ?? [], durationMs: Date.now() - started, ...(result.report === undefined ? {} : { instances: result.report.instances }) });
    if (failed) throw new Error(`${result.outcome}: ${result.summary}`);
    return { outcome: result.outcome, summary: result.summary };
}
