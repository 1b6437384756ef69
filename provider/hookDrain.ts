// Draining the instances the scaler's own termination lifecycle hook holds. The group starts these
// terminations (Capacity Rebalancing, a health check, an instance refresh, a lowered desired capacity,
// an operator); each instance waits in Terminating:Wait while the scaler drains it as it drains its own
// victims (DRAINING, out of its target groups, every task STOPPED), recording heartbeats so the hook
// does not time out, and lets it go with CompleteLifecycleAction CONTINUE once it is empty. At the drain
// timeout it completes with ABANDON: the group's instance lifecycle policy then retains the instance
// (Terminating:Retained, out of desired capacity, a replacement launched), and later runs drain it and
// terminate it once empty. The drains start first in a run and are looked at until the run ends, so
// the rest of the plan (a scale-out for the tasks they move) is not held behind them.
import { ClusterContainerInstance } from "./cloud";
import { notWaiting, OwnedTargetGroup, ownedTargetGroups, shortArn } from "./drain";
import { drainClock, STOP_GRACE_SECONDS } from "./drainVerdict";
import { Action, HOOK_WAIT_STATE, HookVictim, hookVictimOf, isMeantToRun, RETAINED_STATE, taskId } from "./model";
import { disconnectedVerdict, endingLine } from "./disconnected";
import { describeError } from "./retry";
import { RunContext } from "./run";
import { pollDelayMs } from "./waits";

/** Heartbeats per heartbeat timeout while an instance drains in the hook: one missed still leaves time. */
const BEATS_PER_TIMEOUT = 3;

interface Held {
    victim: HookVictim;
    /** When its drain began (epoch ms): its timeout counts from then. */
    startedMs: number;
    done: boolean;
    /** Standalone tasks stopped at the drain timeout: the look waits until then for them to stop. */
    stopDeadlineMs?: number;
    lastDetail?: string;
}

/** The hook drains of one run, looked at from the start of the run to its end. */
export interface HookWatch {
    hook: string;
    heartbeatMs: number;
    nextBeatMs: number;
    held: Held[];
    /** The hook is on the group: instances entering it during the run are taken up too (not when only retained instances are drained). */
    onGroup: boolean;
    /** The instance target groups the victims are taken out of, once read. */
    targetGroups: OwnedTargetGroup[] | undefined;
}

/** What a run looks at in the scaler's hook: none yet; {@link beat} also takes up instances that enter it during the run. */
export function watchHook(hook: string, heartbeatSeconds: number, nowMs: number, onGroup: boolean): HookWatch {
    return { hook, heartbeatMs: heartbeatSeconds * 1000 / BEATS_PER_TIMEOUT, nextBeatMs: nowMs, held: [], targetGroups: undefined, onGroup };
}

/**
 * Starts the drains of the plan's hook action: a heartbeat for each instance waiting in the hook, the
 * drain mark and DRAINING on each one still ACTIVE, its targets deregistered, then a first look that
 * lets go those already empty. The run keeps looking at them (see {@link finishHookDrains}).
 */
export async function startHookDrains(run: RunContext, watch: HookWatch, a: Extract<Action, { kind: "hook-drain" }>): Promise<void> {
    await adopt(run, watch, a.victims);
    await beat(run, watch);
    await look(run, watch);
}

