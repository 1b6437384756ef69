// Draining a batch of instances: the service gate, DRAINING and target deregistration, then a look at
// every victim until each is empty and terminated, or stuck past its timeout. What to do with a
// victim at each look is decided by drainVerdict.ts; this file observes and carries the verdicts out.
import { Cloud, ClusterContainerInstance, GroupState } from "./cloud";
import { disconnectedVerdict, endingLine } from "./disconnected";
import { decrementNow, DrainClock, drainClock, nextMoment, STOP_GRACE_SECONDS, timeoutVerdict, Verdict, VictimMarks, victimVerdict } from "./drainVerdict";
import { forEachLimit } from "./limit";
import { Action, activeContainers, DrainPurpose, InstanceOutcome, isLiveState, isMeantToRun, ObservedTask, Plan, RunReport, serviceNames,
    taskId, Victim } from "./model";
import { firstUnmetMemberOf } from "./placement";
import { plural } from "./render";
import { describeError } from "./retry";
import { serviceShortfalls, shortServices } from "./serviceGate";
import { duringBatch, halt } from "./rolloutGuard";
import { deadlineName, RunContext } from "./run";
import { pollDelayMs, waitFor } from "./waits";

/** Victims looked at, and terminated, at the same time: the pacing keeps their requests within AWS's quotas. */
export const VICTIM_CONCURRENCY = 10;

/** Attempts, and seconds between them, to complete the hook's action for an instance the scaler has just terminated. */
const OWN_TERMINATION_ATTEMPTS = 4;
const OWN_TERMINATION_RETRY_SECONDS = 3;

/** Whether an error is Auto Scaling saying the instance does not wait in the lifecycle hook (or is not in the group). */
export function notWaiting(error: unknown): boolean {
    return error instanceof Error && error.name === "ValidationError";
}

/** A target group whose instance targets the scaler owns: the group registers each instance at `port`. */
export interface OwnedTargetGroup {
    arn: string;
    port?: number;
    deregistrationDelaySeconds: number;
}

/** What a batch adds to the run's report. */
interface BatchEntries {
    instances: Record<string, InstanceOutcome>;
    drainSeconds: Record<string, number>;
    tasksAtDrain: Record<string, number>;
    tasksStopped: string[];
}

/** One batch being drained: the run, the instances the whole run drains (no place to move a task to), and the batch's report entries. */
interface BatchContext {
    run: RunContext;
    plannedVictims: Set<string>;
    entries: BatchEntries;
    /** When each victim's drain began (epoch ms), by instance id: now, or when an earlier run began it (its mark says). */
    startedMs: Map<string, number>;
    /** The guard alarm in ALARM, for a replacement guarded by `draining.haltOnAlarms` (looked at once a minute at most). */
    guard: () => Promise<string | undefined>;
    rollout?: Plan["rollout"];
}

interface VictimState {
    victim: Victim;
    done: boolean;
    failure?: string;
    marks: VictimMarks;
    /** Services with a task on the instance when its drain began: each must be whole before it is terminated. */
    services: string[];
    lastDetail?: string;
}

/** What one look at a batch's pending victims read. */
interface Look {
    containerOf(s: VictimState): ClusterContainerInstance | undefined;
    inTargets(s: VictimState): string[];
    /** Tasks ECS is still stopping on the victim (read only for victims with none counted and no target left). */
    stoppingOn(s: VictimState): ObservedTask[];
    /** Nothing counted, nothing stopping, out of its target groups: it goes once its services are whole. */
    mayGo(s: VictimState): boolean;
    /** A line for each short service among those of the victims that may go. */
    short: Map<string, string>;
}

/** The instance target groups of the scaler's settings and of the group; task-owned (ip) groups are ECS's. */
export async function ownedTargetGroups(cloud: Cloud, targetGroupArns: string[], group: GroupState): Promise<OwnedTargetGroup[]> {
    const arns = [...new Set([...targetGroupArns, ...group.targetGroupArns])];
    if (arns.length === 0) return [];
    const info = await cloud.targetGroups(arns);
    return arns.flatMap((arn) => info[arn]?.targetType === "instance"
        ? [{ arn, port: info[arn].port, deregistrationDelaySeconds: info[arn].deregistrationDelaySeconds }] : []);
}

