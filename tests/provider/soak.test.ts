// A soak: hundreds of seeded random scenarios (fleet sizes, task mixes, AWS faults, misbehaving
// instances, tasks and targets), each run to convergence with the invariants checked at every tick.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { seededRandom } from "../../provider/sim/random";
import { FaultConfig } from "../../provider/sim/cloud";
import { buildCluster, newLaunchTemplateVersion, ServiceSpec, simReconcile, simSettings } from "../../provider/sim/scenario";
import { healthReplacement, rebalanceRecommendation, startInstanceRefresh } from "../../provider/sim/groupEvents";
import { ScalerSettings } from "../../provider/settings";
import { SimInstance, SimWorld } from "../../provider/sim/world";
import { watchServices } from "../../provider/sim/serviceWatch";
import { HALT_TAG } from "../../provider/cloud";
import { isScalerRunError } from "../../provider/run";
import { RunReport } from "../../provider/model";

/** Seeds 1 to this many run in the suite; SOAK_SCENARIOS=N runs more (docs/reliability.md pins the default's figures). */
export const SOAK_SCENARIOS = Number(process.env.SOAK_SCENARIOS ?? 1000);
const DEFAULT_SCENARIOS = 1000;
/** Runs a scenario may take to converge. */
export const SOAK_MAX_RUNS = Number(process.env.SOAK_MAX_RUNS ?? 4);
const MINUTE = 60_000;
const INSTANCE_CPU = 2048;

/**
 * The heartbeat timeout of the scaler's termination hook in the soak: the component's for a runner every
 * 10 minutes (three periods), above the 11 minutes between the soak's runs, so that every termination
 * the group starts waits in the hook for the next run to drain it.
 */
export const SOAK_HOOK_HEARTBEAT_SECONDS = 1800;
/** The same with no runner answering between the runs: the hook's default 300 s, so it times out. */
export const STOPPED_RUNNER_HEARTBEAT_SECONDS = 300;

export interface SoakSummary {
    scenarios: number;
    runs: number;
    faults: Record<string, number>;
    tasksLost: number;
    /** Services with fewer tasks placed than desired at the end of their scenario. */
    servicesShort: number;
    /** The seeds that ended with such a service. */
    shortIn: number[];
    /** Old instances left in place at the end because their zone-bound task had nowhere to go (heldJustly). */
    replacementsHeld: number;
    invariantViolations: number;
    unconverged: number[];
    /** Instances the group terminated on its own that waited in the scaler's hook until a run drained them and let them go. */
    hookDrained: number;
    /** Times the hook timed out (no run in time): the instance was retained with its tasks. */
    hookTimeouts: number;
    /** Tasks on instances when their hook timed out: kept running on the retained instance, not lost. */
    tasksOnTimedOut: number;
    /** Retained instances the scaler drained and terminated later. */
    retainedFinished: number;
    /** Retained instances still there at the end of their scenario. */
    retainedLeft: number;
    /** Runs whose plan drained, with a forecast of what it would put the services through. */
    forecastRuns: number;
    /** The services' predicted lowest counts held to what they ran. */
    servicePredictions: number;
    /** Predictions a service ran below (`seed 12 run 1 web: predicted 3, ran 2`): the forecast was wrong. */
    predictionsBroken: string[];
    /** Predictions the service reached exactly: the bound was tight. */
    predictionsMet: number;
    /** Each forecast run's actual seconds over its estimate. */
    estimateRatios: number[];
    /** The run whose actual seconds were furthest from its estimate: `seed 12 run 1`. */
    worstEstimate?: string;
    /** Tasks that ended with an instance the scaler replaced for its disconnected agent (not drainable; named in the plan). */
    tasksHealed: number;
    /** Instances the scaler replaced while half the cluster's agents were disconnected at once (it must hold instead). */
    healedInFlap: number;
    /** Replacements onto a bad AMI, guarded by an alarm on the services' errors (`draining.haltOnAlarms`). */
    badAmiRollouts: number;
    /** Of those, the seeds where more than one batch of old instances was replaced after a service first ran on the bad version, before the stop. */
    badAmiPastFirstBatch: string[];
}

/** The estimate's error over the forecast runs, in percent of the estimate: the median of its size, and the worst, with its sign. */
export function estimateError(s: Pick<SoakSummary, "estimateRatios">): { median: number; worst: number } {
    const errors = s.estimateRatios.map((r) => Math.round((r - 1) * 100));
    const sizes = errors.map(Math.abs).sort((a, b) => a - b);
    const worst = errors.reduce((w, e) => Math.abs(e) > Math.abs(w) ? e : w, 0);
    return { median: sizes.length === 0 ? 0 : sizes[Math.floor(sizes.length / 2)], worst };
}

