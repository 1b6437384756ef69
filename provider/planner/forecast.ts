// What the up will put each service through, said before anything drains: the fewest tasks each
// service runs and from which step, the drains that cannot work as things stand (with the setting to
// change), and how long the up should take. Pure: the plan, the observation and the facts read for it
// (the services' deployment configuration, target groups' deregistration delays) in, the forecast out.
import { Action, DEFAULT_STOP_TIMEOUT_SECONDS, DrainBlocker, Forecast, ForecastStep, isMeantToRun, Observed, ObservedTask, Plan, ServiceFacts, ServiceForecast, serviceOf, taskId } from "../model";
import { firstUnmetMemberOf } from "../placement";
import { plural } from "../render";
import { DrainingPolicy } from "../settings";
import { isActive, Registered, registeredOf } from "./fleet";
import { offerOf } from "./room";

/** What the forecast reads besides the observation. */
export interface ForecastFacts {
    /** The services with a task on an instance the plan drains (daemon ones included). */
    services: Record<string, ServiceFacts>;
    /** The deregistration delay (seconds) of each target group read: the services' and the instance target groups the scaler owns. */
    delays: Record<string, number>;
    /** The instance target groups the scaler owns (a drained instance leaves them). */
    instanceTargetGroupArns: string[];
}

/** Seconds a moved task is assumed to take from placement to RUNNING and healthy: ECS does not say, and images differ. */
export const ASSUMED_TASK_START_SECONDS = 30;
/** Seconds a new instance is assumed to take from launch to ACTIVE when no recent instance shows it. */
export const ASSUMED_BOOT_SECONDS = 180;
/** How many steps a service's forecast lists its tasks on (the rest are counted in `tasksDrained`). */
const TASKS_BY_STEPS = 10;
/** How many of the newest instances' launch-to-registration times the boot estimate is the median of. */
const BOOT_SAMPLES = 5;

/** A step of the up that takes time: new instances, a drain batch, or the drains of the instances the group terminates (alongside the rest). */
interface Step {
    kind: "launch" | "drain" | "hook";
    label: string;
    /** The victims' container instances and instance ids. */
    victims: { instanceId: string; containerInstanceArn?: string }[];
    /** Seconds the rollout's guard bakes after it (`draining.bakeSeconds`, alarms to read); 0 when it does not. */
    bake: number;
}

/** The steps of `plan` that wait, in order; the hook's drains first, as they start at once and last the whole run. */
function stepsOf(plan: Plan): Step[] {
    const guarded = plan.rollout !== undefined && plan.rollout.alarms.length > 0;
    const lastReplace = plan.actions.filter((a) => a.kind === "drain" && a.purpose === "replace").pop();
    const steps = plan.actions.flatMap((a: Action): Step[] => {
        switch (a.kind) {
            // New instances: waited for here, or by the drain batch after a surge.
            case "set-desired": return a.to > a.from ? [{ kind: "launch", label: `new instances (${a.cause})`, victims: [], bake: 0 }] : [];
            case "drain": return [{ kind: "drain", label: `${a.purpose} batch ${a.batch} of ${a.batches}`, victims: a.victims,
                bake: guarded && a.purpose === "replace" && a !== lastReplace ? plan.rollout!.bakeSeconds : 0 }];
            case "hook-drain": return [{ kind: "hook", label: "the hook's drains", victims: a.victims, bake: 0 }];
            default: return [];
        }
    });
    return [...steps.filter((s) => s.kind === "hook"), ...steps.filter((s) => s.kind !== "hook")];
}

/** The tasks ECS means to run, by container instance ARN: read once, so that a plan of thousands of batches reads each victim's alone. */
type TaskIndex = Map<string, ObservedTask[]>;

function indexTasks(o: Observed): TaskIndex {
    const index: TaskIndex = new Map();
    for (const t of o.tasks ?? []) {
        if (!isMeantToRun(t)) continue;
        const on = index.get(t.containerInstanceArn);
        if (on === undefined) index.set(t.containerInstanceArn, [t]);
        else on.push(t);
    }
    return index;
}

/** The tasks ECS means to run on a step's victims. */
function tasksOf(step: Pick<Step, "victims">, tasks: TaskIndex): ObservedTask[] {
    return step.victims.flatMap((v) => v.containerInstanceArn === undefined ? [] : tasks.get(v.containerInstanceArn) ?? []);
}