/**
 * Drains one batch: waits for the ACTIVE instances it needs, holds it until every service with a
 * task on it is whole, sets the victims DRAINING and out of their target groups, then looks at them
 * until each is terminated or stuck. `plannedVictims` are the instances this run drains: not a place
 * to move a task to. What the batch did goes into the run's report, whether it finishes or fails (the
 * run's error carries that report, and is read only once the batch has returned or thrown).
 */
export async function drainBatch(run: RunContext, a: Extract<Action, { kind: "drain" }>, plannedVictims: Set<string>,
    rollout?: Plan["rollout"]): Promise<void> {
    const ctx: BatchContext = { run, plannedVictims, entries: { instances: {}, drainSeconds: {}, tasksAtDrain: {}, tasksStopped: [] },
        startedMs: new Map(), guard: duringBatch(run, rollout), rollout };
    try {
        await drainVictims(ctx, a);
    } finally {
        addEntries(run.report, ctx.entries);
    }
    // A held victim keeps the replacement, and its surge record, open for a later run.
    if (a.endsSurge && !Object.values(run.report.instances).includes("held")) await run.cloud.recordSurge(undefined);
}

function addEntries(report: RunReport, e: BatchEntries): void {
    Object.assign(report.instances, e.instances);
    Object.assign(report.drainSeconds, e.drainSeconds);
    Object.assign(report.tasksAtDrain, e.tasksAtDrain);
    report.tasksStopped.push(...e.tasksStopped);
}

async function drainVictims(ctx: BatchContext, a: Extract<Action, { kind: "drain" }>): Promise<void> {
    const { run } = ctx;
    const { cloud, deps } = run;
    const label = `batch ${a.batch} of ${a.batches} (${a.purpose})`;
    const registered = await run.waitForActive(a.waitForActive, `before ${label}`);

    let group = await cloud.describeGroup();
    const states: VictimState[] = a.victims.map((victim) => ({ victim, done: false, marks: {}, services: [] }));
    const live = liveIds(group);
    for (const s of states) {
        if (!live.has(s.victim.instanceId)) goneVictim(ctx, s);
    }
    const open = () => states.filter((s) => !s.done && s.failure === undefined);

    // The gate: every service with a task on the batch runs its desired count before anything drains.
    const tasksOf = await victimTasks(cloud, open(), registered);
    for (const [s, tasks] of tasksOf) s.services = serviceNames(tasks.map((t) => t.group));
    await waitForServices(run, [...new Set(open().flatMap((s) => s.services))], `before ${label}`);
    await holdUnplaceable(ctx, tasksOf, group);

    const targetGroups = await startDraining(ctx, open(), label, a.purpose, group);
    const now = deps.now();
    const longestDelay = Math.max(0, ...targetGroups.map((tg) => tg.deregistrationDelaySeconds));
    const clocks = new Map(states.map((s) => [s, drainClock(Math.min(now, ctx.startedMs.get(s.victim.instanceId) ?? now), longestDelay,
        run.settings.policy.draining.timeoutSeconds, now)]));
    for (let attempt = 0; open().length > 0; attempt++) {
        group = await cloud.describeGroup();
        const stillLive = liveIds(group);
        for (const s of open()) if (!stillLive.has(s.victim.instanceId)) goneVictim(ctx, s);
        const pending = open();
        const containers = new Map((await cloud.describeContainerInstances(
            pending.flatMap((s) => s.victim.containerInstanceArn === undefined ? [] : [s.victim.containerInstanceArn])))
            .map((c) => [c.arn, c]));
        const targets = await targetsOf(run, targetGroups, pending.map((s) => s.victim.instanceId));
        const look = await lookAt(cloud, pending, containers, targets);
        await forEachLimit(pending, VICTIM_CONCURRENCY, (s) => checkVictim(ctx, s, look, clocks.get(s)!));
        if (open().length === 0) break;
        const alarm = await ctx.guard();
        if (alarm !== undefined) await stopBatch(ctx, open(), alarm, `during batch ${a.batch} of ${a.batches}`);
        if (run.deadlineLeft() <= 0) {
            for (const s of open()) ctx.entries.instances[s.victim.instanceId] = "draining";
            run.fail(`${deadlineName(run.settings)} reached: ${open().map((s) => s.victim.instanceId).join(", ")} still DRAINING; `
                + "the next `pulumi up` (or runner step) finishes them");
        }
        // Look right when something is known to change, not up to a poll later.
        const untilNext = Math.min(...open().map((s) => nextMoment(clocks.get(s)!, [s.marks], deps.now()))) - deps.now();
        const poll = pollDelayMs(attempt, deps.random());
        await deps.sleep(Math.min(run.deadlineLeft(), untilNext > 0 ? Math.min(poll, untilNext) : poll));
    }

    const failures = states.filter((s) => s.failure !== undefined);
    for (const s of failures) {
        ctx.entries.instances[s.victim.instanceId] = "timed-out";
        run.log(s.failure!);
    }
    if (failures.length > 0) {
        const back = await giveBackRoom(ctx, failures, group);
        const staying = failures.filter((s) => !back.includes(s));
        run.fail(`${label} could not finish; nothing with a running task was terminated:\n`
            + failures.map((s) => `  - ${s.failure}`).join("\n")
            + (back.length === 0 ? "" : `\nPut back ACTIVE, since a service they ran is short and its tasks need the room: `
                + `${back.map((s) => s.victim.instanceId).join(", ")}.`)
            + (staying.length === 0 ? "" : `\n${staying.length === failures.length ? "The instances stay" : "The others stay"} DRAINING; `
                + "the next `pulumi up` (or runner step) finishes or undoes them."));
    }
}

