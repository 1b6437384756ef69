// What to do with a draining victim at one look, decided from what that look saw alone: terminate it,
// wait, read its tasks because the drain timed out, or call it stuck. Pure: the drain loop observes,
// asks these functions, and carries out their answers.
import { GroupState } from "./cloud";
import { isLiveState, ObservedTask, serviceOf } from "./model";
import { DrainingPolicy } from "./settings";

/** Seconds past the longest deregistration delay that targets may take to leave `draining`. */
const TARGET_DELAY_SLACK_SECONDS = 60;

/** Seconds a standalone task stopped at the drain timeout gets to reach STOPPED. */
export const STOP_GRACE_SECONDS = 300;

/**
 * The deregistration delay assumed for a task's own target group, which the scaler does not read:
 * ELB's default. A task being stopped may spend that long DEACTIVATING, then its stop timeout STOPPING.
 */
const ASSUMED_TASK_DEREGISTRATION_DELAY_SECONDS = 300;

/** The timeouts of one drain batch (epoch ms and durations in ms). */
export interface DrainClock {
    /** When the drain began: in this run, or in an earlier one that its mark records. */
    startedMs: number;
    /** When this run took the instance out of its target groups (again): targets get their delay from then. */
    targetsFromMs: number;
    timeoutMs: number;
    /** The longest deregistration delay of the owned target groups, in seconds. */
    longestDelay: number;
    targetTimeoutMs: number;
    stoppingTimeoutMs: number;
    /** How long one task may be seen stopping (a deregistration delay, then the stop grace) before it counts as stuck. */
    stoppingGraceMs: number;
}

/** A batch's timeouts, from when it started draining and the longest deregistration delay of its target groups. */
export function drainClock(startedMs: number, longestDelay: number, timeoutSeconds: number, targetsFromMs = startedMs): DrainClock {
    const timeoutMs = timeoutSeconds * 1000;
    // Targets leave `draining` after their group's deregistration delay; waiting less would fail
    // every drain, so targets get at least that long (plus a minute) whatever the drain timeout.
    const targetTimeoutMs = Math.max(timeoutMs, (longestDelay + TARGET_DELAY_SLACK_SECONDS) * 1000);
    // A task ECS is already stopping is on its way out: past the drain timeout it still gets its
    // deactivation (a deregistration delay) and its stop grace before the drain is called stuck.
    const stoppingGraceMs = (Math.max(longestDelay, ASSUMED_TASK_DEREGISTRATION_DELAY_SECONDS) + STOP_GRACE_SECONDS) * 1000;
    const stoppingTimeoutMs = Math.max(targetTimeoutMs, timeoutMs + stoppingGraceMs);
    return { startedMs, targetsFromMs, timeoutMs, longestDelay, targetTimeoutMs, stoppingTimeoutMs, stoppingGraceMs };
}

/** What the drain remembers of a victim from one look to the next. */
export interface VictimMarks {
    /** Set once the scaler stopped its standalone tasks: by then they must have reached STOPPED. */
    stopDeadlineMs?: number;
    /** Past the drain timeout, only daemon tasks (and tasks being stopped) were left: they get until then (ms after the start). */
    daemonGraceUntilMs?: number;
    /** When the instance was first seen empty: from then its services get the drain timeout to be whole again. */
    emptySinceMs?: number;
    /** Each task seen being stopped, with the look (epoch ms) that first saw it so. */
    stoppingSeenMs?: Record<string, number>;
}

/** What one look saw of one victim. */
export interface VictimSight {
    instanceId: string;
    /** Tasks its container instance counts (those ECS means to run); none once it is gone. */
    tasks: number;
    /** Tasks ECS is still stopping on it (read only once nothing is counted and no target is left). */
    stopping: ObservedTask[];
    /** Those of `stopping` that the scaler itself stopped. */
    ownStopped: ObservedTask[];
    /** Each target group it is still in, with its state (`targetgroup/web/… draining`). */
    inTargets: string[];
    /** Nothing counted, nothing stopping, out of its target groups. */
    empty: boolean;
    /** A line for each service it ran that is short of its desired count (read only once it is empty). */
    shortServices: string[];
}

/** What to do with a victim now, and why. */
export type Verdict =
    /** Empty, and every service it ran is whole. */
    | { kind: "terminate" }
    /** Not done yet; `detail` says what it waits for. */
    | { kind: "wait"; detail: string; marks?: VictimMarks }
    /** The drain timeout passed with tasks still counted: read them and apply {@link timeoutVerdict}. */
    | { kind: "timed-out"; detail: string; graceOver: boolean }
    /** It cannot be finished in this run; it stays DRAINING. */
    | { kind: "stuck"; detail: string; reason: string; marks?: VictimMarks };