/** The service names with a task on any victim of the plan, daemon ones included: what {@link ForecastFacts} must hold. */
export function servicesDrained(plan: Plan, o: Observed): string[] {
    const tasks = indexTasks(o);
    return [...new Set(stepsOf(plan).flatMap((s) => tasksOf(s, tasks).flatMap((t) => serviceOf(t.group) ?? [])))];
}

/** ECS's counts for a service: minimum healthy rounded up, maximum rounded down (DeploymentConfiguration). */
function counts(f: ServiceFacts): { minHealthy: number; maxTotal: number; cannotMove: boolean } {
    const minHealthy = Math.ceil(f.desired * f.minimumHealthyPercent / 100);
    const maxTotal = Math.floor(f.desired * f.maximumPercent / 100);
    return { minHealthy, maxTotal, cannotMove: f.desired > 0 && minHealthy >= f.desired && maxTotal <= f.desired };
}

/**
 * Each service's fewest running tasks during the up. ECS stops a task of a DRAINING instance only while
 * the service keeps its minimum healthy count; a moved task may be placed on an instance of a later
 * batch (still ACTIVE) and stopped again there, so by step b the service may have lost as many tasks
 * as the steps up to b hold, never below its minimum healthy count.
 */
function serviceForecasts(steps: Step[], tasks: TaskIndex, facts: ForecastFacts): ServiceForecast[] {
    // Each service's tasks on each drain step that holds some, in one pass over the victims.
    const byService = new Map<string, { step: string; tasks: number }[]>();
    for (const s of steps.filter((x) => x.kind !== "launch")) {
        const here = new Map<string, number>();
        for (const t of tasksOf(s, tasks)) {
            const name = serviceOf(t.group);
            if (name !== undefined) here.set(name, (here.get(name) ?? 0) + 1);
        }
        for (const [name, n] of here) byService.set(name, [...(byService.get(name) ?? []), { step: s.label, tasks: n }]);
    }
    return [...byService.keys()].sort().flatMap((name): ServiceForecast[] => {
        const f = facts.services[name];
        if (f === undefined || f.daemon || f.desired === 0) return [];
        const { minHealthy, cannotMove } = counts(f);
        const base = Math.min(f.running, f.desired);
        const by = byService.get(name)!;
        let moved = 0;
        let lowest = base;
        let lowestDuring = by[0].step;
        for (const b of by) {
            moved += b.tasks;
            const bound = cannotMove ? base : Math.min(base, Math.max(minHealthy, base - Math.min(base, moved)));
            if (bound < lowest) {
                lowest = bound;
                lowestDuring = b.step;
            }
        }
        return [{ service: name, desired: f.desired, running: f.running, minimumHealthyPercent: f.minimumHealthyPercent,
            maximumPercent: f.maximumPercent, lowest, lowestDuring, tasksBy: by.slice(0, TASKS_BY_STEPS), tasksDrained: moved, cannotMove }];
    });
}

/** The drains that cannot work as things stand: services ECS cannot move, standalone tasks, tasks bound where nothing that stays qualifies. */
function blockersOf(steps: Step[], o: Observed, tasks: TaskIndex, facts: ForecastFacts, draining: DrainingPolicy): DrainBlocker[] {
    const timeout = `the drain timeout (${draining.timeoutSeconds} s)`;
    const out: DrainBlocker[] = [];
    const drained = steps.filter((s) => s.kind !== "launch");
    for (const name of [...new Set(drained.flatMap((s) => tasksOf(s, tasks).flatMap((t) => serviceOf(t.group) ?? [])))].sort()) {
        const f = facts.services[name];
        if (f === undefined || f.daemon || !counts(f).cannotMove) continue;
        const on = drained.flatMap((s) => tasksOf(s, tasks).filter((t) => serviceOf(t.group) === name)).length;
        out.push({ subject: `service ${name}`,
            problem: `minimumHealthyPercent ${f.minimumHealthyPercent} and maximumPercent ${f.maximumPercent} of ${f.desired} desired: ECS may neither stop `
                + `a task before another runs nor start one more, so its ${plural(on, "task")} on the drained instances cannot move; the drain waits out its timeout (${draining.timeoutSeconds} s), then fails`,
            change: `set its deploymentConfiguration.maximumPercent to ${Math.ceil((f.desired + 1) * 100 / f.desired)} or more, `
                + `or minimumHealthyPercent to ${Math.floor((f.desired - 1) * 100 / f.desired)} or less` });
    }
    const victims = new Set(drained.flatMap((s) => s.victims.map((v) => v.instanceId)));
    for (const s of drained) {
        for (const v of s.victims) {
            const standalone = tasksOf({ victims: [v] }, tasks).filter((t) => serviceOf(t.group) === undefined);
            for (const t of standalone) {
                out.push({ subject: `task ${taskId(t.arn)} (${t.group}) on ${v.instanceId}`, ...(draining.standaloneTasks === "fail"
                    ? { problem: `a standalone task, which ECS does not move: with draining.standaloneTasks "fail", ${s.label} fails at ${timeout} with it running`,
                        change: "stop it before the up, or set draining.standaloneTasks to \"stop\"" }
                    : { problem: `a standalone task, which ECS does not move: the scaler stops it at ${timeout} (draining.standaloneTasks "stop")`,
                        change: "stop it before the up when it can, or set draining.standaloneTasks to \"fail\" to keep it running" }) });
            }
        }
    }
    out.push(...boundTasks(drained, o, tasks, victims));
    return out;
}