/** One run's forecast against what happened: each service's predicted lowest and what it ran, the estimate and the actual seconds. */
interface ForecastCheck {
    run: number;
    predicted: Record<string, number>;
    ran: Record<string, number>;
    estimateSeconds: number;
    actualSeconds: number;
}

type Kind = "replace" | "scale-in" | "scale-out";

/**
 * The classes of scenario that once did not converge, forced on a share of the seeds (drawn from a
 * stream of their own, so the other scenarios stay as they were):
 * - `deadlock`: during a replacement the new instances never register, and a service binds a host
 *   port on every instance but one, so a task on a victim may have nowhere to go;
 * - `silentShort`: maxSize lowered to the group's size, then a service asks for more tasks than fit;
 * - `forgotten`: a Spot drought during a replacement of a fleet with an On-Demand base;
 * - `targeted`: a run of the scaler alone with a maxSize declared below the group's (the group keeps its own).
 */
const CLASSES = ["deadlock", "silentShort", "forgotten", "targeted"] as const;
type ConvergenceClass = (typeof CLASSES)[number];
/** Share of the seeds given one of the classes. */
const CLASS_SHARE = 0.25;

/** Builds one random scenario, runs the scaler until it converges (or four runs), and returns what happened. */
export async function scenario(seed: number, faults: Record<string, number>, trace?: (line: string) => void,
    hookHeartbeatSeconds = SOAK_HOOK_HEARTBEAT_SECONDS) {
    const rnd = seededRandom(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    const n = 3 + Math.floor(rnd() * 8);
    const kind: Kind = pick(["replace", "replace", "scale-in", "scale-out"] as const);
    const classes = seededRandom(seed + 400_000);
    const forced: ConvergenceClass | undefined = classes() >= CLASS_SHARE ? undefined
        : kind === "replace" ? CLASSES[Math.floor(classes() * 4)] : (["silentShort", "targeted"] as const)[Math.floor(classes() * 2)];
    if (forced !== undefined) faults[forced]++;
    const utilisation = kind === "scale-in" ? 0.05 + rnd() * 0.2 : kind === "scale-out" ? 0.8 + rnd() * 0.12 : 0.3 + rnd() * 0.35;
    const services: ServiceSpec[] = [];
    let cpuLeft = Math.floor(utilisation * n * INSTANCE_CPU);
    // Services ECS places by more than CPU and memory, from a stream of their own.
    const place = seededRandom(seed + 200_000);
    if (place() < 0.3) services.push({ name: "edge", count: Math.max(1, n - 1 - Math.floor(place() * 2)), cpu: 128, memory: 128,
        minHealthyPercent: 50, maxPercent: 100, needs: { hostPorts: ["tcp:80"] } });
    if (place() < 0.3) services.push({ name: "agent", count: 0, cpu: 64, memory: 64, daemon: true, needs: { hostPorts: ["tcp:9100"] } });
    if (place() < 0.25) services.push({ name: "vpc", count: 1 + Math.floor(place() * n), cpu: 128, memory: 128, needs: { awsvpc: true } });
    if (place() < 0.25) services.push({ name: "one-each", count: Math.max(1, n - 2), cpu: 128, memory: 128, maxPercent: 150,
        needs: { distinctGroup: "service:one-each" } });
    if (place() < 0.2) services.push({ name: "zonal", count: 1 + Math.floor(place() * 2), cpu: 128, memory: 128, minHealthyPercent: 50,
        needs: { memberOf: ["attribute:ecs.availability-zone == us-east-1a"] } });
    if (forced === "deadlock") services.push({ name: "pinned", count: n - 1, cpu: 64, memory: 64, minHealthyPercent: 50, maxPercent: 100,
        needs: { hostPorts: ["tcp:8443"] } });
    // They are seeded first, while there is room for one per instance; the others take what is left.
    cpuLeft -= services.reduce((sum, x) => sum + (x.daemon ? n : x.count) * x.cpu, 0);

    for (let s = 0; s < 1 + Math.floor(rnd() * 3) && cpuLeft >= 128; s++) {
        const cpu = pick([128, 256, 512]);
        const count = Math.max(1, Math.min(Math.floor(cpuLeft / cpu), 1 + Math.floor(rnd() * n * 3)));
        cpuLeft -= count * cpu;
        services.push({ name: `svc${s}`, count, cpu, memory: pick([128, 256, 512]), minHealthyPercent: pick([0, 50, 100]), maxPercent: pick([100, 150, 200]) });
    }
    // The task lifecycle draws from a stream of its own, so the other draws stay as they were.
    const life = seededRandom(seed + 100_000);
    for (const s of services) s.loadBalanced = life() < 0.5;
    const world = buildCluster({
        instances: n, onDemand: Math.max(Math.floor(rnd() * 2), forced === "forgotten" ? 1 : 0), minSize: 1, maxSize: n + 1 + Math.floor(rnd() * n),
        targetGroups: Math.floor(rnd() * 3), services, seedWhatFits: true,
        // As the component sets the group up with the runner: the scaler's own hook, no managed draining.
        managedDraining: false, terminationHook: { heartbeatTimeoutSeconds: hookHeartbeatSeconds },
        standalone: rnd() < 0.5 ? [{ family: "job", cpu: 64, memory: 64 }] : [],
        timings: { taskStopSeconds: 5 + Math.floor(life() * 116), deregistrationDelaySeconds: 30 + Math.floor(life() * 271) },
    });
    world.clock.advance(6 * MINUTE);
    if (kind === "replace") newLaunchTemplateVersion(world);

    const cloudFaults: FaultConfig = {
        seed,
        throttleRate: rnd() < 0.5 ? rnd() * 0.15 : 0,
        serverErrorRate: rnd() < 0.5 ? rnd() * 0.05 : 0,
        hangRate: rnd() < 0.3 ? rnd() * 0.02 : 0,
    };
    injectWorldFaults(world, rnd, faults, seed);
    injectAgentFaults(world, seed, faults);
    forceClass(world, forced, classes, n);
    let settings = simSettings(world, {
        ...(forced === "targeted" ? { maxSize: Math.max(1, n - 1 - Math.floor(classes() * 2)) } : {}),
        targetGroupArns: world.group.targetGroupArns,
        launchTemplateVersion: world.group.launchTemplateVersion,
        draining: { batchSize: 1 + Math.floor(rnd() * 4), minHealthyPercent: pick([50, 75, 100]), standaloneTasks: pick(["fail", "stop"] as const),
            timeoutSeconds: 120 + Math.floor(rnd() * 480) },
    });

    // A bad AMI on a share of the replacements: an alarm on the services' errors guards the rollout; from a stream of its own.
    const ami = seededRandom(seed + 500_000);
    const badAmi = kind === "replace" && ami() < BAD_AMI_SHARE;
    const oldVersion = String(Number(world.group.launchTemplateVersion) - 1);
    // When a service's task first ran on the bad version: the alarm can see the AMI is bad only from then.
    let badServingSince: number | undefined;
    if (badAmi) {
        faults.badAmi++;
        world.alarms.set(GUARD_ALARM, { state: "OK", rule: "bad-version", evaluationMinutes: 2 });
        world.badVersions.add(world.group.launchTemplateVersion);
        settings = { ...settings, draining: { ...settings.draining, haltOnAlarms: [GUARD_ALARM], bakeSeconds: 120 + Math.floor(ami() * 180) } };
        world.tickHooks.push((w) => {
            badServingSince ??= w.liveTasks().some((t) => t.status === "RUNNING" && t.service !== undefined
                && w.badVersions.has(w.instances.get(t.instanceId)?.ltVersion ?? "")) ? w.now : undefined;
        });
    }
    let runs = 0;
    let converged = false;
    let pastFirstBatch: string | undefined;
    const forecasts: ForecastCheck[] = [];
    // Going back from a bad AMI is a rollout of its own, and a lost agent takes a run to note and one to
    // replace: such a scenario gets one run more.
    const agentLost = () => world.events.some((e) => e.actor === "agent" && e.what.endsWith(" agent disconnected"));
    for (; runs < SOAK_MAX_RUNS + (badAmi || agentLost() ? 1 : 0) && !converged; runs++) {
        const watch = watchServices(world);
        const r = await simReconcile(world, runs === 0 ? settings : { ...settings, draining: { ...settings.draining, standaloneTasks: "stop" } },
            { seed, faults: { ...cloudFaults, seed: seed * 10 + runs } }).then((x) => x, (e) => e);
        const report: RunReport | undefined = r instanceof Error ? (isScalerRunError(r) ? r.report : undefined) : r.report;
        const forecast = report?.forecast;
        if (forecast !== undefined) {
            forecasts.push({ run: runs + 1, predicted: Object.fromEntries(forecast.services.map((f) => [f.service, f.lowest])), ran: watch.stop(forecast),
                estimateSeconds: forecast.estimateSeconds, actualSeconds: forecast.actualSeconds });
        }
        trace?.(`run ${runs + 1}: ${r instanceof Error ? `${((r as { lines?: string[] }).lines ?? []).join("\n")}\nerror: ${r.message}` : [...r.lines, ...r.plan.notes.map((n: string) => `note: ${n}`)].join("\n")}`);
        for (const kindName of ["throttle", "serverError", "hang"] as const) faults[kindName] += (r.cloud?.faults?.[kindName] ?? 0);
        // An operator fixes what was stuck before the next run, and any deployment configuration under
        // which ECS can neither stop a task first (min healthy 100%) nor start one first (max percent
        // rounds down to the desired count).
        for (const s of world.services.values()) {
            if (Math.ceil(s.desired * s.minHealthyPercent / 100) >= s.desired && Math.floor(s.desired * s.maxPercent / 100) <= s.desired) s.maxPercent = 200;
        }
        // …and raises maxSize where the plan, or a failed run's error, says it is too low.
        settings = raiseMaxSize(world, settings, r);
        // A rollout the guard alarm stopped (or holds): the operator goes back, with a new version that has what the old one had.
        const guarded = world.group.tags[HALT_TAG] !== undefined || (!(r instanceof Error) && r.plan.notes.some((n: string) => n.includes("(draining.haltOnAlarms)")));
        if (badAmi && guarded && world.badVersions.has(world.group.launchTemplateVersion)) {
            // Once the bad instances serve, the alarm stops the rollout within the batch under way: no more old instances than a batch go after that.
            const replaced = [...world.instances.values()].filter((i) => i.ltVersion === oldVersion && i.terminatedBy === "scaler"
                && badServingSince !== undefined && i.terminatedAt! >= badServingSince).length;
            if (replaced > settings.draining.batchSize) {
                pastFirstBatch = `seed ${seed}: ${replaced} old instances replaced after the bad version served, batches of ${settings.draining.batchSize}`;
            }
            settings = { ...settings, launchTemplateVersion: newLaunchTemplateVersion(world) };
        }
        for (const t of world.liveTasks()) t.neverStops = false;
        for (const targets of world.targetGroups.values()) for (const target of targets.values()) target.stuck = false;
        world.newInstancesNeverRegister = false;
        world.clock.advance(11 * MINUTE);
        converged = isSettled(world, kind, settings.maxSize);
        trace?.(`after run ${runs + 1}: ${world.liveInstances().map((i) => `${i.id}/v${i.ltVersion}/${i.asgState}/${i.container?.status ?? "-"}`).join(" ")} desired ${world.group.desired}`);
    }
    return { world, runs, converged, forecasts, badAmi, pastFirstBatch };
}

/** The guard alarm of the bad-AMI scenarios, and their share of the replacements. */
const GUARD_ALARM = "services-5xx";
const BAD_AMI_SHARE = 0.1;

/**
 * The operator's answer to a plan (or a failed run's error) that says maxSize is too low: a replacement
 * with no room to surge, an instance above maxSize whose tasks fit nowhere else, a service ECS cannot
 * place with the group at maxSize, a batch that needs more instances than maxSize holds. Where it says
 * to what, maxSize goes that far (to the largest figure when several lines name one); otherwise up by
 * one. The maxSize declared to the scaler (a run of it alone) is raised too, as the program would be.
 */
function raiseMaxSize(world: SimWorld, settings: ScalerSettings, r: Error | { plan: { notes: string[] } }): ScalerSettings {
    const said: string[] = r instanceof Error ? [r.message] : r.plan.notes;
    const named = Math.max(0, ...said.flatMap((n) => [...n.matchAll(/raise maxSize \(?to (\d+)/g)].map((m) => Number(m[1]))));
    const tooLow = !(r instanceof Error) && r.plan.notes.some((n: string) => n.startsWith("replacement blocked") || / stays above maxSize /.test(n)
        || /cannot place .* maxSize \d+ is reached/.test(n));
    const effective = Math.min(world.group.maxSize, settings.maxSize ?? Infinity);
    const to = named > effective ? named : tooLow ? effective + 1 : 0;
    if (to > world.group.maxSize) world.setMaxSize(to, "operator");
    return settings.maxSize !== undefined && to > settings.maxSize ? { ...settings, maxSize: to } : settings;
}

/** Sets up the class of scenario `forced`, if any, on the world (see {@link CLASSES}). */
function forceClass(world: SimWorld, forced: ConvergenceClass | undefined, classes: () => number, n: number): void {
    if (forced === "deadlock") world.newInstancesNeverRegister = true;
    if (forced === "silentShort") {
        // A plain service (placed by CPU and memory) asks for half the cluster's CPU more.
        const grow = [...world.services.values()].filter((s) => !s.daemon && s.needs === undefined).sort((a, b) => b.cpu - a.cpu)[0];
        at(world, 30 + classes() * 300, (w) => {
            w.setMaxSize(w.liveInstances().length, "operator");
            if (grow !== undefined) w.setServiceDesired(grow.name, grow.desired + Math.ceil(n * INSTANCE_CPU * 0.5 / grow.cpu));
            return true;
        });
    }
    if (forced === "forgotten") {
        const lasts = (15 + classes() * 25) * MINUTE;
        at(world, 20 + classes() * 120, (w) => {
            spotDrought(w, lasts);
            return true;
        });
    }
}

/**
 * Settled when no instance is DRAINING or unregistered and the group holds no more than its maxSize
 * (and than the maxSize the scaler was given, which a run of the scaler alone must hold to without the
 * group relaunching what it drains); a replacement also when every live instance runs the current version.
 */
function isSettled(world: SimWorld, kind: Kind, declaredMaxSize = Infinity): boolean {
    const live = world.liveInstances();
    const healthy = live.every((i) => i.container?.status === "ACTIVE" && i.container.agentConnected) && live.length <= Math.min(world.group.maxSize, declaredMaxSize)
        && world.group.desired <= declaredMaxSize;
    const placed = servicesShort(world) === 0;
    // The group's own terminations are the scaler's to finish too: none left waiting in its hook, none retained.
    const hooksDone = [...world.instances.values()].every((i) => i.asgState !== "Terminating" && i.asgState !== "Retained");
    return (kind === "replace" ? healthy && live.every((i) => i.ltVersion === world.group.launchTemplateVersion || heldJustly(world, i)) : healthy) && placed
        && hooksDone;
}

/**
 * An old instance that cannot be replaced yet, by the world's own facts: it runs a task bound to its
 * zone, no other live instance is in that zone, and every Spot pool of that zone is dry.
 */
export function heldJustly(world: SimWorld, i: SimInstance): boolean {
    const zoneBound = world.tasksOn(i.id).some((t) => SimWorld.meantToRun(t)
        && (t.needs?.memberOf ?? []).includes(`attribute:ecs.availability-zone == ${i.zone}`));
    const alone = !world.liveInstances().some((x) => x.id !== i.id && x.zone === i.zone);
    const dry = world.spotPools().filter((pool) => pool.endsWith(`/${i.zone}`)).every((pool) => world.drySpotPools.has(pool));
    return zoneBound && alone && dry;
}

/** Services with fewer tasks ECS has placed than desired (tasks still starting or stopping count as placed). */
export function servicesShort(world: SimWorld): number {
    return [...world.services.values()].filter((s) => !s.daemon
        && world.serviceTasks(s.name).filter(SimWorld.meantToRun).length < s.desired).length;
}

/** Whether, at `at`, half the cluster's agents or more were disconnected at once (from the world's log). */
function flapping(world: SimWorld, at: number): boolean {
    const down = new Set<string>();
    for (const e of world.events) {
        if (e.at > at) break;
        const m = /^(i-\w+) agent (dis)?connected$/.exec(e.what);
        if (m !== null) { if (m[2] === undefined) down.delete(m[1]); else down.add(m[1]); }
    }
    return down.size >= 2;
}

/** Runs `act` at the first tick `seconds` from now, and at each tick after until it returns true. */
function at(world: SimWorld, seconds: number, act: (w: SimWorld) => boolean): void {
    const start = world.now;
    let done = false;
    world.tickHooks.push((w) => {
        if (!done && w.now - start >= seconds * 1000) done = act(w);
    });
}

/**
 * ECS agents that disconnect, from a stream of their own: one for good (`agentLost`: its instance is
 * broken and must be replaced), or many at once for 5 to 15 minutes (`agentsFlap`: ECS or the network,
 * not the instances; they connect again by themselves).
 */
function injectAgentFaults(world: SimWorld, seed: number, faults: Record<string, number>): void {
    const agents = seededRandom(seed + 600_000);
    const registered = (w: SimWorld) => w.liveInstances().filter((i) => i.container !== undefined && i.container.status === "ACTIVE" && i.asgState === "InService");
    if (agents() < 0.1) at(world, 30 + agents() * 400, (w) => {
        const live = registered(w);
        if (live.length === 0) return false;
        w.setAgentConnected(live[Math.floor(agents() * live.length)].id, false);
        faults.agentLost++;
        return true;
    });
    if (agents() < 0.05) {
        const lasts = (5 + agents() * 10) * 60_000;
        at(world, 30 + agents() * 400, (w) => {
            const live = registered(w);
            if (live.length < 3) return false;
            const flapping = live.slice(0, Math.ceil(live.length / 2)).map((i) => i.id);
            for (const id of flapping) w.setAgentConnected(id, false);
            const until = w.now + lasts;
            let back = false;
            w.tickHooks.push((x) => {
                if (back || x.now < until) return;
                back = true;
                for (const id of flapping) if (x.instances.get(id)?.asgState !== "Terminated") x.setAgentConnected(id, true);
            });
            faults.agentsFlap++;
            return true;
        });
    }
}

/** Every Spot launch fails from now for `ms`. */
function spotDrought(w: SimWorld, ms: number): void {
    w.spotAvailable = false;
    const until = w.now + ms;
    w.tickHooks.push((x) => { if (x.now >= until) x.spotAvailable = true; });
}

function injectWorldFaults(world: SimWorld, rnd: () => number, faults: Record<string, number>, seed: number): void {
    const someLive = (w: SimWorld) => {
        const live = w.liveInstances().filter((i) => i.container !== undefined);
        return live.length === 0 ? undefined : live[Math.floor(rnd() * live.length)];
    };
    if (rnd() < 0.3) at(world, 30 + rnd() * 400, (w) => {
        const i = someLive(w);
        if (i === undefined || i.lifecycle !== "spot") return false;
        w.interrupt(i.id);
        faults.spotInterruption++;
        return true;
    });
    if (rnd() < 0.2) at(world, 30 + rnd() * 400, (w) => {
        const i = someLive(w);
        if (i === undefined) return false;
        w.terminate(i, "operator");
        faults.externalTermination++;
        return true;
    });
    if (rnd() < 0.2) {
        const tasks = world.liveTasks();
        if (tasks.length > 0) {
            tasks[Math.floor(rnd() * tasks.length)].neverStops = true;
            faults.stuckTask++;
        }
    }
    if (rnd() < 0.2 && world.group.targetGroupArns.length > 0) at(world, 1, (w) => {
        const targets = w.targetGroups.get(w.group.targetGroupArns[0])!;
        let stuck = false;
        world.tickHooks.push(() => {
            if (stuck) return;
            for (const target of targets.values()) {
                if (target.state === "draining") {
                    target.stuck = true;
                    stuck = true;
                    faults.stuckTarget++;
                    return;
                }
            }
        });
        return true;
    });
    if (rnd() < 0.15) {
        world.newInstancesNeverRegister = true;
        faults.neverRegister++;
    }
    // Terminations the group starts on its own; they draw from a stream of their own so the draws above stay as they were.
    const group = seededRandom(Math.floor(rnd() * 1e9) + 1);
    if (group() < 0.25) at(world, 30 + group() * 400, (w) => {
        const i = someLive(w);
        if (i === undefined || i.lifecycle !== "spot" || i.asgState !== "InService") return false;
        rebalanceRecommendation(w, i.id);
        faults.rebalance++;
        return true;
    });
    if (group() < 0.2) at(world, 30 + group() * 400, (w) => {
        const live = w.liveInstances().length;
        const lower = Math.max(w.group.minSize, live - 1 - Math.floor(group() * 2));
        if (lower >= w.group.maxSize) return false;
        w.setMaxSize(lower, "operator");
        faults.maxSizeLowered++;
        return true;
    });
    if (group() < 0.2) at(world, 30 + group() * 400, (w) => {
        const i = someLive(w);
        if (i === undefined) return false;
        healthReplacement(w, i.id);
        faults.healthReplacement++;
        return true;
    });
    if (group() < 0.1) at(world, 30 + group() * 400, (w) => {
        startInstanceRefresh(w);
        faults.instanceRefresh++;
        return true;
    });
    // A Spot drought of 5 to 40 minutes: every Spot launch fails until it ends.
    if (group() < 0.2) {
        const lasts = (5 + group() * 35) * 60_000;
        at(world, 30 + group() * 400, (w) => {
            spotDrought(w, lasts);
            faults.spotDrought++;
            return true;
        });
    }
    // One Spot pool (the first zone) runs dry and stays dry: the group launches Spot in the other zone.
    const pools = seededRandom(seed + 300_000);
    if (pools() < 0.15) at(world, 30 + pools() * 400, (w) => {
        w.drySpotPools.add(w.spotPools()[0]);
        faults.poolDrought++;
        return true;
    });
}

export async function runSoak(count = SOAK_SCENARIOS, hookHeartbeatSeconds = SOAK_HOOK_HEARTBEAT_SECONDS): Promise<SoakSummary> {
    const faults: Record<string, number> = {
        throttle: 0, serverError: 0, hang: 0, spotInterruption: 0, externalTermination: 0, stuckTask: 0, stuckTarget: 0, neverRegister: 0,
        rebalance: 0, maxSizeLowered: 0, healthReplacement: 0, instanceRefresh: 0, spotDrought: 0, poolDrought: 0,
        deadlock: 0, silentShort: 0, forgotten: 0, targeted: 0, badAmi: 0, agentLost: 0, agentsFlap: 0,
    };
    const summary: SoakSummary = { scenarios: 0, runs: 0, faults, tasksLost: 0, servicesShort: 0, shortIn: [], replacementsHeld: 0, invariantViolations: 0,
        unconverged: [], hookDrained: 0, hookTimeouts: 0, tasksOnTimedOut: 0, retainedFinished: 0, retainedLeft: 0,
        forecastRuns: 0, servicePredictions: 0, predictionsBroken: [], predictionsMet: 0, estimateRatios: [], badAmiRollouts: 0, badAmiPastFirstBatch: [],
        tasksHealed: 0, healedInFlap: 0 };
    for (let seed = 1; seed <= count; seed++) {
        const { world, runs, converged, forecasts, badAmi, pastFirstBatch } = await scenario(seed, faults, undefined, hookHeartbeatSeconds);
        if (badAmi) summary.badAmiRollouts++;
        if (pastFirstBatch !== undefined) summary.badAmiPastFirstBatch.push(pastFirstBatch);
        for (const f of forecasts) {
            summary.forecastRuns++;
            if (f.estimateSeconds > 0) {
                const ratio = f.actualSeconds / f.estimateSeconds;
                if (summary.estimateRatios.every((r) => Math.abs(r - 1) < Math.abs(ratio - 1))) summary.worstEstimate = `seed ${seed} run ${f.run}`;
                summary.estimateRatios.push(ratio);
            }
            for (const [service, predicted] of Object.entries(f.predicted)) {
                summary.servicePredictions++;
                if (f.ran[service] < predicted) summary.predictionsBroken.push(`seed ${seed} run ${f.run} ${service}: predicted ${predicted}, ran ${f.ran[service]}`);
                if (f.ran[service] === predicted) summary.predictionsMet++;
            }
        }
        const continued = new Set(world.events.filter((e) => e.actor === "scaler" && / for (i-\w+): CONTINUE$/.test(e.what)).map((e) => / for (i-\w+): CONTINUE$/.exec(e.what)![1]));
        summary.hookDrained += [...continued].filter((id) => world.instances.get(id)?.hookActor !== "scaler").length;
        summary.hookTimeouts += world.hookTimeouts.length;
        summary.tasksOnTimedOut += world.hookTimeouts.reduce((n, t) => n + t.tasks, 0);
        summary.retainedFinished += [...world.instances.values()].filter((i) => i.retainedAt !== undefined && i.asgState === "Terminated").length;
        summary.retainedLeft += [...world.instances.values()].filter((i) => i.asgState === "Retained").length;
        summary.scenarios++;
        summary.runs += runs;
        // Killed by the scaler or by the group's own terminations; Spot interruptions and an operator's
        // terminations are outside losses the scaler cannot prevent.
        // Tasks on an instance whose agent is disconnected cannot be drained: those ended by its replacement are counted apart.
        const healed = world.healedTasks().length;
        summary.tasksHealed += healed;
        summary.tasksLost += world.killedTasks("scaler").length + world.killedTasks("asg").length - healed;
        summary.healedInFlap += [...world.instances.values()].filter((i) => i.terminatedBy === "scaler" && i.container !== undefined
            && !i.container.agentConnected && flapping(world, i.terminatedAt!)).length;
        // Tasks ECS has not placed at all (tasks still starting or stopping at the end are on their way).
        const short = servicesShort(world);
        summary.servicesShort += short;
        if (short > 0) summary.shortIn.push(seed);
        summary.replacementsHeld += world.liveInstances().filter((i) => i.ltVersion !== world.group.launchTemplateVersion && heldJustly(world, i)).length;
        summary.invariantViolations += world.violations.length;
        if (!converged) summary.unconverged.push(seed);
    }
    return summary;
}

describe("soak: seeded random scenarios with faults", function () {
    this.timeout(600_000);
    let summary: SoakSummary;

    before(async () => {
        summary = await runSoak();
        console.log(`      soak: ${JSON.stringify({ ...summary, estimateRatios: undefined, estimateError: estimateError(summary) })}`);
    });

    it(`runs ${SOAK_SCENARIOS} scenarios and injects every kind of fault`, () => {
        assert.equal(summary.scenarios, SOAK_SCENARIOS);
        for (const [kind, n] of Object.entries(summary.faults)) assert.ok(n > 0, `${kind} was injected`);
    });

    it("loses no task and violates no invariant", () => {
        assert.equal(summary.tasksLost, 0);
        assert.equal(summary.invariantViolations, 0);
    });

    it("converges every scenario within four runs (five to go back from a bad AMI), every service at its desired count", () => {
        assert.deepEqual(summary.unconverged, [], "seeds that did not converge");
        assert.deepEqual(summary.shortIn, [], "seeds that ended with a service short");
    });

    it("replaces an instance whose agent stays disconnected, ending only its own tasks, and none while many agents disconnect at once", () => {
        assert.ok(summary.faults.agentLost > 0 && summary.faults.agentsFlap > 0, "agents were disconnected");
        assert.ok(summary.tasksHealed > 0, "tasks ended with instances replaced for their agent");
        assert.equal(summary.healedInFlap, 0, "instances replaced while half the cluster's agents were down at once");
    });

    it("stops every rollout onto a bad AMI within the batch in which its instances began to serve, and goes back, losing nothing", () => {
        assert.ok(summary.badAmiRollouts > 0, "bad AMIs were rolled");
        assert.deepEqual(summary.badAmiPastFirstBatch, [], "rollouts that replaced more than a batch of old instances after the bad version served");
    });

    it("holds every service's predicted lowest running count to what it ran: never above it", () => {
        assert.ok(summary.servicePredictions > 0, "predictions were made");
        assert.deepEqual(summary.predictionsBroken, [], "services that ran fewer tasks than the plan said they would");
        assert.ok(summary.predictionsMet > 0, "some predictions were reached exactly: the bound is not trivially low");
    });

    it("drains every termination the group starts in the scaler's own hook, none timing out, none left retained", () => {
        assert.ok(summary.hookDrained > 0, "group terminations went through the hook");
        assert.equal(summary.hookTimeouts, 0, "every instance in the hook was drained before its heartbeat timeout");
        assert.equal(summary.retainedLeft, 0, "every retained instance was drained and terminated");
    });

    it("matches the figures in docs/reliability.md", function () {
        if (SOAK_SCENARIOS !== DEFAULT_SCENARIOS) this.skip();
        const section = fs.readFileSync(path.join(__dirname, "../../docs/reliability.md"), "utf8");
        assert.ok(section.includes(`${summary.scenarios} seeded scenarios`), "scenario count");
        assert.ok(section.includes(`${summary.runs} scaler runs`), "run count");
        assert.ok(section.includes(`**Services left short: ${summary.servicesShort}**`) || section.includes(`**Services left short: ${summary.servicesShort}.**`), "services left short");
        assert.ok(section.includes(`**Replacements held: ${summary.replacementsHeld}.**`), "replacements held");
        for (const [kind, n] of Object.entries(summary.faults)) {
            assert.ok(section.includes(`| ${kind} | ${n} |`), `docs/reliability.md row for ${kind} ${n}`);
        }
        assert.ok(section.includes(`**Drained in the termination hook: ${summary.hookDrained}.**`), "hook drains");
        assert.ok(section.replace(/\s+/g, " ").includes(`${summary.tasksHealed} tasks ended with the instances replaced for a disconnected agent`),
            `tasks healed ${summary.tasksHealed}`);
        assert.ok(section.includes(`${summary.retainedFinished} instances retained after a drain that did not finish`), "retained after a drain timeout");
        const error = estimateError(summary);
        // The page wraps its lines: these phrases are matched with any white space between the words.
        const flat = section.replace(/\s+/g, " ");
        assert.ok(flat.includes(`In ${summary.forecastRuns} of the runs the plan drained`), `forecast runs ${summary.forecastRuns}`);
        assert.ok(flat.includes(`its ${summary.servicePredictions} predicted lowest running counts`), `predictions ${summary.servicePredictions}`);
        assert.ok(flat.includes(`0 above, ${summary.predictionsMet} reached exactly`), `met ${summary.predictionsMet}`);
        assert.ok(flat.includes(`off by a median of ${error.median}%, worst ${error.worst > 0 ? "+" : ""}${error.worst}% (${summary.worstEstimate})`),
            `estimate error ${JSON.stringify(error)} ${summary.worstEstimate}`);
    });
});

/** Seeds of the soak run again with no runner between the runs (see {@link STOPPED_RUNNER_HEARTBEAT_SECONDS}). */
export const STOPPED_RUNNER_SCENARIOS = 300;

describe("soak: the runner stopped between the runs", function () {
    this.timeout(600_000);
    let summary: SoakSummary;

    before(async () => {
        summary = await runSoak(STOPPED_RUNNER_SCENARIOS, STOPPED_RUNNER_HEARTBEAT_SECONDS);
        console.log(`      soak, runner stopped: ${JSON.stringify({ ...summary, faults: undefined, estimateRatios: undefined })}`);
    });

    it("times out in the hook and retains the instance with its tasks running: nothing lost, and the next run finishes it", () => {
        assert.ok(summary.hookTimeouts > 0, "the hook timed out");
        assert.ok(summary.tasksOnTimedOut > 0, "with tasks on the instances");
        assert.equal(summary.tasksLost, 0);
        assert.equal(summary.invariantViolations, 0);
        assert.equal(summary.retainedLeft, 0, "every retained instance was drained and terminated by a later run");
        assert.deepEqual(summary.unconverged, []);
    });

    it("matches the figures in docs/reliability.md", () => {
        const section = fs.readFileSync(path.join(__dirname, "../../docs/reliability.md"), "utf8");
        assert.ok(section.includes(`the hook timed out ${summary.hookTimeouts} times with ${summary.tasksOnTimedOut} tasks on the instances`),
            `hook timeouts ${summary.hookTimeouts}, tasks ${summary.tasksOnTimedOut}`);
        assert.ok(section.includes(`${summary.retainedFinished} retained instances drained and terminated by a later run`), "retained finished");
    });
});