/** `DEACTIVATING ×2, STOPPING ×1`: how many tasks have each value of `key`, in order of first appearance. */
function tally(tasks: ObservedTask[], key: (t: ObservedTask) => string): string {
    const counts = new Map<string, number>();
    for (const t of tasks) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
    return [...counts].map(([value, n]) => `${value} ×${n}`).join(", ");
}

/** Where tasks that are being stopped are. */
export const statuses = (tasks: ObservedTask[]) => tally(tasks, (t) => t.lastStatus);

/** How many tasks of each group. */
const groups = (tasks: ObservedTask[]) => tally(tasks, (t) => t.group);

/**
 * The verdict on one victim at `nowMs`. An empty victim goes once its services are whole; a victim
 * with tasks waits until the drain timeout; tasks still stopping and targets still draining get
 * their own, longer timeouts (see {@link drainClock}).
 */
export function victimVerdict(v: VictimSight, marks: VictimMarks, clock: DrainClock, nowMs: number): Verdict {
    const id = v.instanceId;
    if (v.empty) {
        // Its tasks are gone; their services must have them running elsewhere before it goes.
        if (v.shortServices.length === 0) return { kind: "terminate" };
        const detail = `${id}: empty, termination held: ${v.shortServices.join("; ")}`;
        // ECS starts a moved task only once it may (with maximumPercent 100, after the old one
        // stopped), so the services get the drain timeout from the moment the instance emptied.
        const emptySinceMs = marks.emptySinceMs ?? nowMs;
        if (nowMs - clock.targetsFromMs >= clock.targetTimeoutMs && nowMs - emptySinceMs >= clock.timeoutMs) {
            return { kind: "stuck", detail, marks: { emptySinceMs }, reason: `${id}: not terminated, a service it ran is still short `
                + `${Math.round((nowMs - emptySinceMs) / 1000)} s after its last task stopped: ${v.shortServices.join("; ")}; the instance stays DRAINING` };
        }
        return { kind: "wait", detail, marks: { emptySinceMs } };
    }
    const detail = `${id}: ${v.tasks} task${v.tasks === 1 ? "" : "s"} left`
        + (v.stopping.length > 0 ? `, ${v.stopping.length} still stopping (${statuses(v.stopping)})` : "")
        + (v.inTargets.length > 0 ? `, target ${v.inTargets.join(", ")}` : "");
    const elapsedMs = nowMs - clock.startedMs;
    // The stop grace is for the standalone tasks the scaler stopped; other tasks still being
    // stopped (a service task deactivating) have the stopping timeout below.
    if (marks.stopDeadlineMs !== undefined && nowMs >= marks.stopDeadlineMs && (v.ownStopped.length > 0 || v.tasks > 0)) {
        return { kind: "stuck", detail, reason: `${id}: stopped standalone tasks did not reach STOPPED within ${STOP_GRACE_SECONDS} s`
            + (v.ownStopped.length > 0 ? ` (${statuses(v.ownStopped)})` : "") };
    }
    if (marks.stopDeadlineMs === undefined && v.tasks > 0 && elapsedMs >= clock.timeoutMs
        && (marks.daemonGraceUntilMs === undefined || elapsedMs >= marks.daemonGraceUntilMs)) {
        return { kind: "timed-out", detail, graceOver: elapsedMs >= (marks.daemonGraceUntilMs ?? Infinity) };
    }
    // Each task being stopped gets its deactivation and stop grace from the look that first saw it
    // stopping: ECS stops a draining instance's daemon tasks only once its other tasks have stopped,
    // so theirs begins late, and a chain of such stops is progress, not a stuck drain.
    const stoppingSeenMs = Object.fromEntries(v.stopping.map((t) => [t.arn, marks.stoppingSeenMs?.[t.arn] ?? nowMs]));
    const longestStopMs = nowMs - Math.min(nowMs, ...Object.values(stoppingSeenMs));
    if (v.stopping.length > 0 && elapsedMs >= clock.stoppingTimeoutMs && longestStopMs >= clock.stoppingGraceMs) {
        return { kind: "stuck", detail, reason: `${id}: ${v.stopping.length} task(s) still stopping after ${Math.round(elapsedMs / 1000)} s `
            + `(${statuses(v.stopping)}): they were asked to stop and have not reached STOPPED` };
    }
    if (v.tasks === 0 && v.inTargets.length > 0 && nowMs - clock.targetsFromMs >= clock.targetTimeoutMs) {
        return { kind: "stuck", detail, reason: `${id}: still in target group ${v.inTargets.join(", ")} after ${Math.round(clock.targetTimeoutMs / 1000)} s `
            + `(deregistration delay ${clock.longestDelay} s)` };
    }
    return v.stopping.length > 0 || marks.stoppingSeenMs !== undefined ? { kind: "wait", detail, marks: { stoppingSeenMs } } : { kind: "wait", detail };
}

