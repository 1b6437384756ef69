// The simulated world's shared state: every type the simulated services share, and the data they read
// and change (the group, its instances, container instances and tasks with their indexes, services,
// target groups, metrics, the event log and the invariant violations), on a virtual clock. What each
// service does with it lives in a file named after the service (ecs.ts, ecsServices.ts,
// autoScaling.ts, ec2.ts, elb.ts, cloudWatch.ts, lifecycleHooks.ts, groupEvents.ts); world.ts steps them.
import { Datapoint, DRAIN_MARK_ATTRIBUTE, DrainPurpose, Lifecycle, parseDrainMark, Resources, TerminationHook } from "../model";
import { TaskNeeds } from "../placement";
import { InstanceRequirements } from "../settings";
import { SIM_TYPE_FACTS } from "./instanceTypeFacts";
import { VirtualClock } from "./clock";
import type { Wire } from "./network";

export interface SimTimings {
    /** Seconds from launch until the agent registers the instance ACTIVE. */
    bootSeconds: number;
    /**
     * Up to this many seconds more, different for each instance (spread evenly, from its id): boot and
     * agent registration do not take the same time on every instance. @default 0
     */
    bootSpreadSeconds?: number;
    /** Seconds a deregistered target stays `draining`. */
    deregistrationDelaySeconds: number;
    /** Seconds a task spends STOPPING (SIGTERM, then the container stop timeout) before it is STOPPED. */
    taskStopSeconds: number;
    /** Seconds from placement until a task is RUNNING. */
    taskStartSeconds: number;
    /** Seconds between a Spot interruption notice and the instance's termination. */
    spotNoticeSeconds: number;
    /** Length of one simulation step. */
    tickSeconds: number;
}

/**
 * What the agent registers of an instance type: the figures above where the simulator has them, else
 * 1024 CPU units per vCPU and 95% of the memory (about what the agent and the OS keep back on the
 * types above) from EC2's facts; an m6i.large for a type the simulator does not know.
 */
export function registeredSize(type: string): Resources {
    const known = INSTANCE_SIZES[type];
    if (known !== undefined) return { ...known };
    const facts = SIM_TYPE_FACTS[type];
    return facts === undefined ? { ...INSTANCE_SIZES["m6i.large"] } : { cpu: facts.vcpus * 1024, memory: Math.floor(facts.memoryMiB * 0.95) };
}

export const DEFAULT_TIMINGS: SimTimings = {
    bootSeconds: 90,
    deregistrationDelaySeconds: 300,
    taskStopSeconds: 30,
    taskStartSeconds: 15,
    spotNoticeSeconds: 120,
    tickSeconds: 1,
};

/**
 * What the ECS agent registers of the instance types the simulator runs: 1024 CPU units per vCPU of
 * EC2's facts (instanceTypeFacts.ts), and the memory less what the agent and the OS keep back.
 */
export const INSTANCE_SIZES: Record<string, Resources> = {
    "m6i.large": { cpu: 2048, memory: 7680 },
    "m6i.xlarge": { cpu: 4096, memory: 15616 },
    "m5.large": { cpu: 2048, memory: 7680 },
    "c6i.xlarge": { cpu: 4096, memory: 7680 },
    "m6i.2xlarge": { cpu: 8192, memory: 31488 },
    "g4dn.xlarge": { cpu: 4096, memory: 15704 },
};

/** Availability zones of a simulated group unless its config names others. */
export const DEFAULT_ZONES = ["us-east-1a", "us-east-1b"];

export type Actor = "scaler" | "ecs" | "asg" | "spot" | "operator" | "agent" | "cloudwatch";

export interface SimInstance {
    id: string;
    type: string;
    zone: string;
    lifecycle: Lifecycle;
    ltVersion: string;
    launchedAt: number;
    /** Seconds from launch until it is in service (and its agent registers). */
    bootSeconds: number;
    /** `Terminating`: waiting in the group's termination hooks (Terminating:Wait); `Retained`: Terminating:Retained. */
    asgState: "Pending" | "InService" | "Terminating" | "Retained" | "Terminated";
    terminatedAt?: number;
    terminatedBy?: Actor;
    /** Epoch ms when a Spot interruption terminates it. */
    interruptAt?: number;
    neverRegisters?: boolean;
    /** Instance scale-in protection: the group never picks it in a scale-in of its own. */
    protectedFromScaleIn: boolean;
    /** Terminating:Wait in the group's termination hooks since this time (epoch ms), started by `hookActor`. */
    hookStartedAt?: number;
    hookActor?: Actor;
    /** The hooks still holding it (lifecycleHooks.ts). */
    pendingHooks?: string[];
    /** Its last heartbeat in the scaler's hook (or the start of its wait). */
    hookBeatAt?: number;
    /** Waiting in a hook after a termination that left desired capacity as it was: it still counts toward it. */
    holdsDesired?: boolean;
    /** When the group retained it (Terminating:Retained). */
    retainedAt?: number;
    /** Terminated after its termination hook ended in ABANDON without retention: its tasks died with it, on the group's own default result. */
    abandoned?: boolean;
    container?: SimContainer;
}

