// Draining a batch of instances: the service gate, DRAINING and target deregistration, then a
// look at every victim until each is empty and terminated, or stuck past its timeout.
import { Cloud, ClusterContainerInstance, Deps, GroupState } from "./cloud";
import { Action, activeContainers, DrainPurpose, isLiveState, isMeantToRun, ObservedTask, RunReport, serviceNames, serviceOf, taskId, Victim } from "./model";
import { Policy } from "./settings";
import { describeError } from "./retry";
import { firstUnmetMemberOf } from "./placement";
import { forEachLimit } from "./limit";
import { serviceShortfalls, shortServices } from "./serviceGate";
import { pollDelayMs, waitFor } from "./waits";

/** Seconds past the longest deregistration delay that targets may take to leave `draining`. */
export const TARGET_DELAY_SLACK_SECONDS = 60;

/** Seconds a standalone task stopped at the drain timeout gets to reach STOPPED. */
export const STOP_GRACE_SECONDS = 300;

/**
 * The deregistration delay assumed for a task's own target group, which the scaler does not read:
 * ELB's default. A task being stopped may spend that long DEACTIVATING, then its stop timeout STOPPING.
 */
export const ASSUMED_TASK_DEREGISTRATION_DELAY_SECONDS = 300;

const isServiceTask = (t: ObservedTask) => serviceOf(t.group) !== undefined;

/** A target group whose instance targets the scaler owns: the group registers each instance at `port`. */
interface OwnedTargetGroup {
    arn: string;
    port?: number;
    deregistrationDelaySeconds: number;
}

interface VictimState {
    victim: Victim;
    done: boolean;
    failure?: string;
    stopDeadlineMs?: number;
    /** Past the drain timeout, only daemon tasks (and tasks being stopped) were left: they get until then. */
    daemonGraceUntilMs?: number;
    /** Services with a task on the instance when its drain began: each must be whole before it is terminated. */
    services: string[];
    /** When the instance was first seen empty: from then its services get the drain timeout to be whole again. */
    emptySinceMs?: number;
    lastDetail?: string;
}

/** Victims looked at, and terminated, at the same time: the pacing keeps their requests within AWS's quotas. */
export const VICTIM_CONCURRENCY = 10;

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

/** The timeouts of one drain batch (epoch ms and durations in ms). */
interface DrainClock {
    startedMs: number;
    timeoutMs: number;
    /** The longest deregistration delay of the owned target groups, in seconds. */
    longestDelay: number;
    targetTimeoutMs: number;
    stoppingTimeoutMs: number;
}

/** What the steps of one run share: the ports, the settings, its report, and how it logs, waits and fails. */
export interface RunContext {
    cloud: Cloud;
    deps: Deps;
    settings: { policy: Policy; targetGroupArns: string[]; deadlineMs: number };
    report: RunReport;
    log(line: string): void;
    /** Records `message` in the report and throws the run's error. */
    fail(message: string): never;
    /** The epoch ms a wait of `seconds` from now ends, within the update deadline. */
    waitDeadline(seconds: number): number;
    /** Milliseconds left before the update deadline. */
    deadlineLeft(): number;
    /** Waits until `count` instances are ACTIVE, failing the run if they are not in time. */
    waitForActive(count: number, why: string): Promise<ClusterContainerInstance[]>;
}

/**
 * The drain steps of one run. `plannedVictims` are the instances this run drains: not a place to
 * move a task to.
 */
