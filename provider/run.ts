// One run of a plan: the report it fills, how it logs, waits within its deadline and fails. The
// executor and the drain steps share it.
import { Cloud, ClusterContainerInstance, Deps } from "./cloud";
import { activeCount, isLiveState, RunReport } from "./model";
import { Policy } from "./settings";
import { waitFor } from "./waits";

export interface ExecuteSettings {
    clusterName: string;
    policy: Policy;
    /** Target groups from the inputs; the group's own target groups are added at run time. */
    targetGroupArns: string[];
    /** Absolute epoch ms after which the run stops and reports what is left. */
    deadlineMs: number;
    /** How messages name that deadline. @default "update deadline of <maxUpdateSeconds> s" */
    deadlineName?: string;
}

/** How a run's messages name its deadline. */
export function deadlineName(settings: ExecuteSettings): string {
    return settings.deadlineName ?? `update deadline of ${settings.policy.draining.maxUpdateSeconds} s`;
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

/** What the steps of one run share: the ports, the settings, its report, and how it logs, waits and fails. */
export interface RunContext {
    cloud: Cloud;
    deps: Deps;
    settings: ExecuteSettings;
    report: RunReport;
    log(line: string): void;
    /** Records `message` in the report and throws the run's error. */
    fail(message: string): never;
    /** The report with its end time. */
    finish(): RunReport;
    /** The epoch ms a wait of `seconds` from now ends, within the update deadline. */
    waitDeadline(seconds: number): number;
    /** Milliseconds left before the update deadline. */
    deadlineLeft(): number;
    /** Waits until `count` instances are ACTIVE, failing the run if they are not in time. */
    waitForActive(count: number, why: string): Promise<ClusterContainerInstance[]>;
    /** The scaler's termination hook on the group, when it is there: the scaler's own terminations wait in it too. */
    terminationHook?: string;
    /** Instances this run asked the group to terminate (after draining them): it completes their hook actions itself. */
    terminating: Set<string>;
    /**
     * Adds work done before every wait of the run (heartbeats for instances held in a lifecycle hook):
     * whatever step the run is in, they go on while it waits. A failure there is logged, not thrown.
     */
    beforeEachWait(work: () => Promise<void>): void;
}

/** A run starting now, with an empty report. */
export function runContext(cloud: Cloud, deps: Deps, settings: ExecuteSettings): RunContext {
    const report: RunReport = {
        startedAt: new Date(deps.now()).toISOString(),
        finishedAt: "",
        actions: [],
        instances: {},
        tasksStopped: [],
        drainSeconds: {},
        tasksAtDrain: {},
    };
    const beforeWait: (() => Promise<void>)[] = [];
    const waiting: Deps = {
        ...deps,
        sleep: async (ms, signal) => {
            for (const work of beforeWait) {
                try {
                    await work();
                } catch (error) {
                    deps.log(`[${settings.clusterName}] before a wait: ${error instanceof Error ? error.message : String(error)}`);
                }
            }
            await deps.sleep(ms, signal);
        },
    };
    const run: RunContext = {
        cloud, deps: waiting, settings, report,
        beforeEachWait: (work) => beforeWait.push(work),
        terminating: new Set(),
        log: (line) => deps.log(`[${settings.clusterName}] ${line}`),
        finish: () => {
            report.finishedAt = new Date(deps.now()).toISOString();
            return report;
        },
        fail: (message) => {
            report.error = message;
            run.finish();
            throw scalerRunError(message, report);
        },
        waitDeadline: (seconds) => Math.min(deps.now() + seconds * 1000, settings.deadlineMs),
        deadlineLeft: () => settings.deadlineMs - deps.now(),
        waitForActive: (count, why) => waitForActive(run, count, why),
    };
    return run;
}

/** Waits until `count` instances are ACTIVE; returns the container instances the last look listed. */
async function waitForActive(run: RunContext, count: number, why: string): Promise<ClusterContainerInstance[]> {
    const { cloud, deps } = run;
    const draining = run.settings.policy.draining;
    // New instances take minutes to boot and register whatever the drain timeout is.
    const registrationSeconds = Math.max(draining.timeoutSeconds, REGISTRATION_TIMEOUT_SECONDS);
    let listed: ClusterContainerInstance[] = [];
    const result = await waitFor(async () => {
        const group = await cloud.describeGroup();
        // Fewer live instances in the group than needed: no container instance list can say otherwise,
        // and at thousands of instances that list is tens of requests.
        const live = group.instances.filter((i) => isLiveState(i.asgState)).length;
        // Instances to launch, and maxSize lowered below what the batch needs (by hand or by a deploy):
        // the group launches none past maxSize, so no wait can bring them.
        if (live < count && group.maxSize < count) {
            return { state: "FAILED", value: live, detail: `maxSize ${group.maxSize} holds fewer than the ${count} instances needed ACTIVE; raise maxSize to ${count} or lower draining.minHealthyPercent` };
        }
        if (live < count) return { state: "RETRY", value: live, detail: `${live} instances in the group, ${count} ACTIVE needed` };
        listed = await cloud.listContainerInstances();
        const n = activeCount(group, listed);
        return { state: n >= count ? "DONE" : "RETRY", value: n, detail: `${n} instances ACTIVE, ${count} needed` };
    }, run.waitDeadline(registrationSeconds), deps, (detail) => run.log(`waiting ${why}: ${detail}`));
    if (result.state === "FAILED") run.fail(`${why}: ${result.detail}; nothing was drained for it, and the next run continues from here`);
    if (result.state !== "DONE") {
        run.fail(`${why}: only ${result.detail} after ${registrationSeconds} s`
            + (run.deadlineLeft() <= 0 ? ` (${deadlineName(run.settings)} reached)` : "")
            + "; nothing was drained for it, and the next run continues from here");
    }
    return listed;
}