export interface SimContainer {
    arn: string;
    instanceId: string;
    status: "ACTIVE" | "DRAINING" | "INACTIVE";
    agentConnected: boolean;
    registered: Resources;
    attributes: Record<string, string>;
    /** When the agent registered it (epoch ms). */
    registeredAt?: number;
}

/**
 * A task's last status. A stop request sets its desired status to STOPPED at once; a task of a
 * load-balanced service then spends the deregistration delay DEACTIVATING (ECS removes its own
 * targets), every task then spends the stop timeout STOPPING, and only then is it STOPPED.
 */
export type TaskStatus = "PENDING" | "RUNNING" | "DEACTIVATING" | "STOPPING" | "STOPPED";
export type StopCause = "drain" | "scale-down" | "stop-task" | "killed";

export interface SimTask {
    arn: string;
    service?: string;
    family: string;
    instanceId: string;
    cpu: number;
    memory: number;
    status: TaskStatus;
    placedAt: number;
    runningAt?: number;
    /** When its desired status became STOPPED. */
    stopRequestedAt?: number;
    /** When it entered STOPPING (after DEACTIVATING, if it had that phase). */
    stoppingAt?: number;
    stoppedAt?: number;
    stopCause?: StopCause;
    stoppedBy?: Actor;
    /** A task that ignores stop requests (fault injection). */
    neverStops?: boolean;
    /** Ended with its instance when the scaler replaced it for a disconnected agent. */
    healed?: boolean;
    /** What it needs of an instance besides CPU and memory (its service's). */
    needs?: TaskNeeds;
}

export interface SimService {
    name: string;
    desired: number;
    cpu: number;
    memory: number;
    minHealthyPercent: number;
    maxPercent: number;
    /** Its tasks are registered in a load balancer: each stop deactivates them for the deregistration delay first. */
    loadBalanced?: boolean;
    /** What its tasks need of an instance besides CPU and memory: host ports, an ENI, constraints. */
    needs?: TaskNeeds;
    /** DAEMON scheduling: one task on every ACTIVE instance (`desired` is ignored); stopped last on a DRAINING one. */
    daemon?: boolean;
    /** The newest service event saying why a task could not be placed, as ECS words it. */
    lastEvent?: string;
    /** Tasks lost to causes outside the scaler that ECS has not yet replaced. */
    externalDebt: number;
}

/**
 * A CloudWatch alarm. `bad-version`: ALARM once, `evaluationMinutes` minutes in a row, a RUNNING
 * service task sat on an instance of one of the world's bad versions (a service's error rate on a bad
 * AMI); OK again once a minute passes without one. Without a rule, its state is what a test sets.
 */
export interface SimAlarm {
    state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
    rule?: "bad-version";
    evaluationMinutes?: number;
    /** Minutes in a row the rule's condition held, at the last evaluation. */
    breaching?: number;
}

export interface SimTarget {
    state: "healthy" | "draining";
    until?: number;
    stuck?: boolean;
}

export interface SimEvent {
    at: number;
    actor: Actor;
    what: string;
}

export interface GroupConfig {
    name: string;
    desired: number;
    minSize: number;
    maxSize: number;
    launchTemplateId: string;
    launchTemplateVersion: string;
    instanceType: string;
    /** Instance types of the mixed instances policy, in priority order. @default [instanceType] */
    instanceTypes?: string[];
    /** Instance types by attribute instead: the group launches the types the simulator knows that have them. */
    instanceRequirements?: InstanceRequirements;
    /** The group's availability zones. @default DEFAULT_ZONES */
    zones?: string[];
    onDemandBaseCapacity: number;
    targetGroupArns: string[];
}

export interface TickSample {
    at: number;
    instances: { launching: number; active: number; draining: number };
    runningTasks: number;
    unplaceable: number;
}