/** Takes `victims` into the watch and starts their drains. */
async function adopt(run: RunContext, watch: HookWatch, victims: HookVictim[]): Promise<void> {
    const { cloud, deps, log } = run;
    const now = deps.now();
    watch.targetGroups ??= await ownedTargetGroups(cloud, run.settings.targetGroupArns, await cloud.describeGroup());
    const arns = victims.flatMap((v) => v.containerInstanceArn === undefined ? [] : [v.containerInstanceArn]);
    const containers = arns.length === 0 ? [] : await cloud.describeContainerInstances(arns);
    const byArn = new Map(containers.map((c) => [c.arn, c]));
    for (const victim of victims) {
        const c = victim.containerInstanceArn === undefined ? undefined : byArn.get(victim.containerInstanceArn);
        // A retained instance's drain already timed out once; each run gives it the drain timeout again
        // (the group launched a replacement: its tasks may have room now), counted once the rest of the plan is done.
        watch.held.push({ victim, startedMs: victim.retained ? now : Math.min(now, c?.drainSince ?? victim.drainSince ?? now), done: false });
        if (c !== undefined) run.report.tasksAtDrain[victim.instanceId] = c.runningTasks + c.pendingTasks;
    }
    const toDrain = containers.filter((c) => c.status === "ACTIVE").map((c) => c.arn);
    if (toDrain.length > 0) {
        await cloud.markDrain(toDrain, "hook", now);
        await cloud.setContainerInstanceState(toDrain, "DRAINING");
    }
    const ids = victims.map((v) => v.instanceId);
    if (ids.length > 0) log(`DRAINING ${ids.join(", ")} for the group's termination (hook ${watch.hook})`);
    for (const tg of ids.length === 0 ? [] : watch.targetGroups) {
        await cloud.deregisterTargets(tg.arn, ids, tg.port);
        log(`deregistering ${ids.join(", ")} from ${shortArn(tg.arn)}`);
    }
}

/**
 * Instances that entered the hook since the run planned (the group began terminating them while the
 * run was busy): taken up, so that a long run does not leave them to time out.
 */
async function arrivals(run: RunContext, watch: HookWatch): Promise<void> {
    const known = new Set(watch.held.map((h) => h.victim.instanceId));
    // The instances this run terminated itself, drained already, wait there too: it completes their actions itself.
    const fresh = (await run.cloud.describeGroup()).instances.filter((i) => i.asgState === HOOK_WAIT_STATE && !known.has(i.instanceId)
        && !run.terminating.has(i.instanceId));
    if (fresh.length === 0) return;
    const containers = new Map((await run.cloud.listContainerInstances()).map((c) => [c.ec2InstanceId, c]));
    run.log(`${fresh.map((i) => i.instanceId).join(", ")} entered hook ${watch.hook} during this run: draining ${fresh.length === 1 ? "it" : "them"} too`);
    await adopt(run, watch, fresh.map((i) => hookVictimOf(i.instanceId, containers.get(i.instanceId), false)));
}

/**
 * Looks at the hook drains until every instance is let go (or kept), or the run's deadline: an
 * instance still draining then stays in the hook, and the next run (or runner step) goes on with it.
 */
export async function finishHookDrains(run: RunContext, watch: HookWatch): Promise<void> {
    // A retained instance's drain gets its timeout from here: the rest of the plan (a scale-out for its tasks) is done.
    for (const h of watch.held) if (h.victim.retained) h.startedMs = run.deps.now();
    for (let attempt = 0; watch.held.some((h) => !h.done); attempt++) {
        if (run.deadlineLeft() <= 0) {
            const left = watch.held.filter((h) => !h.done);
            for (const h of left) run.report.instances[h.victim.instanceId] = "draining";
            run.log(`${left.map((h) => h.victim.instanceId).join(", ")} still draining in hook ${watch.hook} at the ${run.settings.deadlineName ?? "run's deadline"}; `
                + "the next run (or runner step) goes on with them");
            return;
        }
        await run.deps.sleep(Math.min(run.deadlineLeft(), pollDelayMs(attempt, run.deps.random())));
        await look(run, watch);
    }
}

/** When a heartbeat is due: takes up instances that entered the hook since, and records a heartbeat for every one still draining. */
export async function beat(run: RunContext, watch: HookWatch): Promise<void> {
    const now = run.deps.now();
    if (now < watch.nextBeatMs) return;
    watch.nextBeatMs = now + watch.heartbeatMs;
    if (watch.onGroup) await arrivals(run, watch);
    for (const h of watch.held.filter((x) => !x.done && !x.victim.retained)) {
        try {
            await run.cloud.recordHookHeartbeat(h.victim.instanceId, watch.hook);
        } catch (error) {
            if (!notWaiting(error)) throw error;
            leftToGroup(run, watch, h, error);
        }
    }
}

