// The scaler as a Pulumi dynamic provider. `check` observes the cluster and writes the plan into the
// `plan` input, so `pulumi preview --diff` shows it; `update` observes again and carries the plan out.
// A plain object: the engine serializes it into state, so it captures no client, credential or
// environment value; SDK clients are created inside the calls.
import { awsCloud } from "./aws/cloud";
import { dynamoLease } from "./aws/lease";
import { realDeps } from "./cloud";
import { underLease } from "./lease";
import { isScalerRunError } from "./run";
import { checkScalerInputs, plannableInputs, ScalerInputs } from "./inputs";
import { RunReport } from "./model";
import { previewPlan, reconcile } from "./reconcile";
import { isNoteLine, NOTE_PREFIX, PLAN_PENDING, planHasActions, planPendingBecause } from "./render";
import { ownHook } from "./planner/hooks";
import { runnerNotes } from "./runner";
import { describeError } from "./retry";
import { ScalerSettings, SETTING_KEYS } from "./settings";

/** What the last `pulumi up` did, as stored in the scaler's outputs. */
export interface LastRun extends RunReport {
    plan: string[];
}

/**
 * Largest partial-failure state (as JSON) sent back with an error. The host sends it in a gRPC
 * trailer, and a trailer over about 64 KB never reaches the engine, which then waits forever. The
 * serialized provider is about 6 KB when the package is installed from npm, but over 80 KB when a
 * program runs it from a source checkout; there the error goes without state, and the previous
 * run record stays.
 */
export const PARTIAL_STATE_LIMIT_BYTES = 48 * 1024;


/** What does not exist yet, from an error reading the cluster or group; undefined for any other error. */
function missingResource(error: unknown, i: ScalerInputs): string | undefined {
    const e = error as { name?: string; message?: string };
    if (e?.name === "ClusterNotFoundException") return `ECS cluster ${i.clusterName}`;
    if (typeof e?.message === "string" && e.message.startsWith(`Auto Scaling group ${i.autoScalingGroupName} not found`)) {
        return `Auto Scaling group ${i.autoScalingGroupName}`;
    }
    return undefined;
}

/** The inputs are the settings; only an absent target group list needs filling in. */
function settingsOf(i: ScalerInputs): ScalerSettings {
    return { ...i, targetGroupArns: i.targetGroupArns ?? [] };
}

/**
 * The plan an up stores in the scaler's outputs once it has carried it out: its note lines only (what
 * stays true after the run, unlike its actions). A preview shows these outputs against its new plan.
 */
export function notesOf(lines: string[]): string[] {
    return lines.filter(isNoteLine);
}

function sameJson(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

/** Carries out the plan in the inputs (if it has actions); shared by create and update. */
async function runUpdate(id: string, _olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ outs: Record<string, unknown> }> {
    const inputs = news as unknown as ScalerInputs;
    if (!planHasActions(inputs.plan)) return { outs: { ...news, lastRun: _olds.lastRun ?? null } };
    const log = (line: string) => console.log(line);
    const deps = realDeps(log);
    // One actor at a time: wait for the runner (or a `spot-ecs run`) to finish its step, then hold the lease for the whole update.
    return underLease(leaseOf(inputs), "pulumi up", inputs.draining.maxUpdateSeconds,
        { now: deps.now, sleep: deps.sleep, log: (l) => log(`[${inputs.clusterName}] ${l}`) }, async () => {
            try {
                const result = await reconcile(awsCloud(inputs), deps, settingsOf(inputs));
                // A preview shows the stored outputs against its new plan: what was carried out lives in lastRun,
                // so that the next preview shows its own plan, not this one undone.
                return { outs: { ...news, plan: notesOf(result.lines), lastRun: { ...result.report, plan: result.lines } } };
            } catch (error) {
                const report = isScalerRunError(error) ? error.report : undefined;
                const message = `[${inputs.clusterName}] ${isScalerRunError(error) ? error.message : describeError(error)}`;
                const lastRun = report === undefined ? null : { ...report, plan: inputs.plan ?? [] };
                const properties = { ...news, plan: notesOf(inputs.plan ?? []), lastRun };
                if (JSON.stringify(properties).length > PARTIAL_STATE_LIMIT_BYTES) {
                    log(`${message.split("\n")[0]} (this run's record is too large to return with the error and is not saved)`);
                    throw new Error(message);
                }
                log(`${message.split("\n")[0]} (state records what was done)`);
                throw Object.assign(new Error(message), { id, properties, reasons: [message] });
            }
        });
}

/** The cluster's lease, when the scaler was given a lease table. */
function leaseOf(inputs: ScalerInputs) {
    return inputs.leaseTable === undefined ? undefined : dynamoLease(inputs.region, inputs.leaseTable, inputs.clusterName);
}

export const scalerProvider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
        const failures = checkScalerInputs(news);
        if (failures.length > 0) return { inputs: news, failures };
        // In a preview, values this update creates are unknown; plan as exactly as the known ones allow.
        const inputs = plannableInputs(news);
        if (inputs === undefined) return { inputs: { ...news, plan: [PLAN_PENDING] } };
        try {
            const cloud = awsCloud(inputs);
            const preview = await previewPlan(cloud, realDeps(() => undefined), settingsOf(inputs));
            // What the runner does between deploys, and whether it (or anyone) holds the lease: read, never taken, in a preview.
            const lease = leaseOf(inputs);
            const runner = lease === undefined ? [] : await runnerNotes(inputs, lease, Date.now(), ownHook(preview.observed));
            return { inputs: { ...news, plan: [...preview.lines, ...runner.map((n) => `${NOTE_PREFIX}${n}`)] } };
        } catch (error) {
            const missing = missingResource(error, inputs);
            if (missing !== undefined) return { inputs: { ...news, plan: [planPendingBecause(missing)] } };
            throw new Error(`[${inputs.clusterName}] could not observe the cluster to plan: ${describeError(error)}`);
        }
    },

    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
        // A changed setting alone is an update (the plan and the run record are derived from them).
        const settingsChanged = SETTING_KEYS.some((k) => !sameJson(olds[k], news[k]));
        const codeChanged = olds.__provider !== news.__provider;
        return { changes: planHasActions(news.plan) || settingsChanged || codeChanged, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: Record<string, unknown>) {
        const i = inputs as unknown as ScalerInputs;
        const id = `${i.clusterName}/${i.autoScalingGroupName}`;
        // A scaler created on a cluster that already has work does what its preview showed, as update would.
        const { outs } = await runUpdate(id, { lastRun: null }, inputs);
        return { id, outs };
    },

    async update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
        return runUpdate(id, olds, news);
    },

    async read(id: string, props?: Record<string, unknown>) {
        return { id, props: props ?? {} };
    },

    async delete() {
        // Instances belong to the Auto Scaling group; removing the scaler leaves them as they are.
    },
};