/** Victims' tasks whose `memberOf` no ACTIVE instance that stays meets: the executor holds such a victim rather than drain it. */
function boundTasks(drained: Step[], o: Observed, tasks: TaskIndex, victims: Set<string>): DrainBlocker[] {
    const bound = drained.flatMap((s) => s.victims.flatMap((v) => {
        const on = tasksOf({ victims: [v] }, tasks).filter((t) => !t.daemon && (t.needs?.memberOf ?? []).length > 0);
        return on.length === 0 ? [] : [{ v, on }];
    }));
    if (bound.length === 0) return [];
    const staying = registeredOf(o).filter((i): i is Registered => isActive(i) && !victims.has(i.instanceId));
    const offers = staying.map((i) => offerOf(i, tasks.get(i.container.arn) ?? []));
    return bound.flatMap(({ v, on }): DrainBlocker[] => {
        const bound = firstUnmetMemberOf(on, offers);
        return bound === undefined ? [] : [{ subject: `task ${taskId(bound.task.arn)} (${bound.task.group}) on ${v.instanceId}`,
            problem: `it needs memberOf(${bound.expression}), which no ACTIVE instance that stays meets: unless a new instance does, `
                + `${v.instanceId} is held, not drained`,
            change: "let the group launch where the constraint holds (a subnet in that zone, an allowed instance type), or relax the constraint" }];
    });
}

/** The median seconds from launch to registration of the newest instances that show both, and how many. */
export function observedBoot(o: Observed): { seconds: number; samples: number } | undefined {
    const times = o.instances.filter((i) => i.launchTime !== undefined && i.container?.registeredAt !== undefined)
        .sort((a, b) => b.launchTime! - a.launchTime!).slice(0, BOOT_SAMPLES)
        .map((i) => Math.max(0, (i.container!.registeredAt! - i.launchTime!) / 1000)).sort((a, b) => a - b);
    return times.length === 0 ? undefined : { seconds: Math.round(times[Math.floor(times.length / 2)]), samples: times.length };
}

/** The deregistration delay assumed for a target group that could not be read: ELB's default. */
export const ASSUMED_DEREGISTRATION_DELAY_SECONDS = 300;

/** The longest deregistration delay among `arns`; ELB's default for one that could not be read. */
function longestDelay(arns: string[], facts: ForecastFacts): number {
    return Math.max(0, ...arns.map((arn) => facts.delays[arn] ?? ASSUMED_DEREGISTRATION_DELAY_SECONDS));
}

/**
 * Seconds one drain step should take: its instances leave their target groups while ECS moves each
 * service's tasks in waves (as many at once as its minimum healthy and maximum percent allow: each
 * wave the task's own deregistration delay, its stop timeout and, where ECS must start the new task
 * first or stop the old one first, the new task's start); daemon tasks stop after the others; a
 * service that cannot move, or a standalone task, holds the step to the drain timeout.
 */