/** A guard alarm went off during the batch: its victims not yet terminated go back ACTIVE, and the rollout stops. */
async function stopBatch(ctx: BatchContext, open: VictimState[], alarm: string, during: string): Promise<never> {
    const back = open.filter((s) => s.victim.containerInstanceArn !== undefined)
        .map((s) => ({ instanceId: s.victim.instanceId, containerInstanceArn: s.victim.containerInstanceArn! }));
    const gone = back.length === 0 ? [] : await putBackActive(ctx.run, back);
    for (const s of open) ctx.entries.instances[s.victim.instanceId] = gone.includes(s.victim.instanceId) ? "gone" : "undrained";
    return halt(ctx.run, ctx.rollout!, alarm, during, back.map((b) => b.instanceId).filter((id) => !gone.includes(id)));
}

/**
 * Victims whose drain could not finish while a service they ran is short of tasks: the drain holds
 * the service short (its tasks found no room elsewhere), so they are put back ACTIVE and in their
 * target groups before the run fails, and the service gets its room back now rather than at the
 * next run. Returns those put back.
 */
async function giveBackRoom(ctx: BatchContext, failed: VictimState[], group: GroupState): Promise<VictimState[]> {
    const { run } = ctx;
    const live = liveIds(group);
    const candidates = failed.filter((s) => s.victim.containerInstanceArn !== undefined && s.services.length > 0 && live.has(s.victim.instanceId));
    if (candidates.length === 0) return [];
    const health = await run.cloud.serviceHealth([...new Set(candidates.flatMap((s) => s.services))]);
    const short = (name: string) => health[name] !== undefined && !health[name].daemon && health[name].running < health[name].desired;
    const back = candidates.filter((s) => s.services.some(short));
    if (back.length === 0) return [];
    await putBackActive(run, back.map((s) => ({ instanceId: s.victim.instanceId, containerInstanceArn: s.victim.containerInstanceArn! })));
    for (const s of back) ctx.entries.instances[s.victim.instanceId] = "undrained";
    return back;
}

/**
 * Puts drained instances back in service, with batched requests (at thousands of instances one request
 * each would take minutes): ACTIVE again, drain mark cleared, back in the owned target groups. Returns
 * the instances no longer in the cluster.
 */
export async function putBackActive(run: RunContext, items: { instanceId: string; containerInstanceArn: string }[]): Promise<string[]> {
    const { cloud, log } = run;
    const present = new Map((await cloud.describeContainerInstances(items.map((a) => a.containerInstanceArn))).map((c) => [c.arn, c]));
    const here = items.filter((a) => present.has(a.containerInstanceArn));
    const gone = items.filter((a) => !present.has(a.containerInstanceArn)).map((a) => a.instanceId);
    if (here.length === 0) return gone;
    const draining = here.filter((a) => present.get(a.containerInstanceArn)!.status === "DRAINING").map((a) => a.containerInstanceArn);
    if (draining.length > 0) await cloud.setContainerInstanceState(draining, "ACTIVE");
    await cloud.clearDrainMark(here.map((a) => a.containerInstanceArn));
    // The drain took the instances out of their target groups, and nothing else puts them back.
    const owned = await ownedTargetGroups(cloud, run.settings.targetGroupArns, await cloud.describeGroup());
    for (const tg of owned) await cloud.registerTargets(tg.arn, here.map((a) => a.instanceId), tg.port);
    for (const a of here) log(`${a.instanceId} is ACTIVE again${owned.length > 0 ? ` and registered in ${owned.map((tg) => shortArn(tg.arn)).join(", ")}` : ""}`);
    return gone;
}