export function drainSteps(run: RunContext, plannedVictims: Set<string>) {
    const { cloud, deps, settings, report, log, fail, waitDeadline, deadlineLeft, waitForActive } = run;
    const draining = settings.policy.draining;
    const maxUpdate = `${draining.maxUpdateSeconds} s`;

    /** The instance target groups of the scaler's settings and of the group; task-owned (ip) groups are ECS's. */
    async function ownedTargetGroups(group: GroupState): Promise<OwnedTargetGroup[]> {
        const arns = [...new Set([...settings.targetGroupArns, ...group.targetGroupArns])];
        if (arns.length === 0) return [];
        const info = await cloud.targetGroups(arns);
        return arns.flatMap((arn) => info[arn]?.targetType === "instance"
            ? [{ arn, port: info[arn].port, deregistrationDelaySeconds: info[arn].deregistrationDelaySeconds }] : []);
    }

    /** Waits until no service among `names` is short of its desired count, failing the run at the drain timeout. */
    async function waitForServices(names: string[], why: string): Promise<void> {
        if (names.length === 0) return;
        const result = await waitFor(async () => {
            const short = await shortServices(cloud, names);
            return { state: short.length === 0 ? "DONE" : "RETRY", detail: short.join("; ") };
        }, waitDeadline(draining.timeoutSeconds), deps, (detail) => { if (detail !== "") log(`holding ${why}: ${detail}`); });
        if (result.state !== "DONE") {
            fail(`${why}: ${result.detail} after ${draining.timeoutSeconds} s; nothing was drained for it. `
                + "ECS's event above says why it cannot place the tasks: add capacity or fix the service, and run again");
        }
    }

    async function drainBatch(a: Extract<Action, { kind: "drain" }>): Promise<void> {
        const label = `batch ${a.batch} of ${a.batches} (${a.purpose})`;
        const registered = await waitForActive(a.waitForActive, `before ${label}`);

        let group = await cloud.describeGroup();
        const states: VictimState[] = a.victims.map((victim) => ({ victim, done: false, services: [] }));
        const live = liveIds(group);
        for (const s of states) {
            if (!live.has(s.victim.instanceId)) goneVictim(s);
        }
        const open = () => states.filter((s) => !s.done && s.failure === undefined);

        // The gate: every service with a task on the batch runs its desired count before anything drains.
        const tasksOf = await victimTasks(open(), registered);
        for (const [s, tasks] of tasksOf) s.services = serviceNames(tasks.map((t) => t.group));
        await waitForServices([...new Set(open().flatMap((s) => s.services))], `before ${label}`);
        await holdUnplaceable(tasksOf, group);

        const targetGroups = await startDraining(open(), label, a.purpose, group);
        const clock = drainClock(deps.now(), targetGroups);
        for (let attempt = 0; open().length > 0; attempt++) {
            group = await cloud.describeGroup();
            const stillLive = liveIds(group);
            for (const s of open()) if (!stillLive.has(s.victim.instanceId)) goneVictim(s);
            const pending = open();
            const containers = new Map((await cloud.describeContainerInstances(
                pending.flatMap((s) => s.victim.containerInstanceArn === undefined ? [] : [s.victim.containerInstanceArn])))
                .map((c) => [c.arn, c]));
            const targets = await targetsOf(targetGroups, pending.map((s) => s.victim.instanceId));
            const look = await lookAt(pending, containers, targets);
            await forEachLimit(pending, VICTIM_CONCURRENCY, (s) => checkVictim(s, look, clock));
            if (open().length === 0) break;
            if (deadlineLeft() <= 0) {
                for (const s of open()) report.instances[s.victim.instanceId] = "draining";
                fail(`update deadline of ${maxUpdate} reached: ${open().map((s) => s.victim.instanceId).join(", ")} still DRAINING; `
                    + "the next `pulumi up` finishes them");
            }
            // Look right when something is known to change, not up to a poll later.
            const untilNext = nextMoment(clock, open()) - deps.now();
            const poll = pollDelayMs(attempt, deps.random());
            await deps.sleep(Math.min(deadlineLeft(), untilNext > 0 ? Math.min(poll, untilNext) : poll));
        }

        const failures = states.filter((s) => s.failure !== undefined);
        for (const s of failures) {
            report.instances[s.victim.instanceId] = "timed-out";
            log(s.failure!);
        }
        if (failures.length > 0) {
            fail(`${label} could not finish; nothing with a running task was terminated:\n`
                + failures.map((s) => `  - ${s.failure}`).join("\n")
                + "\nThe instances stay DRAINING; the next `pulumi up` finishes or undoes them.");
        }
        // A held victim keeps the replacement, and its surge record, open for a later run.
        if (a.endsSurge && !Object.values(report.instances).includes("held")) await cloud.recordSurge(undefined);
    }

    /**
     * Sets the victims DRAINING (marked as the scaler's, with the purpose) and takes them out of the
     * instance target groups the scaler owns; returns those target groups.
     */
    async function startDraining(victims: VictimState[], label: string, purpose: DrainPurpose, group: GroupState): Promise<OwnedTargetGroup[]> {
        const arns = victims.flatMap((s) => s.victim.containerInstanceArn === undefined ? [] : [s.victim.containerInstanceArn]);
        if (arns.length > 0) {
            const current = await cloud.describeContainerInstances(arns);
            for (const c of current) report.tasksAtDrain[c.ec2InstanceId] = c.runningTasks + c.pendingTasks;
            const toDrain = current.filter((c) => c.status === "ACTIVE").map((c) => c.arn);
            if (toDrain.length > 0) {
                await cloud.markDrain(toDrain, purpose);
                await cloud.setContainerInstanceState(toDrain, "DRAINING");
            }
        }
        const ids = victims.map((s) => s.victim.instanceId);
        log(`${label}: DRAINING ${ids.join(", ") || "(none left)"}`);
        const targetGroups = await ownedTargetGroups(group);
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
    async function targetsOf(targetGroups: OwnedTargetGroup[], ids: string[]): Promise<Map<string, string[]>> {
        const targets = new Map<string, string[]>();
        for (const tg of targetGroups) {
            const st = await cloud.targetStates(tg.arn, ids, tg.port);
            const again = Object.entries(st).flatMap(([id, state]) => state !== undefined && state !== "unused" && state !== "draining" ? [id] : []);
            if (again.length > 0) {
                await cloud.deregisterTargets(tg.arn, again, tg.port);
                log(`${again.join(", ")} still registered in ${shortArn(tg.arn)} while draining (registered again, or not yet shown deregistered); deregistering again`);
                for (const id of again) st[id] = "draining";
            }
            for (const [id, state] of Object.entries(st)) {
                if (state !== undefined && state !== "unused") targets.set(id, [...(targets.get(id) ?? []), `${shortArn(tg.arn)} ${state}`]);
            }
        }
        return targets;
    }

    /** Logs `detail` for a victim unless it is what was last logged for it. */
    function logChange(s: VictimState, detail: string): void {
        if (detail === s.lastDetail) return;
        s.lastDetail = detail;
        log(detail);
    }

    /**
     * The tasks on each victim, with what they need: one list per victim, or the cluster's list when
     * that takes fewer requests (about three per victim, against two per hundred tasks in the cluster,
     * counted from `registered`). The cluster's list holds the tasks meant to run; a victim's own list
     * also holds those ECS is already stopping.
     */
    async function victimTasks(states: VictimState[], registered: ClusterContainerInstance[]): Promise<Map<VictimState, ObservedTask[]>> {
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
    async function lookAt(pending: VictimState[], containers: Map<string, ClusterContainerInstance>, targets: Map<string, string[]>): Promise<Look> {
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
     * One look at a draining victim: terminate it once empty (no task short of STOPPED, out of its
     * target groups) and its services are whole, or log what it waits on, or at the timeouts apply the
     * standalone policy or record why it is stuck.
     */
    async function checkVictim(s: VictimState, look: Look, clock: DrainClock): Promise<void> {
        const c = look.containerOf(s);
        const inTargets = look.inTargets(s);
        const tasks = tasksCounted(c);
        const stopping = look.stoppingOn(s);
        if (look.mayGo(s)) {
            // Its tasks are gone; their services must have them running elsewhere before it goes.
            const short = s.services.flatMap((name) => look.short.get(name) ?? []);
            if (short.length === 0) {
                await terminateVictim(s, c, clock);
                return;
            }
            logChange(s, `${s.victim.instanceId}: empty, termination held: ${short.join("; ")}`);
            // ECS starts a moved task only once it may (with maximumPercent 100, after the old one
            // stopped), so the services get the drain timeout from the moment the instance emptied.
            s.emptySinceMs = s.emptySinceMs ?? deps.now();
            if (deps.now() - clock.startedMs >= clock.targetTimeoutMs && deps.now() - s.emptySinceMs >= clock.timeoutMs) {
                s.failure = `${s.victim.instanceId}: not terminated, a service it ran is still short ${Math.round((deps.now() - s.emptySinceMs) / 1000)} s `
                    + `after its last task stopped: ${short.join("; ")}; the instance stays DRAINING`;
            }
            return;
        }
        logChange(s, `${s.victim.instanceId}: ${tasks} task${tasks === 1 ? "" : "s"} left`
            + (stopping.length > 0 ? `, ${stopping.length} still stopping (${statuses(stopping)})` : "")
            + (inTargets.length > 0 ? `, target ${inTargets.join(", ")}` : ""));
        const elapsedMs = deps.now() - clock.startedMs;
        // The stop grace is for the standalone tasks the scaler stopped; other tasks still being
        // stopped (a service task deactivating) have the stopping timeout below.
        const ownStopped = stopping.filter((t) => report.tasksStopped.includes(t.arn));
        if (s.stopDeadlineMs !== undefined && deps.now() >= s.stopDeadlineMs && (ownStopped.length > 0 || tasks > 0)) {
            s.failure = `${s.victim.instanceId}: stopped standalone tasks did not reach STOPPED within ${STOP_GRACE_SECONDS} s`
                + (ownStopped.length > 0 ? ` (${statuses(ownStopped)})` : "");
        } else if (s.stopDeadlineMs === undefined && tasks > 0 && elapsedMs >= clock.timeoutMs
            && (s.daemonGraceUntilMs === undefined || elapsedMs >= s.daemonGraceUntilMs)) {
            await onTimeout(s, tasks, elapsedMs >= (s.daemonGraceUntilMs ?? Infinity));
            if (s.failure === undefined && s.stopDeadlineMs === undefined) s.daemonGraceUntilMs = clock.stoppingTimeoutMs;
        } else if (stopping.length > 0 && elapsedMs >= clock.stoppingTimeoutMs) {
            s.failure = `${s.victim.instanceId}: ${stopping.length} task(s) still stopping after ${Math.round(elapsedMs / 1000)} s `
                + `(${statuses(stopping)}): they were asked to stop and have not reached STOPPED`;
        } else if (tasks === 0 && inTargets.length > 0 && elapsedMs >= clock.targetTimeoutMs) {
            s.failure = `${s.victim.instanceId}: still in target group ${inTargets.join(", ")} after ${Math.round(clock.targetTimeoutMs / 1000)} s `
                + `(deregistration delay ${clock.longestDelay} s)`;
        }
    }

    /**
     * The next moment (epoch ms) a look may find something new without waiting on AWS: the targets
     * leave `draining` as the deregistration delay ends, and each timeout and grace of the batch ends
     * (a second after each, so that the look sees it passed).
     */
    function nextMoment(clock: DrainClock, pending: VictimState[]): number {
        const now = deps.now();
        const moments = [
            clock.startedMs + clock.longestDelay * 1000,
            clock.startedMs + clock.timeoutMs, clock.startedMs + clock.targetTimeoutMs, clock.startedMs + clock.stoppingTimeoutMs,
            ...pending.flatMap((s) => [s.stopDeadlineMs, s.daemonGraceUntilMs === undefined ? undefined : clock.startedMs + s.daemonGraceUntilMs,
                s.emptySinceMs === undefined ? undefined : s.emptySinceMs + clock.timeoutMs]),
        ].flatMap((t) => t === undefined ? [] : [t + 1000]).filter((t) => t > now);
        return moments.length === 0 ? Infinity : Math.min(...moments);
    }

    /** A batch's timeouts, from when it started draining and the target groups' deregistration delays. */
    function drainClock(startedMs: number, targetGroups: OwnedTargetGroup[]): DrainClock {
        const timeoutMs = draining.timeoutSeconds * 1000;
        // Targets leave `draining` after their group's deregistration delay; waiting less would fail
        // every drain, so targets get at least that long (plus a minute) whatever the drain timeout.
        const longestDelay = Math.max(0, ...targetGroups.map((tg) => tg.deregistrationDelaySeconds));
        const targetTimeoutMs = Math.max(timeoutMs, (longestDelay + TARGET_DELAY_SLACK_SECONDS) * 1000);
        // A task ECS is already stopping is on its way out: past the drain timeout it still gets its
        // deactivation (a deregistration delay) and its stop grace before the drain is called stuck.
        const stoppingTimeoutMs = Math.max(targetTimeoutMs, timeoutMs
            + (Math.max(longestDelay, ASSUMED_TASK_DEREGISTRATION_DELAY_SECONDS) + STOP_GRACE_SECONDS) * 1000);
        return { startedMs, timeoutMs, longestDelay, targetTimeoutMs, stoppingTimeoutMs };
    }

    /**
     * Leaves ACTIVE the victims with a task whose `memberOf` constraint no other ACTIVE instance meets
     * (now that the new instances have registered): ECS would stop it and have nowhere to start it.
     */
    async function holdUnplaceable(tasksOf: Map<VictimState, ObservedTask[]>, group: GroupState): Promise<void> {
        const bound = [...tasksOf].filter(([s, tasks]) => !s.done && tasks.some((t) => (t.needs?.memberOf ?? []).length > 0));
        if (bound.length === 0) return;
        const others = activeContainers(group, await cloud.listContainerInstances())
            .filter((c) => !plannedVictims.has(c.ec2InstanceId)).map((c) => ({ attributes: c.attributes ?? {} }));
        for (const [s, tasks] of bound) {
            const stuck = firstUnmetMemberOf(tasks.filter((t) => !t.daemon && isMeantToRun(t)), others);
            if (stuck === undefined) continue;
            s.done = true;
            report.instances[s.victim.instanceId] = "held";
            log(`${s.victim.instanceId} held, not drained: task ${taskId(stuck.task.arn)} (${stuck.task.group}) needs memberOf(${stuck.expression}), `
                + "which no other ACTIVE instance meets");
        }
    }

    function goneVictim(s: VictimState): void {
        s.done = true;
        report.instances[s.victim.instanceId] = "gone";
        log(`${s.victim.instanceId} left the group on its own (terminated elsewhere, e.g. a Spot interruption)`);
    }

    /**
     * Terminates through the group first: ECS deregisters a terminated instance whose agent is
     * connected, and if the group refuses, the instance is still DRAINING in the cluster, where the
     * next run finds it. Only an instance whose agent is disconnected is deregistered by the scaler.
     */
    async function terminateVictim(s: VictimState, c: ClusterContainerInstance | undefined, clock: DrainClock): Promise<void> {
        try {
            await cloud.terminateInstance(s.victim.instanceId, s.victim.decrement);
        } catch (error) {
            if (!(error instanceof Error && error.name === "ValidationError")) throw error;
            s.failure = `${s.victim.instanceId}: Auto Scaling refused to terminate it (${error.message}); it stays DRAINING `
                + "in the cluster, and the next run finishes or undoes its drain";
            return;
        }
        if (c !== undefined && !c.agentConnected) {
            try {
                await cloud.deregisterContainerInstance(c.arn);
            } catch (error) {
                log(`${s.victim.instanceId}: could not deregister its container instance (agent disconnected): ${describeError(error)}`);
            }
        }
        s.done = true;
        report.instances[s.victim.instanceId] = "terminated";
        report.drainSeconds[s.victim.instanceId] = Math.round((deps.now() - clock.startedMs) / 1000);
        log(`terminated ${s.victim.instanceId} (${s.victim.decrement ? "desired capacity lowered by 1" : "the group launches a replacement"})`);
    }

    /**
     * At the drain timeout: fail naming the service tasks ECS could not move, or apply the standalone
     * policy. Daemon tasks are stopped by ECS last, once every other task is gone, so when only they
     * are left the drain gets the stopping grace first (`graceOver` once that is spent too).
     */
    async function onTimeout(s: VictimState, tasks: number, graceOver: boolean): Promise<void> {
        const id = s.victim.instanceId;
        const after = `after ${draining.timeoutSeconds} s`;
        const running = (await cloud.listTasksOn(s.victim.containerInstanceArn!, true)).filter((t) => isMeantToRun(t) && !t.daemon);
        if (running.length === 0) {
            if (graceOver) s.failure = `${id}: ${tasks} task(s) still running or stopping ${after} and its grace: they have not reached STOPPED`;
            return;
        }
        const service = running.filter(isServiceTask);
        const standalone = running.filter((t) => !isServiceTask(t));
        if (service.length > 0) {
            s.failure = `${id}: ${service.length} service task(s) still running ${after} (${groups(service)}); ECS could not `
                + "move them: check free capacity and the services' deployment configuration (with minimumHealthyPercent 100, "
                + "maximumPercent must leave room for one more task)";
            return;
        }
        if (draining.standaloneTasks === "fail") {
            s.failure = `${id}: standalone task(s) still running ${after}: ${standalone.map((t) => `${t.arn} (${t.group})`).join(", ")}; `
                + "draining.standaloneTasks is \"fail\": stop them yourself or set it to \"stop\"";
            return;
        }
        for (const t of standalone) {
            await cloud.stopTask(t.arn, `spot-ecs: drain of ${id} timed out after ${draining.timeoutSeconds} s`);
            report.tasksStopped.push(t.arn);
            log(`stopped standalone task ${t.arn} (${t.group}) on ${id}: drain timeout, draining.standaloneTasks is "stop"`);
        }
        s.stopDeadlineMs = deps.now() + STOP_GRACE_SECONDS * 1000;
    }

    return { drainBatch, ownedTargetGroups };
}

/** The ids of the group's instances that are not on their way out. */
function liveIds(group: GroupState): Set<string> {
    return new Set(group.instances.filter((i) => isLiveState(i.asgState)).map((i) => i.instanceId));
}

/** `DEACTIVATING ×2, STOPPING ×1`: how many tasks have each value of `key`, in order of first appearance. */
function tally(tasks: ObservedTask[], key: (t: ObservedTask) => string): string {
    const counts = new Map<string, number>();
    for (const t of tasks) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
    return [...counts].map(([value, n]) => `${value} ×${n}`).join(", ");
}

/** Where tasks that are being stopped are. */
const statuses = (tasks: ObservedTask[]) => tally(tasks, (t) => t.lastStatus);

/** How many tasks of each group. */
const groups = (tasks: ObservedTask[]) => tally(tasks, (t) => t.group);

/** The tasks ECS counts on a container instance (meant to run); none for one that is gone. */
function tasksCounted(c: ClusterContainerInstance | undefined): number {
    return c === undefined ? 0 : c.runningTasks + c.pendingTasks;
}

export function shortArn(arn: string): string {
    const m = /targetgroup\/([^/]+)/.exec(arn);
    return m ? `targetgroup/${m[1]}` : arn;
}