/** What to do at the drain timeout with the tasks still meant to run on a victim. */
export type TimeoutVerdict =
    /** Only daemon tasks (and tasks being stopped) are left: ECS stops daemons last; wait the stopping grace. */
    | { kind: "grace" }
    /** Stop these standalone tasks (the policy is "stop"), then give them the stop grace. */
    | { kind: "stop-standalone"; tasks: ObservedTask[] }
    | { kind: "stuck"; reason: string };

/**
 * The verdict at the drain timeout, from the victim's tasks that ECS means to run and that are not
 * daemons (`running`), and how many its container instance counts (`counted`). Service tasks still
 * there mean ECS could not move them; standalone ones follow the policy. `graceOver` once the
 * stopping grace is spent too.
 */
export function timeoutVerdict(instanceId: string, running: ObservedTask[], counted: number, graceOver: boolean,
    draining: Pick<DrainingPolicy, "timeoutSeconds" | "standaloneTasks">): TimeoutVerdict {
    const after = `after ${draining.timeoutSeconds} s`;
    if (running.length === 0) {
        return graceOver ? { kind: "stuck", reason: `${instanceId}: ${counted} task(s) still running or stopping ${after} and its grace: they have not reached STOPPED` }
            : { kind: "grace" };
    }
    const service = running.filter((t) => serviceOf(t.group) !== undefined);
    const standalone = running.filter((t) => serviceOf(t.group) === undefined);
    if (service.length > 0) {
        return { kind: "stuck", reason: `${instanceId}: ${service.length} service task(s) still running ${after} (${groups(service)}); ECS could not `
            + "move them: check free capacity and the services' deployment configuration (with minimumHealthyPercent 100, "
            + "maximumPercent must leave room for one more task)" };
    }
    if (draining.standaloneTasks === "fail") {
        return { kind: "stuck", reason: `${instanceId}: standalone task(s) still running ${after}: ${standalone.map((t) => `${t.arn} (${t.group})`).join(", ")}; `
            + "draining.standaloneTasks is \"fail\": stop them yourself or set it to \"stop\"" };
    }
    return { kind: "stop-standalone", tasks: standalone };
}

/**
 * The next moment (epoch ms) a look may find something new without waiting on AWS: the targets
 * leave `draining` as the deregistration delay ends, and each timeout and grace of the batch ends
 * (a second after each, so that the look sees it passed). Infinity when none is ahead.
 */
export function nextMoment(clock: DrainClock, pending: VictimMarks[], nowMs: number): number {
    const moments = [
        clock.targetsFromMs + clock.longestDelay * 1000,
        clock.startedMs + clock.timeoutMs, clock.targetsFromMs + clock.targetTimeoutMs, clock.startedMs + clock.stoppingTimeoutMs,
        ...pending.flatMap((s) => [s.stopDeadlineMs, s.daemonGraceUntilMs === undefined ? undefined : clock.startedMs + s.daemonGraceUntilMs,
            s.emptySinceMs === undefined ? undefined : s.emptySinceMs + clock.timeoutMs,
            ...Object.values(s.stoppingSeenMs ?? {}).map((seen) => seen + clock.stoppingGraceMs)]),
    ].flatMap((t) => t === undefined ? [] : [t + 1000]).filter((t) => t > nowMs);
    return moments.length === 0 ? Infinity : Math.min(...moments);
}

/**
 * Whether the termination of a victim the plan meant to lower desired capacity with still should, by
 * the group as it is now: only while the group would otherwise launch a replacement (desired
 * capacity above the instances that stay). A maxSize lowered during the run lowers desired capacity
 * by itself, and a decrement on top would take it below what stays. Auto Scaling refuses a decrement
 * below minSize; at minSize the group launches a replacement, as minSize asks.
 */
export function decrementNow(group: Pick<GroupState, "desired" | "minSize" | "instances">, instanceId: string): boolean {
    const staying = group.instances.filter((i) => i.instanceId !== instanceId && isLiveState(i.asgState)).length;
    return group.desired > staying && group.desired > group.minSize;
}