/** Waits until no service among `names` is short of its desired count, failing the run at the drain timeout. */
async function waitForServices(run: RunContext, names: string[], why: string): Promise<void> {
    if (names.length === 0) return;
    const timeoutSeconds = run.settings.policy.draining.timeoutSeconds;
    const result = await waitFor(async () => {
        const short = await shortServices(run.cloud, names);
        return { state: short.length === 0 ? "DONE" : "RETRY", detail: short.join("; ") };
    }, run.waitDeadline(timeoutSeconds), run.deps, (detail) => { if (detail !== "") run.log(`holding ${why}: ${detail}`); });
    if (result.state !== "DONE") {
        run.fail(`${why}: ${result.detail} after ${timeoutSeconds} s; nothing was drained for it. `
            + "ECS's event above says why it cannot place the tasks: add capacity or fix the service, and run again");
    }
}

/**
 * Sets the victims DRAINING (marked as the scaler's, with the purpose) and takes them out of the
 * instance target groups the scaler owns; returns those target groups.
 */
async function startDraining(ctx: BatchContext, victims: VictimState[], label: string, purpose: DrainPurpose, group: GroupState): Promise<OwnedTargetGroup[]> {
    const { cloud, log } = ctx.run;
    const arns = victims.flatMap((s) => s.victim.containerInstanceArn === undefined ? [] : [s.victim.containerInstanceArn]);
    if (arns.length > 0) {
        const current = await cloud.describeContainerInstances(arns);
        for (const c of current) ctx.entries.tasksAtDrain[c.ec2InstanceId] = c.runningTasks + c.pendingTasks;
        const toDrain = current.filter((c) => c.status === "ACTIVE").map((c) => c.arn);
        if (toDrain.length > 0) {
            await cloud.markDrain(toDrain, purpose, ctx.run.deps.now());
            await cloud.setContainerInstanceState(toDrain, "DRAINING");
        }
        // A drain an earlier run began keeps its clock: its timeout counts from then.
        for (const c of current) if (c.status === "DRAINING" && c.drainSince !== undefined) ctx.startedMs.set(c.ec2InstanceId, c.drainSince);
    }
    const ids = victims.map((s) => s.victim.instanceId);
    log(`${label}: DRAINING ${ids.join(", ") || "(none left)"}`);
    const targetGroups = await ownedTargetGroups(cloud, ctx.run.settings.targetGroupArns, group);
    for (const tg of ids.length === 0 ? [] : targetGroups) {
        await cloud.deregisterTargets(tg.arn, ids, tg.port);
        log(`deregistering ${ids.join(", ")} from ${shortArn(tg.arn)}`);
    }
    return targetGroups;
}

/**
 * The target groups (of `targetGroups`) each draining instance is still in, with its state, e.g.
 * `web draining`. An instance found registered again since its drain began (someone attached the
 * target group to the group again, or registered it by hand) is deregistered again: it would
 * otherwise get new connections while its tasks leave, and never leave the group.
 */
async function targetsOf(run: RunContext, targetGroups: OwnedTargetGroup[], ids: string[]): Promise<Map<string, string[]>> {
    const targets = new Map<string, string[]>();
    for (const tg of targetGroups) {
        const st = await run.cloud.targetStates(tg.arn, ids, tg.port);
        const again = Object.entries(st).flatMap(([id, state]) => state !== undefined && state !== "unused" && state !== "draining" ? [id] : []);
        if (again.length > 0) {
            await run.cloud.deregisterTargets(tg.arn, again, tg.port);
            run.log(`${again.join(", ")} still registered in ${shortArn(tg.arn)} while draining (registered again, or not yet shown deregistered); deregistering again`);
            for (const id of again) st[id] = "draining";
        }
        for (const [id, state] of Object.entries(st)) {
            if (state !== undefined && state !== "unused") targets.set(id, [...(targets.get(id) ?? []), `${shortArn(tg.arn)} ${state}`]);
        }
    }
    return targets;
}