export const MINUTE = 60_000;

/** ECS's hook while a capacity provider with managed draining is attached (its heartbeat as users report it: 3600 s, CONTINUE). */
export const ECS_HOOK: TerminationHook = { name: "ecs-managed-draining-termination-hook", defaultResult: "CONTINUE", heartbeatTimeoutSeconds: 3600 };

/** Rebalance recommendations and instance refreshes under way (see groupEvents.ts). */
export interface GroupEvents {
    /** Replacement instance → the instance a rebalance recommendation is replacing. */
    rebalancing: Map<string, string>;
    /**
     * Instances an instance refresh has yet to replace, the one it is replacing now, what it does with
     * instances protected from scale-in, and since when it has waited for one.
     */
    refresh: { queue: string[]; current?: string; protectedInstances: "Wait" | "Ignore" | "Refresh"; waitingSince?: number } | undefined;
}

/**
 * One request to the simulated AWS, as the simulated Cloud sends it: counted, maybe failed by a
 * fault, charged the AWS requests `aws` says (default: one `op`) on the network model, then `body`.
 */
export type SimCall = <T>(op: string, body: () => T, aws?: () => Wire) => Promise<T>;

/** Whether ECS means the task to run: the container instance's counters count only these. */
export function meantToRun(task: SimTask): boolean {
    return task.stopRequestedAt === undefined && (task.status === "PENDING" || task.status === "RUNNING");
}

export class SimState {
    readonly clock: VirtualClock;
    readonly timings: SimTimings;
    readonly group: GroupConfig & { tags: Record<string, string> };
    readonly instances = new Map<string, SimInstance>();
    /** Every task ever placed, stopped ones included, by ARN. */
    readonly tasks = new Map<string, SimTask>();
    /** Tasks not yet STOPPED, overall, per instance and per service. */
    private readonly live = new Set<SimTask>();
    private readonly liveByInstance = new Map<string, Set<SimTask>>();
    private readonly liveByService = new Map<string, Set<SimTask>>();
    readonly services = new Map<string, SimService>();
    readonly targetGroups = new Map<string, Map<string, SimTarget>>();
    readonly metrics: { cpu: Datapoint[]; memory: Datapoint[] } = { cpu: [], memory: [] };
    readonly events: SimEvent[] = [];
    readonly violations: string[] = [];
    readonly activities: number[] = [];
    readonly samples: TickSample[] = [];
    /** The scaler's PutMetricData requests, in order. */
    readonly published: { at: number; metrics: { name: string; value: number; unit: string }[] }[] = [];
    /** CloudWatch alarms, by name (see {@link SimAlarm}). */
    readonly alarms = new Map<string, SimAlarm>();
    /** Launch template versions whose instances make a service fail (a bad AMI): a `bad-version` alarm watches them. */
    readonly badVersions = new Set<string>();
    managedDrainingProviders: string[] = [];
    /** The scaler's termination lifecycle hook on the group, as the component puts it there; none when undefined. */
    ownHook: TerminationHook | undefined;
    /** The group's instance lifecycle policy retains an instance whose termination hook ends in ABANDON. */
    retainOnAbandon = false;
    /** Each time the scaler's hook timed out and its default result applied: the instance, when, the result and the tasks still on it. */
    readonly hookTimeouts: { instanceId: string; at: number; result: "CONTINUE" | "ABANDON"; tasks: number }[] = [];
    /** When true, every tick appends a TickSample (for pictures and benchmarks). */
    sampling = false;
    /** New instances never register with ECS (fault injection). */
    newInstancesNeverRegister = false;
    /** The agent sets DRAINING on a Spot interruption notice (ECS_ENABLE_SPOT_INSTANCE_DRAINING). */
    spotDraining = true;
    /** The group protects the instances it launches from scale-in (`protectFromScaleIn`). */
    protectNewInstances = false;
    /** Capacity Rebalancing on the group (only recorded: rebalance recommendations are injected by tests). */
    capacityRebalance = true;
    /** Spot pools (`type/zone`) with no capacity: a Spot launch goes to another pool, and fails when every pool is dry. */
    readonly drySpotPools = new Set<string>();
    /** Launches that failed for lack of Spot capacity, as failed scaling activities. */
    readonly launchFailures: { at: number; code: string; message: string }[] = [];
    /** When the group last failed to launch (autoScaling.ts retries a minute later). */
    lastFailedLaunch = -Infinity;
    /** Who last set desired capacity: the group's own scale-in that follows is theirs. */
    desiredActor: Actor = "operator";
    /** Rebalance recommendations and instance refreshes under way (see groupEvents.ts). */
    readonly groupEvents: GroupEvents = { rebalancing: new Map(), refresh: undefined };
    /** Tasks the service scheduler could not place in the last tick. */
    unplaceable = 0;
    /** Why the last placement failed on the closest instance, in ECS's service event words. */
    lastMiss: string | undefined;
    /** Where seeding a service evenly places its next task. */
    evenCursor = 0;
    private seq = 0;