/** One look at every instance still draining: gone, empty (let go), past the timeout, or still draining. */
async function look(run: RunContext, watch: HookWatch): Promise<void> {
    const { cloud } = run;
    await beat(run, watch);
    const pending = () => watch.held.filter((h) => !h.done);
    if (pending().length === 0) return;
    const states = new Map((await cloud.describeGroup()).instances.map((i) => [i.instanceId, i.asgState]));
    for (const h of pending()) {
        const state = states.get(h.victim.instanceId);
        if (state !== HOOK_WAIT_STATE && state !== RETAINED_STATE) gone(run, h, `${h.victim.instanceId} left the hook (${state ?? "no longer in the group"})`);
    }
    const arns = pending().flatMap((h) => h.victim.containerInstanceArn === undefined ? [] : [h.victim.containerInstanceArn]);
    const containers = new Map((arns.length === 0 ? [] : await cloud.describeContainerInstances(arns)).map((c) => [c.arn, c]));
    const inTargets = new Map<string, string[]>();
    for (const tg of pending().length === 0 ? [] : watch.targetGroups ?? []) {
        const st = await cloud.targetStates(tg.arn, pending().map((h) => h.victim.instanceId), tg.port);
        for (const [id, s] of Object.entries(st)) if (s !== undefined && s !== "unused") inTargets.set(id, [...(inTargets.get(id) ?? []), `${shortArn(tg.arn)} ${s}`]);
    }
    const quiet = pending().filter((h) => counted(containerOf(h, containers)) === 0 && (inTargets.get(h.victim.instanceId) ?? []).length === 0);
    const asked = quiet.flatMap((h) => containerOf(h, containers) === undefined ? [] : [h.victim.containerInstanceArn!]);
    const stopping = asked.length === 0 ? {} : await cloud.stoppingTasks(asked);
    for (const h of pending()) {
        const c = containerOf(h, containers);
        const stillStopping = stopping[h.victim.containerInstanceArn ?? ""] ?? [];
        if (quiet.includes(h) && stillStopping.length === 0) {
            await letGo(run, watch, h, c);
            continue;
        }
        // Its agent disconnected: it cannot empty; it goes once its services run elsewhere, or at the drain timeout.
        if (c !== undefined && !c.agentConnected && (inTargets.get(h.victim.instanceId) ?? []).length === 0) {
            const timedOut = run.deps.now() - h.startedMs >= run.settings.policy.draining.timeoutSeconds * 1000;
            const v = await disconnectedVerdict(cloud, c.arn, timedOut);
            if (v.go) {
                if (v.tasks.length > 0) run.log(endingLine(h.victim.instanceId, v.tasks, timedOut));
                await letGo(run, watch, h, c);
                continue;
            }
        }
        const detail = `${h.victim.instanceId} (hook ${watch.hook}): ${counted(c)} task(s) counted${stillStopping.length > 0 ? `, ${stillStopping.length} stopping` : ""}`
            + `${(inTargets.get(h.victim.instanceId) ?? []).length > 0 ? `, in ${inTargets.get(h.victim.instanceId)!.join(", ")}` : ""}`;
        if (detail !== h.lastDetail) {
            h.lastDetail = detail;
            run.log(`waiting for ${detail}`);
        }
        // As for the scaler's own victims: targets get their deregistration delay, and tasks ECS is already
        // stopping their deactivation and stop grace, past the drain timeout.
        const clock = drainClock(h.startedMs, Math.max(0, ...(watch.targetGroups ?? []).map((tg) => tg.deregistrationDelaySeconds)),
            run.settings.policy.draining.timeoutSeconds);
        const limitMs = counted(c) > 0 ? clock.timeoutMs : (inTargets.get(h.victim.instanceId) ?? []).length > 0 ? clock.targetTimeoutMs : clock.stoppingTimeoutMs;
        if (run.deps.now() - h.startedMs >= limitMs) await onTimeout(run, watch, h, c);
    }
}

function containerOf(h: Held, containers: Map<string, ClusterContainerInstance>): ClusterContainerInstance | undefined {
    return h.victim.containerInstanceArn === undefined ? undefined : containers.get(h.victim.containerInstanceArn);
}

function counted(c: ClusterContainerInstance | undefined): number {
    return c === undefined ? 0 : c.runningTasks + c.pendingTasks;
}