/**
 * The tasks on each victim, with what they need: one list per victim, or the cluster's list when
 * that takes fewer requests (about three per victim, against two per hundred tasks in the cluster,
 * counted from `registered`). The cluster's list holds the tasks meant to run; a victim's own list
 * also holds those ECS is already stopping.
 */
async function victimTasks(cloud: Cloud, states: VictimState[], registered: ClusterContainerInstance[]): Promise<Map<VictimState, ObservedTask[]>> {
    const out = new Map<VictimState, ObservedTask[]>();
    const withArn = states.filter((s) => s.victim.containerInstanceArn !== undefined);
    const clusterTasks = registered.reduce((n, c) => n + c.runningTasks + c.pendingTasks, 0);
    if (withArn.length * 3 > 2 * Math.ceil(clusterTasks / 100)) {
        const byArn = new Map<string, ObservedTask[]>();
        for (const t of await cloud.listTasks()) byArn.set(t.containerInstanceArn, [...(byArn.get(t.containerInstanceArn) ?? []), t]);
        for (const s of withArn) out.set(s, byArn.get(s.victim.containerInstanceArn!) ?? []);
        return out;
    }
    for (const s of withArn) out.set(s, await cloud.listTasksOn(s.victim.containerInstanceArn!, true));
    return out;
}

/**
 * What one look at the pending victims shows, read for all of them at once: their container
 * instances, the target groups each is still in, the tasks ECS is still stopping on those with
 * none counted and no target left, and which of their services are short.
 */
async function lookAt(cloud: Cloud, pending: VictimState[], containers: Map<string, ClusterContainerInstance>, targets: Map<string, string[]>): Promise<Look> {
    const containerOf = (s: VictimState) => s.victim.containerInstanceArn === undefined ? undefined : containers.get(s.victim.containerInstanceArn);
    const inTargets = (s: VictimState) => targets.get(s.victim.instanceId) ?? [];
    // No task counted and out of its target groups (its container instance may be gone already).
    const quiet = pending.filter((s) => tasksCounted(containerOf(s)) === 0 && inTargets(s).length === 0);
    // The counters leave out tasks ECS is already stopping; those still serve in-flight requests.
    const asked = quiet.flatMap((s) => containerOf(s) === undefined ? [] : [s.victim.containerInstanceArn!]);
    const stopping = asked.length === 0 ? {} : await cloud.stoppingTasks(asked);
    const stoppingOn = (s: VictimState) => stopping[s.victim.containerInstanceArn ?? ""] ?? [];
    const leaving = new Set(quiet.filter((s) => stoppingOn(s).length === 0));
    // A victim that may go now waits for its services to be whole.
    const short = await serviceShortfalls(cloud, [...new Set([...leaving].flatMap((s) => s.services))]);
    return { containerOf, inTargets, stoppingOn, mayGo: (s) => leaving.has(s), short };
}

/**
 * A victim whose agent is disconnected: ECS cannot stop its tasks, so it cannot empty. It goes once each
 * service it ran has its desired count RUNNING without the tasks still on it (ECS starts them elsewhere
 * where the deployment configuration lets it), or at the drain timeout; the tasks on it end with it,
 * and the log names them.
 */
async function checkDisconnected(ctx: BatchContext, s: VictimState, c: ClusterContainerInstance, clock: DrainClock, inTargets: string[]): Promise<void> {
    const { deps } = ctx.run;
    // Out of its target groups first, as any victim: no new connection reaches what is about to end.
    if (inTargets.length > 0) {
        logChange(ctx.run, s, `${s.victim.instanceId}: agent disconnected, target ${inTargets.join(", ")}`);
        if (deps.now() - clock.targetsFromMs >= clock.targetTimeoutMs) {
            s.failure = `${s.victim.instanceId}: still in target group ${inTargets.join(", ")} after ${Math.round(clock.targetTimeoutMs / 1000)} s `
                + `(deregistration delay ${clock.longestDelay} s)`;
        }
        return;
    }
    const timedOut = deps.now() - clock.startedMs >= clock.timeoutMs;
    const v = await disconnectedVerdict(ctx.run.cloud, c.arn, timedOut);
    if (!v.go) {
        logChange(ctx.run, s, `${s.victim.instanceId}: agent disconnected, ${plural(v.tasks.length, "task")} on it; waiting for ${v.waiting.join(", ")} to run `
            + "their tasks elsewhere");
        return;
    }
    if (v.tasks.length > 0) ctx.run.log(endingLine(s.victim.instanceId, v.tasks, timedOut));
    await terminateVictim(ctx, s, c, clock);
}