function drainSeconds(step: Step, tasks: TaskIndex, facts: ForecastFacts, draining: DrainingPolicy): { seconds: number; why: string; fails: boolean } {
    const on = tasksOf(step, tasks);
    let slowest = { seconds: 0, why: "no task to move", fails: false };
    let daemonTail = 0;
    for (const name of new Set(on.flatMap((t) => serviceOf(t.group) ?? []))) {
        const k = on.filter((t) => serviceOf(t.group) === name).length;
        // A service ECS did not describe (deleted, its tasks still stopping): its tasks as ECS's defaults would move them.
        const f = facts.services[name] ?? { desired: k, running: k, daemon: false, minimumHealthyPercent: 100, maximumPercent: 200, targetGroupArns: [],
            stopTimeoutSeconds: DEFAULT_STOP_TIMEOUT_SECONDS };
        const wave = longestDelay(f.targetGroupArns, facts) + f.stopTimeoutSeconds;
        if (f.daemon) {
            daemonTail = Math.max(daemonTail, wave);
            continue;
        }
        const { minHealthy, maxTotal, cannotMove } = counts(f);
        const seconds = cannotMove ? draining.timeoutSeconds
            : Math.ceil(k / Math.max(1, f.desired - minHealthy + Math.max(0, maxTotal - f.desired)))
                * (wave + (minHealthy >= f.desired || maxTotal <= f.desired ? ASSUMED_TASK_START_SECONDS : 0));
        if (seconds > slowest.seconds || cannotMove) {
            slowest = { seconds, why: cannotMove ? `${name} cannot move: the drain timeout, then the up fails` : `${name} moves ${plural(k, "task")}`, fails: cannotMove };
        }
    }
    if (!slowest.fails && on.some((t) => serviceOf(t.group) === undefined)) {
        const fails = draining.standaloneTasks === "fail";
        // Stopped at the timeout under "stop": its stop timeout (the agent's default, its definition is not read) follows.
        slowest = { seconds: draining.timeoutSeconds + (fails ? 0 : DEFAULT_STOP_TIMEOUT_SECONDS),
            why: fails ? "a standalone task: the drain timeout, then the up fails" : "a standalone task: the drain timeout, then it is stopped", fails };
    }
    const targets = longestDelay(facts.instanceTargetGroupArns, facts);
    const seconds = Math.max(targets, slowest.seconds + daemonTail);
    return { seconds, fails: slowest.fails,
        why: targets >= slowest.seconds + daemonTail && targets > 0 ? `the instance target groups' ${targets} s deregistration delay` : slowest.why };
}

/** The up's estimated duration, step by step: launches take the observed boot time, drains {@link drainSeconds}; the hook's drains run alongside. */
function estimate(steps: Step[], o: Observed, tasks: TaskIndex, facts: ForecastFacts, draining: DrainingPolicy): { seconds: number; basis: ForecastStep[] } {
    const boot = observedBoot(o);
    const bootSeconds = boot?.seconds ?? ASSUMED_BOOT_SECONDS;
    let sequential = 0;
    let alongside = 0;
    const basis: ForecastStep[] = [];
    for (const s of steps) {
        const { seconds, why, fails } = s.kind === "launch"
            ? { seconds: bootSeconds, fails: false,
                why: boot === undefined ? "assumed: no instance shows its registration time" : `the median boot of the ${plural(boot.samples, "newest instance")}` }
            : drainSeconds(s, tasks, facts, draining);
        const baked = fails || s.bake === 0 ? { seconds, why } : { seconds: seconds + s.bake, why: `${why}, then the ${s.bake} s bake` };
        if (s.kind === "hook") alongside = Math.max(alongside, baked.seconds);
        else sequential += baked.seconds;
        basis.push({ step: s.label, instanceIds: s.victims.map((v) => v.instanceId), seconds: baked.seconds, why: baked.why });
        // A batch that fails ends the run: no later batch starts.
        if (fails && s.kind === "drain") break;
    }
    return { seconds: Math.max(sequential, alongside), basis };
}

/** The forecast of `plan`: undefined when it drains nothing (a scale-out alone says what it waits for in its own line). */
export function forecastOf(plan: Plan, o: Observed, facts: ForecastFacts, draining: DrainingPolicy): Forecast | undefined {
    const steps = stepsOf(plan);
    if (!steps.some((s) => s.kind !== "launch")) return undefined;
    const tasks = indexTasks(o);
    const { seconds, basis } = estimate(steps, o, tasks, facts, draining);
    return { blockers: blockersOf(steps, o, tasks, facts, draining), services: serviceForecasts(steps, tasks, facts), steps: basis, estimateSeconds: seconds,
        ...(seconds > draining.maxUpdateSeconds ? { maxUpdateSeconds: draining.maxUpdateSeconds } : {}) };
}