function gone(run: RunContext, h: Held, why: string): void {
    h.done = true;
    run.report.instances[h.victim.instanceId] = "gone";
    run.log(why);
}

/** Auto Scaling says the instance no longer waits in the hook (its action completed or timed out meanwhile). */
function leftToGroup(run: RunContext, watch: HookWatch, h: Held, error: unknown): void {
    gone(run, h, `${h.victim.instanceId} no longer waits in hook ${watch.hook} (${describeError(error)}): left to the group`);
}

/** The instance is empty: CONTINUE (a retained one is terminated instead); a disconnected agent's container instance is deregistered. */
async function letGo(run: RunContext, watch: HookWatch, h: Held, c: ClusterContainerInstance | undefined): Promise<void> {
    const { cloud, deps, log } = run;
    const id = h.victim.instanceId;
    try {
        if (h.victim.retained) await cloud.terminateInstance(id, false);
        else await cloud.completeHookAction(id, watch.hook, "CONTINUE");
    } catch (error) {
        if (!notWaiting(error)) throw error;
        leftToGroup(run, watch, h, error);
        return;
    }
    if (c !== undefined && !c.agentConnected) {
        try {
            await cloud.deregisterContainerInstance(c.arn);
        } catch (error) {
            log(`${id}: could not deregister its container instance (agent disconnected): ${describeError(error)}`);
        }
    }
    h.done = true;
    run.report.instances[id] = "terminated";
    run.report.drainSeconds[id] = Math.round((deps.now() - h.startedMs) / 1000);
    log(h.victim.retained ? `terminated retained ${id}: drained` : `${id} drained: its termination goes on (hook ${watch.hook}, CONTINUE)`);
}

/**
 * Past the drain timeout: standalone tasks are stopped under `draining.standaloneTasks: "stop"` (and
 * given their stop grace); otherwise the hook's action is completed with ABANDON, naming every task
 * left, and the group's instance lifecycle policy keeps the instance. A retained instance stays as it
 * is, DRAINING, and the next run looks again.
 */
async function onTimeout(run: RunContext, watch: HookWatch, h: Held, c: ClusterContainerInstance | undefined): Promise<void> {
    const { cloud, deps, log } = run;
    const id = h.victim.instanceId;
    const draining = run.settings.policy.draining;
    if (h.stopDeadlineMs !== undefined && deps.now() < h.stopDeadlineMs) return;
    const onIt = c === undefined ? [] : await cloud.listTasksOn(c.arn, true);
    const left = onIt.filter(isMeantToRun);
    const standalone = left.filter((t) => t.group.startsWith("family:") && !t.daemon);
    if (draining.standaloneTasks === "stop" && h.stopDeadlineMs === undefined && standalone.length > 0 && standalone.length === left.filter((t) => !t.daemon).length) {
        for (const t of standalone) {
            await cloud.stopTask(t.arn, `spot-ecs: drain of ${id} for the group's termination timed out after ${draining.timeoutSeconds} s`);
            run.report.tasksStopped.push(t.arn);
            log(`stopped standalone task ${t.arn} (${t.group}) on ${id}: drain timeout, draining.standaloneTasks is "stop"`);
        }
        h.stopDeadlineMs = deps.now() + STOP_GRACE_SECONDS * 1000;
        return;
    }
    const named = onIt.map((t) => `${t.group} (${taskId(t.arn)}, ${t.lastStatus})`).join(", ") || "no task it can name (its targets still draining)";
    h.done = true;
    if (h.victim.retained) {
        run.report.instances[id] = "retained";
        log(`retained ${id} still holds ${named} after another ${draining.timeoutSeconds} s of drain: it stays DRAINING, and the next run looks again`);
        return;
    }
    try {
        await cloud.completeHookAction(id, watch.hook, "ABANDON");
    } catch (error) {
        if (!notWaiting(error)) throw error;
        leftToGroup(run, watch, h, error);
        return;
    }
    run.report.instances[id] = "abandoned";
    log(`ABANDON for ${id}: its drain did not finish in draining.timeoutSeconds (${draining.timeoutSeconds} s), still holding ${named}; `
        + "the group's instance lifecycle policy retains it (Terminating:Retained) and launches a replacement, and later runs drain it and terminate it once empty");
}