/** One look at a draining victim: its verdict, carried out. */
async function checkVictim(ctx: BatchContext, s: VictimState, look: Look, clock: DrainClock): Promise<void> {
    const c = look.containerOf(s);
    if (c !== undefined && !c.agentConnected) return checkDisconnected(ctx, s, c, clock, look.inTargets(s));
    const stopping = look.stoppingOn(s);
    const verdict: Verdict = victimVerdict({
        instanceId: s.victim.instanceId,
        tasks: tasksCounted(c),
        stopping,
        ownStopped: stopping.filter((t) => ctx.entries.tasksStopped.includes(t.arn)),
        inTargets: look.inTargets(s),
        empty: look.mayGo(s),
        shortServices: look.mayGo(s) ? s.services.flatMap((name) => look.short.get(name) ?? []) : [],
    }, s.marks, clock, ctx.run.deps.now());
    switch (verdict.kind) {
        case "terminate":
            await terminateVictim(ctx, s, c, clock);
            return;
        case "wait":
            logChange(ctx.run, s, verdict.detail);
            Object.assign(s.marks, verdict.marks);
            return;
        case "stuck":
            logChange(ctx.run, s, verdict.detail);
            Object.assign(s.marks, verdict.marks);
            s.failure = verdict.reason;
            return;
        case "timed-out":
            logChange(ctx.run, s, verdict.detail);
            await onTimeout(ctx, s, tasksCounted(c), verdict.graceOver, clock);
            return;
        default: {
            const unknown: never = verdict;
            throw new Error(`unknown verdict ${JSON.stringify(unknown)}`);
        }
    }
}

/**
 * At the drain timeout: reads the victim's tasks and carries out {@link timeoutVerdict}: waits the
 * stopping grace for daemon tasks (ECS stops them last), stops standalone tasks under the "stop"
 * policy, or records why the victim is stuck.
 */
async function onTimeout(ctx: BatchContext, s: VictimState, counted: number, graceOver: boolean, clock: DrainClock): Promise<void> {
    const { cloud, deps, log } = ctx.run;
    const draining = ctx.run.settings.policy.draining;
    const id = s.victim.instanceId;
    const running = (await cloud.listTasksOn(s.victim.containerInstanceArn!, true)).filter((t) => isMeantToRun(t) && !t.daemon);
    const verdict = timeoutVerdict(id, running, counted, graceOver, draining);
    switch (verdict.kind) {
        case "grace":
            s.marks.daemonGraceUntilMs = clock.stoppingTimeoutMs;
            return;
        case "stuck":
            s.failure = verdict.reason;
            return;
        case "stop-standalone":
            for (const t of verdict.tasks) {
                await cloud.stopTask(t.arn, `spot-ecs: drain of ${id} timed out after ${draining.timeoutSeconds} s`);
                ctx.entries.tasksStopped.push(t.arn);
                log(`stopped standalone task ${t.arn} (${t.group}) on ${id}: drain timeout, draining.standaloneTasks is "stop"`);
            }
            s.marks.stopDeadlineMs = deps.now() + STOP_GRACE_SECONDS * 1000;
            return;
        default: {
            const unknown: never = verdict;
            throw new Error(`unknown timeout verdict ${JSON.stringify(unknown)}`);
        }
    }
}

/**
 * Leaves ACTIVE the victims with a task whose `memberOf` constraint no other ACTIVE instance meets
 * (now that the new instances have registered): ECS would stop it and have nowhere to start it.
 */
async function holdUnplaceable(ctx: BatchContext, tasksOf: Map<VictimState, ObservedTask[]>, group: GroupState): Promise<void> {
    const bound = [...tasksOf].filter(([s, tasks]) => !s.done && tasks.some((t) => (t.needs?.memberOf ?? []).length > 0));
    if (bound.length === 0) return;
    const listed = await ctx.run.cloud.listContainerInstances();
    const others = activeContainers(group, listed).filter((c) => !ctx.plannedVictims.has(c.ec2InstanceId)).map((c) => ({ attributes: c.attributes ?? {} }));
    const byArn = new Map(listed.map((c) => [c.arn, c]));
    for (const [s, tasks] of bound) {
        const stuck = firstUnmetMemberOf(tasks.filter((t) => !t.daemon && isMeantToRun(t)), others);
        if (stuck === undefined) continue;
        // A held victim stays: the next victims' tasks may go to it.
        others.push({ attributes: byArn.get(s.victim.containerInstanceArn ?? "")?.attributes ?? {} });
        s.done = true;
        ctx.entries.instances[s.victim.instanceId] = "held";
        ctx.run.log(`${s.victim.instanceId} held, not drained: task ${taskId(stuck.task.arn)} (${stuck.task.group}) needs memberOf(${stuck.expression}), `
            + "which no other ACTIVE instance meets");
    }
}