    constructor(group: GroupConfig, timings: Partial<SimTimings>, startMs: number) {
        this.timings = { ...DEFAULT_TIMINGS, ...timings };
        this.group = { ...group, tags: {} };
        this.clock = new VirtualClock(startMs, (t) => this.advanceTo(t));
        for (const arn of group.targetGroupArns) this.targetGroups.set(arn, new Map());
    }

    get now(): number {
        return this.clock.now();
    }

    /** Moves the world forward to `t` (epoch ms); the world steps every service on the way (world.ts). */
    advanceTo(t: number): void {
        this.clock.nowMs = t;
    }

    /**
     * An ECS capacity provider with managed draining is attached: every termination the group carries
     * out waits in ECS's lifecycle hook until the instance has no task left (at most 48 hours).
     */
    get managedDraining(): boolean {
        return this.managedDrainingProviders.length > 0;
    }

    /**
     * The group's termination lifecycle hooks: ECS's managed-draining hook while a capacity provider
     * with managed draining is attached, and the scaler's own (lifecycleHooks.ts).
     */
    terminationHooks(): TerminationHook[] {
        return [...(this.managedDraining ? [ECS_HOOK] : []), ...(this.ownHook === undefined ? [] : [this.ownHook])];
    }

    log(actor: Actor, what: string): void {
        this.events.push({ at: this.now, actor, what });
    }

    violation(what: string): void {
        this.violations.push(`${new Date(this.now).toISOString()} ${what}`);
    }

    nextId(prefix: string): string {
        this.seq++;
        return `${prefix}${this.seq.toString(16).padStart(8, "0")}`;
    }

    liveInstances(): SimInstance[] {
        return [...this.instances.values()].filter((i) => i.asgState === "Pending" || i.asgState === "InService");
    }

    /** Tasks on an instance that are not STOPPED. */
    tasksOn(instanceId: string): SimTask[] {
        return [...(this.liveByInstance.get(instanceId) ?? [])];
    }

    /** Tasks of a service that are not STOPPED. */
    serviceTasks(name: string): SimTask[] {
        return [...(this.liveByService.get(name) ?? [])];
    }

    /** Every task that is not STOPPED. */
    liveTasks(): SimTask[] {
        return [...this.live];
    }

    reserved(instanceId: string): Resources {
        let cpu = 0;
        let memory = 0;
        for (const t of this.liveByInstance.get(instanceId) ?? []) {
            cpu += t.cpu;
            memory += t.memory;
        }
        return { cpu, memory };
    }

    /** Adds a task to (or removes it from) the indexes of tasks not yet STOPPED. */
    index(task: SimTask, add: boolean): void {
        const sets = [this.live, this.setOf(this.liveByInstance, task.instanceId)];
        if (task.service !== undefined) sets.push(this.setOf(this.liveByService, task.service));
        for (const set of sets) {
            if (add) set.add(task);
            else set.delete(task);
        }
    }

    private setOf(map: Map<string, Set<SimTask>>, key: string): Set<SimTask> {
        let set = map.get(key);
        if (set === undefined) {
            set = new Set();
            map.set(key, set);
        }
        return set;
    }

    containerByArn(arn: string): SimContainer | undefined {
        for (const inst of this.instances.values()) if (inst.container?.arn === arn) return inst.container;
        return undefined;
    }

    /** Tasks stopped by killing (their instance terminated under them), grouped by who did it. */
    killedTasks(actor?: Actor): SimTask[] {
        return [...this.tasks.values()].filter((t) => t.stopCause === "killed" && (actor === undefined || t.stoppedBy === actor));
    }

    drainMarkOf(c: SimContainer): DrainPurpose | undefined {
        return parseDrainMark(c.attributes[DRAIN_MARK_ATTRIBUTE])?.purpose;
    }
}