function goneVictim(ctx: BatchContext, s: VictimState): void {
    s.done = true;
    ctx.entries.instances[s.victim.instanceId] = "gone";
    ctx.run.log(`${s.victim.instanceId} left the group on its own (terminated elsewhere, e.g. a Spot interruption)`);
}

/**
 * Terminates through the group first: ECS deregisters a terminated instance whose agent is
 * connected, and if the group refuses, the instance is still DRAINING in the cluster, where the
 * next run finds it. Only an instance whose agent is disconnected is deregistered by the scaler.
 */
async function terminateVictim(ctx: BatchContext, s: VictimState, c: ClusterContainerInstance | undefined, clock: DrainClock): Promise<void> {
    const { cloud, deps, log } = ctx.run;
    const decrement = s.victim.decrement && decrementNow(await cloud.describeGroup(), s.victim.instanceId);
    try {
        await cloud.terminateInstance(s.victim.instanceId, decrement);
    } catch (error) {
        if (!(error instanceof Error && error.name === "ValidationError")) throw error;
        s.failure = `${s.victim.instanceId}: Auto Scaling refused to terminate it (${error.message}); it stays DRAINING `
            + "in the cluster, and the next run finishes or undoes its drain";
        return;
    }
    ctx.run.terminating.add(s.victim.instanceId);
    if (ctx.run.terminationHook !== undefined) await completeOwnTermination(ctx.run, ctx.run.terminationHook, s.victim.instanceId);
    if (c !== undefined && !c.agentConnected) {
        try {
            await cloud.deregisterContainerInstance(c.arn);
        } catch (error) {
            log(`${s.victim.instanceId}: could not deregister its container instance (agent disconnected): ${describeError(error)}`);
        }
    }
    s.done = true;
    ctx.entries.instances[s.victim.instanceId] = "terminated";
    ctx.entries.drainSeconds[s.victim.instanceId] = Math.round((deps.now() - clock.startedMs) / 1000);
    log(`terminated ${s.victim.instanceId} (${decrement ? "desired capacity lowered by 1"
        : s.victim.decrement ? "desired capacity is already down to the instances that stay" : "the group launches a replacement"})`);
}

/**
 * After the scaler terminated an instance it drained, the group holds it in the scaler's own hook
 * like any other termination: completes that action (CONTINUE) as soon as the instance waits there.
 * If it is not there yet after a few attempts, the next run finds it waiting, empty, and lets it go.
 */
export async function completeOwnTermination(run: RunContext, hook: string, instanceId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
        try {
            await run.cloud.completeHookAction(instanceId, hook, "CONTINUE");
            return;
        } catch (error) {
            if (!notWaiting(error)) throw error;
            if (attempt >= OWN_TERMINATION_ATTEMPTS || run.deadlineLeft() <= 0) {
                run.log(`${instanceId} does not wait in hook ${hook} yet (${describeError(error)}); the next run lets it go`);
                return;
            }
            await run.deps.sleep(Math.min(run.deadlineLeft(), OWN_TERMINATION_RETRY_SECONDS * 1000));
        }
    }
}

/** Logs `detail` for a victim unless it is what was last logged for it. */
function logChange(run: RunContext, s: VictimState, detail: string): void {
    if (detail === s.lastDetail) return;
    s.lastDetail = detail;
    run.log(detail);
}

/** The ids of the group's instances that are not on their way out. */
function liveIds(group: GroupState): Set<string> {
    return new Set(group.instances.filter((i) => isLiveState(i.asgState)).map((i) => i.instanceId));
}

/** The tasks ECS counts on a container instance (meant to run); none for one that is gone. */
function tasksCounted(c: ClusterContainerInstance | undefined): number {
    return c === undefined ? 0 : c.runningTasks + c.pendingTasks;
}

export function shortArn(arn: string): string {
    const m = /targetgroup\/([^/]+)/.exec(arn);
    return m ? `targetgroup/${m[1]}` : arn;
}
