// The simulated cluster: EC2 instances in an Auto Scaling group, ECS container instances, services
// and standalone tasks, target groups and the reservation metrics, advanced tick by tick on a
// virtual clock. It models what ECS and EC2 do that matters to draining, and records every action
// and every task's life so tests can check the invariants at every tick.
import { Datapoint, DRAIN_MARK_ATTRIBUTE, DrainPurpose, Lifecycle, Resources, taskGroup } from "../model";
import { awsvpcEnis, blockedBy, InstanceOffer, TaskNeeds } from "../placement";
import { VirtualClock } from "./clock";
import { advanceGroupEvents, GroupEvents } from "./groupEvents";
import { advanceTerminationHooks } from "./managedDraining";

/** A number in [0, 1) fixed by `id`, spread evenly over ids (FNV-1a, then mixed): per-instance variation without drawing from a shared generator. */
function spreadOf(id: string): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193) >>> 0;
    // Ids differ in their last characters only: mix every bit into the high ones (MurmurHash3's finalizer).
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

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

export const DEFAULT_TIMINGS: SimTimings = {
    bootSeconds: 90,
    deregistrationDelaySeconds: 300,
    taskStopSeconds: 30,
    taskStartSeconds: 15,
    spotNoticeSeconds: 120,
    tickSeconds: 1,
};

/** Registered CPU units and MiB of memory of the instance types the simulator knows. */
export const INSTANCE_SIZES: Record<string, Resources> = {
    "m6i.large": { cpu: 2048, memory: 7680 },
    "m6i.xlarge": { cpu: 4096, memory: 15616 },
    "m5.large": { cpu: 2048, memory: 7680 },
    "c6i.xlarge": { cpu: 4096, memory: 7680 },
    "m6i.2xlarge": { cpu: 8192, memory: 31488 },
    "g4dn.xlarge": { cpu: 4096, memory: 15704 },
};

/** GPUs of the GPU instance types the simulator knows (every other type has none). */
export const INSTANCE_GPUS: Record<string, number> = { "g4dn.xlarge": 1, "g5.xlarge": 1, "g4dn.12xlarge": 4 };

/** Availability zones of a simulated group unless its config names others. */
export const DEFAULT_ZONES = ["us-east-1a", "us-east-1b"];

export type Actor = "scaler" | "ecs" | "asg" | "spot" | "operator" | "agent";

export interface SimInstance {
    id: string;
    type: string;
    zone: string;
    lifecycle: Lifecycle;
    ltVersion: string;
    launchedAt: number;
    /** Seconds from launch until it is in service (and its agent registers). */
    bootSeconds: number;
    asgState: "Pending" | "InService" | "Terminating" | "Terminated";
    terminatedAt?: number;
    terminatedBy?: Actor;
    /** Epoch ms when a Spot interruption terminates it. */
    interruptAt?: number;
    neverRegisters?: boolean;
    /** Instance scale-in protection: the group never picks it in a scale-in of its own. */
    protectedFromScaleIn: boolean;
    /** Terminating:Wait in the managed-draining lifecycle hook since this time (epoch ms), started by `hookActor`. */
    hookStartedAt?: number;
    hookActor?: Actor;
    container?: SimContainer;
}

export interface SimContainer {
    arn: string;
    instanceId: string;
    status: "ACTIVE" | "DRAINING" | "INACTIVE";
    agentConnected: boolean;
    registered: Resources;
    attributes: Record<string, string>;
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

const MINUTE = 60_000;

export class SimWorld {
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
    managedDrainingProviders: string[] = [];
    /** When true, every tick appends a TickSample (for pictures and benchmarks). */
    sampling = false;
    /** Called after every tick; tests add their own invariant checks here. */
    readonly tickHooks: ((w: SimWorld) => void)[] = [];
    /** New instances never register with ECS (fault injection). */
    newInstancesNeverRegister = false;
    /** The agent sets DRAINING on a Spot interruption notice (ECS_ENABLE_SPOT_INSTANCE_DRAINING). */
    spotDraining = true;
    /** The group protects the instances it launches from scale-in (`protectFromScaleIn`). */
    protectNewInstances = false;
    /** Capacity Rebalancing on the group (only recorded: rebalance recommendations are injected by tests). */
    capacityRebalance = true;
    /**
     * An ECS capacity provider with managed draining is attached: every termination the group carries
     * out waits in ECS's lifecycle hook until the instance has no task left (at most 48 hours).
     */
    get managedDraining(): boolean {
        return this.managedDrainingProviders.length > 0;
    }
    /** Spot pools (`type/zone`) with no capacity: a Spot launch goes to another pool, and fails when every pool is dry. */
    readonly drySpotPools = new Set<string>();
    /** Whether any of the group's Spot pools has capacity; setting it dries up or refills every pool (a drought). */
    get spotAvailable(): boolean {
        return this.spotPools().some((pool) => !this.drySpotPools.has(pool));
    }
    set spotAvailable(available: boolean) {
        this.drySpotPools.clear();
        if (!available) for (const pool of this.spotPools()) this.drySpotPools.add(pool);
    }
    /** Every `type/zone` pool of the group. */
    spotPools(): string[] {
        return this.groupTypes().flatMap((t) => this.groupZones().map((z) => `${t}/${z}`));
    }
    private groupTypes(): string[] {
        return this.group.instanceTypes ?? [this.group.instanceType];
    }
    private groupZones(): string[] {
        return this.group.zones ?? DEFAULT_ZONES;
    }
    /** Launches that failed for lack of Spot capacity, as failed scaling activities. */
    readonly launchFailures: { at: number; code: string; message: string }[] = [];
    /** Seconds between the group's attempts to launch while launches fail. */
    static readonly LAUNCH_RETRY_SECONDS = 60;
    private lastFailedLaunch = -Infinity;
    /** Rebalance recommendations and instance refreshes under way (see groupEvents.ts). */
    readonly groupEvents: GroupEvents = { rebalancing: new Map(), refresh: undefined };
    unplaceable = 0;
    private seq = 0;

    constructor(group: GroupConfig, timings: Partial<SimTimings> = {}, startMs = Date.UTC(2026, 0, 1)) {
        this.timings = { ...DEFAULT_TIMINGS, ...timings };
        this.group = { ...group, tags: {} };
        this.clock = new VirtualClock(startMs, (t) => this.advanceTo(t));
        for (const arn of group.targetGroupArns) this.targetGroups.set(arn, new Map());
    }

    get now(): number {
        return this.clock.now();
    }

    log(actor: Actor, what: string): void {
        this.events.push({ at: this.now, actor, what });
    }

    private nextId(prefix: string): string {
        this.seq++;
        return `${prefix}${this.seq.toString(16).padStart(8, "0")}`;
    }

    // ---- setup -------------------------------------------------------------------------------

    /** Launches `count` instances that are already registered (the state before a scenario starts). */
    seedInstances(count: number, opts: { lifecycle?: Lifecycle; version?: string } = {}): SimInstance[] {
        const made: SimInstance[] = [];
        for (let i = 0; i < count; i++) {
            const inst = this.launch(opts.version ?? this.group.launchTemplateVersion, opts.lifecycle);
            this.register(inst);
            made.push(inst);
        }
        return made;
    }

    /**
     * Adds a service and places its tasks RUNNING at once (spread over ACTIVE instances). With
     * `fitOnly`, a service whose tasks do not all fit starts with those that do, as its desired count.
     */
    addService(spec: Omit<SimService, "externalDebt">, fitOnly = false): SimService {
        const service: SimService = { ...spec, externalDebt: 0 };
        this.services.set(service.name, service);
        if (service.daemon) {
            for (const inst of this.liveInstances()) {
                if (inst.container?.status !== "ACTIVE") continue;
                const task = this.place(inst.id, service.cpu, service.memory, service.name, service.name, service.needs);
                task.status = "RUNNING";
                task.runningAt = this.now;
            }
            return service;
        }
        for (let i = 0; i < service.desired; i++) {
            const host = this.placementFor(service.cpu, service.memory, service.name);
            if (host === undefined && fitOnly) {
                service.desired = i;
                break;
            }
            if (host === undefined) throw new Error(`no room to seed task ${i + 1} of service ${service.name}`);
            const task = this.place(host, service.cpu, service.memory, service.name, service.name, service.needs);
            task.status = "RUNNING";
            task.runningAt = this.now;
        }
        return service;
    }

    /**
     * Adds a service whose tasks start RUNNING spread evenly over the instances in turn, skipping those
     * without room: a quick way to seed a large cluster (placing each task by ECS's rules scans every
     * instance). Placement needs are not checked.
     */
    addServiceEvenly(spec: Omit<SimService, "externalDebt">): SimService {
        const service: SimService = { ...spec, externalDebt: 0 };
        this.services.set(service.name, service);
        const hosts = this.liveInstances().filter((i) => i.container?.status === "ACTIVE");
        for (let i = 0, tried = 0; i < service.desired; tried++) {
            if (tried >= hosts.length * (service.desired + 1)) throw new Error(`no room to seed task ${i + 1} of service ${service.name}`);
            const host = hosts[this.evenCursor++ % hosts.length];
            const r = this.reserved(host.id);
            if (r.cpu + service.cpu > host.container!.registered.cpu || r.memory + service.memory > host.container!.registered.memory) continue;
            const task = this.place(host.id, service.cpu, service.memory, service.name, service.name, service.needs);
            task.status = "RUNNING";
            task.runningAt = this.now;
            i++;
        }
        return service;
    }

    private evenCursor = 0;

    /** Starts a standalone task (RunTask) on a given instance or wherever it fits. */
    runTask(family: string, cpu: number, memory: number, instanceId?: string): SimTask {
        const host = instanceId ?? this.placementFor(cpu, memory, undefined);
        if (host === undefined) throw new Error(`no room for standalone task ${family}`);
        const task = this.place(host, cpu, memory, family, undefined);
        task.status = "RUNNING";
        task.runningAt = this.now;
        return task;
    }

    setServiceDesired(name: string, desired: number): void {
        const s = this.services.get(name)!;
        if (desired > s.desired) s.externalDebt += desired - s.desired;
        s.desired = desired;
    }

    // ---- EC2 and Auto Scaling ----------------------------------------------------------------

    /** What the group launches next: On-Demand until its On-Demand base is met, then Spot. */
    private nextLifecycle(): Lifecycle {
        const onDemand = [...this.instances.values()].filter((i) => i.asgState !== "Terminated" && i.lifecycle === "on-demand").length;
        return onDemand < this.group.onDemandBaseCapacity ? "on-demand" : "spot";
    }

    /**
     * Where the group launches next: the zone with the fewest live instances (the group balances its
     * zones), and there the first type in priority order; a Spot launch only into a pool with capacity.
     */
    private poolFor(lifecycle: Lifecycle): { type: string; zone: string } | undefined {
        const live = this.liveInstances();
        const zones = [...this.groupZones()].sort((a, b) => live.filter((i) => i.zone === a).length - live.filter((i) => i.zone === b).length);
        for (const zone of zones) {
            const type = this.groupTypes().find((t) => lifecycle === "on-demand" || !this.drySpotPools.has(`${t}/${zone}`));
            if (type !== undefined) return { type, zone };
        }
        return undefined;
    }

    launch(version: string = this.group.launchTemplateVersion, lifecycle?: Lifecycle): SimInstance {
        const kind: Lifecycle = lifecycle ?? this.nextLifecycle();
        // Setting up a scenario launches even into a dry pool.
        const pool = this.poolFor(kind) ?? this.poolFor("on-demand")!;
        const id = this.nextId("i-0");
        const inst: SimInstance = {
            id,
            type: pool.type,
            zone: pool.zone,
            lifecycle: kind,
            ltVersion: version,
            launchedAt: this.now,
            bootSeconds: this.timings.bootSeconds + Math.round(spreadOf(id) * (this.timings.bootSpreadSeconds ?? 0)),
            asgState: "Pending",
            neverRegisters: this.newInstancesNeverRegister,
            protectedFromScaleIn: this.protectNewInstances,
        };
        this.instances.set(inst.id, inst);
        this.activities.push(this.now);
        this.log("asg", `launch ${inst.id} (${inst.lifecycle}, v${version})`);
        return inst;
    }

    /**
     * The group's own launch: Spot unless the On-Demand base is not met yet. In a Spot drought the
     * launch fails as a scaling activity with EC2's error, and the group tries again a minute later.
     */
    tryLaunch(version: string = this.group.launchTemplateVersion): SimInstance | undefined {
        const lifecycle = this.nextLifecycle();
        if (lifecycle === "spot") {
            // The group tries the zone it balances into; when every pool there is dry the attempt fails as a
            // scaling activity and the group tries another zone (balanced best effort).
            const balanced = this.poolFor("on-demand")!;
            const zoneDry = this.groupTypes().every((t) => this.drySpotPools.has(`${t}/${balanced.zone}`));
            if (zoneDry && this.now - this.lastFailedLaunch >= SimWorld.LAUNCH_RETRY_SECONDS * 1000) {
                this.lastFailedLaunch = this.now;
                this.launchFailures.push({ at: this.now, code: "InsufficientInstanceCapacity", message: `Launching a new EC2 instance. Status Reason: `
                    + `We currently do not have sufficient ${balanced.type} capacity in the Availability Zone you requested (${balanced.zone}). `
                    + "Launching EC2 instance failed. InsufficientInstanceCapacity" });
                this.activities.push(this.now);
                this.log("asg", `Spot launch failed in ${balanced.zone}: InsufficientInstanceCapacity`);
            }
            if (this.poolFor("spot") === undefined) return undefined;
        }
        return this.launch(version, lifecycle);
    }

    private register(inst: SimInstance): void {
        inst.asgState = "InService";
        inst.container = {
            arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/sim/${inst.id.slice(2)}`,
            instanceId: inst.id,
            status: "ACTIVE",
            agentConnected: true,
            registered: { ...(INSTANCE_SIZES[inst.type] ?? INSTANCE_SIZES["m6i.large"]) },
            attributes: {},
        };
        for (const targets of this.targetGroups.values()) targets.set(inst.id, { state: "healthy" });
        this.log("agent", `${inst.id} registered ACTIVE`);
    }

    liveInstances(): SimInstance[] {
        return [...this.instances.values()].filter((i) => i.asgState === "Pending" || i.asgState === "InService");
    }

    /**
     * UpdateAutoScalingGroup with a MaxSize below the desired capacity: the group sets desired capacity
     * to the new maximum at once, an implicit scale-in by its termination policy.
     */
    setMaxSize(maxSize: number, actor: Actor): void {
        this.log(actor, `maxSize ${this.group.maxSize} → ${maxSize}`);
        this.group.maxSize = maxSize;
        if (this.group.desired > maxSize) {
            this.group.desired = maxSize;
            this.desiredActor = actor;
        }
    }

    setDesired(desired: number, actor: Actor): void {
        if (desired < this.group.minSize || desired > this.group.maxSize) {
            throw Object.assign(new Error(`New SetDesiredCapacity value ${desired} is outside the group's bounds `
                + `(min ${this.group.minSize}, max ${this.group.maxSize})`), { name: "ValidationError" });
        }
        this.log(actor, `desired ${this.group.desired} → ${desired}`);
        this.group.desired = desired;
        this.desiredActor = actor;
    }

    private desiredActor: Actor = "operator";

    /** SetInstanceProtection. */
    setInstanceProtection(ids: string[], protect: boolean, actor: Actor): void {
        for (const id of ids) {
            const inst = this.instances.get(id);
            if (inst === undefined || inst.asgState === "Terminated") {
                throw Object.assign(new Error(`The instance ${id} is not part of Auto Scaling group ${this.group.name}.`), { name: "ValidationError" });
            }
            inst.protectedFromScaleIn = protect;
        }
        this.log(actor, `${protect ? "protect" : "unprotect"} ${ids.join(", ")} from scale-in`);
    }

    /**
     * A termination the group carries out: with managed draining attached, the instance waits in
     * ECS's lifecycle hook (Terminating:Wait, DRAINING) until its tasks are gone; otherwise it goes now.
     */
    startTermination(inst: SimInstance, actor: Actor): void {
        if (!this.managedDraining) {
            this.terminate(inst, actor);
            return;
        }
        inst.asgState = "Terminating";
        inst.hookStartedAt = this.now;
        inst.hookActor = actor;
        if (inst.container?.status === "ACTIVE") inst.container.status = "DRAINING";
        this.activities.push(this.now);
        this.log(actor, `terminate ${inst.id}: waits in the managed-draining lifecycle hook`);
    }

    /** TerminateInstanceInAutoScalingGroup: not blocked by scale-in protection. */
    terminateInGroup(id: string, decrement: boolean, actor: Actor): void {
        const inst = this.instances.get(id);
        if (inst === undefined || inst.asgState === "Terminated" || inst.asgState === "Terminating") {
            throw Object.assign(new Error(`Instance Id not found - No managed instance found for instance ID: ${id}`), { name: "ValidationError" });
        }
        if (decrement) {
            if (this.group.desired - 1 < this.group.minSize) {
                throw Object.assign(new Error(`Currently, desiredSize equals minSize (${this.group.minSize}). Terminating instance without `
                    + "replacement will violate group's min size constraint."), { name: "ValidationError" });
            }
            this.group.desired -= 1;
        }
        this.startTermination(inst, actor);
    }

    /** Terminates an instance: its remaining tasks die with it. */
    terminate(inst: SimInstance, actor: Actor): void {
        const alive = this.tasksOn(inst.id);
        // With managed draining attached, the group's own terminations are drained too (until the 48-hour cap).
        if (actor === "asg" && this.managedDraining && alive.length > 0) {
            this.violation(`the group terminated ${inst.id} with ${alive.length} task(s) on it: ${alive.map((t) => t.family).join(", ")}`);
        }
        if (actor === "scaler") {
            if (alive.length > 0) this.violation(`scaler terminated ${inst.id} with ${alive.length} task(s) on it: ${alive.map((t) => t.family).join(", ")}`);
            for (const [arn, targets] of this.targetGroups) {
                if (targets.has(inst.id)) this.violation(`scaler terminated ${inst.id} while it was ${targets.get(inst.id)!.state} in ${arn}`);
            }
        }
        for (const t of alive) this.finishStop(t, "killed", actor);
        for (const s of new Set(alive.map((t) => t.service).filter((s): s is string => s !== undefined))) {
            if (actor !== "scaler") this.services.get(s)!.externalDebt += alive.filter((t) => t.service === s && t.status === "STOPPED").length;
        }
        inst.asgState = "Terminated";
        inst.terminatedAt = this.now;
        inst.terminatedBy = actor;
        inst.hookStartedAt = undefined;
        if (inst.container !== undefined) inst.container.status = "INACTIVE";
        for (const targets of this.targetGroups.values()) targets.delete(inst.id);
        this.activities.push(this.now);
        this.log(actor, `terminate ${inst.id}${alive.length > 0 ? ` killing ${alive.length} task(s)` : ""}`);
    }

    /** A Spot interruption notice: the agent drains at once; the instance is gone after the notice period. */
    interrupt(id: string): void {
        const inst = this.instances.get(id)!;
        // The group learns of it only when EC2 terminates the instance; until then it stays InService.
        inst.interruptAt = this.now + this.timings.spotNoticeSeconds * 1000;
        if (this.spotDraining && inst.container?.status === "ACTIVE") inst.container.status = "DRAINING";
        this.log("spot", `interruption notice for ${id}; terminating at +${this.timings.spotNoticeSeconds} s`);
    }

    // ---- ECS ---------------------------------------------------------------------------------

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

    private index(task: SimTask, add: boolean): void {
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

    private place(instanceId: string, cpu: number, memory: number, family: string, service?: string, needs?: TaskNeeds): SimTask {
        const task: SimTask = {
            arn: `arn:aws:ecs:us-east-1:123456789012:task/sim/${this.nextId("")}`,
            service, family, instanceId, cpu, memory, status: "PENDING", placedAt: this.now,
            ...(needs === undefined ? {} : { needs }),
        };
        this.tasks.set(task.arn, task);
        this.index(task, true);
        this.log("ecs", `place ${family} on ${instanceId}`);
        return task;
    }

    /** Host ports ECS reserves on every container instance (the agent's default ECS_RESERVED_PORTS). */
    static readonly RESERVED_PORTS = ["tcp:22", "tcp:2375", "tcp:2376", "tcp:51678", "tcp:51679"];

    /** What an instance offers a task besides CPU and memory, by the rules of placement.ts. */
    offerOf(instanceId: string): InstanceOffer {
        const inst = this.instances.get(instanceId)!;
        const tasks = this.tasksOn(instanceId);
        const enis = awsvpcEnis(inst.type);
        const custom = Object.entries(inst.container?.attributes ?? {}).filter(([name]) => name !== DRAIN_MARK_ATTRIBUTE);
        return {
            portsInUse: [...SimWorld.RESERVED_PORTS, ...tasks.flatMap((t) => t.needs?.hostPorts ?? [])],
            ...(enis === undefined ? {} : { freeEnis: enis - tasks.filter((t) => t.needs?.awsvpc).length }),
            freeGpus: (INSTANCE_GPUS[inst.type] ?? 0) - tasks.reduce((n, t) => n + (t.needs?.gpus ?? 0), 0),
            groups: [...new Set(tasks.map((t) => taskGroup(t.service, t.family)))],
            // The attributes the agent reports, and any the user put on the container instance.
            attributes: { "ecs.instance-type": inst.type, "ecs.availability-zone": inst.zone, ...Object.fromEntries(custom) },
        };
    }

    /** Why the last placement failed on the closest instance, in ECS's service event words. */
    private lastMiss: string | undefined;

    /** Spread placement: the ACTIVE instance with room and the fewest tasks of the service, by ECS's placement rules. */
    private placementFor(cpu: number, memory: number, service: string | undefined): string | undefined {
        let best: { id: string; count: number; free: number } | undefined;
        const needs = service === undefined ? undefined : this.services.get(service)?.needs;
        this.lastMiss = undefined;
        for (const inst of this.liveInstances()) {
            const c = inst.container;
            if (c === undefined || c.status !== "ACTIVE" || !c.agentConnected || inst.asgState !== "InService") continue;
            const r = this.reserved(inst.id);
            const free = { cpu: c.registered.cpu - r.cpu, memory: c.registered.memory - r.memory };
            if (free.cpu < cpu || free.memory < memory) {
                this.lastMiss = this.lastMiss ?? `The closest matching container-instance ${c.arn} has insufficient ${free.cpu < cpu ? "CPU" : "memory"} units available.`;
                continue;
            }
            const blocked = needs === undefined ? undefined : blockedBy(needs, this.offerOf(inst.id));
            if (blocked !== undefined) {
                this.lastMiss = blocked.startsWith("port")
                    ? `The closest matching container-instance ${c.arn} is already using a port required by your task.`
                    : `The closest matching container-instance ${c.arn} does not meet the requirements of your task (${blocked}).`;
                continue;
            }
            const count = service === undefined ? 0 : this.tasksOn(inst.id).filter((t) => t.service === service).length;
            if (best === undefined || count < best.count || (count === best.count && free.cpu > best.free)) {
                best = { id: inst.id, count, free: free.cpu };
            }
        }
        return best?.id;
    }

    /** Whether ECS means the task to run: the container instance's counters count only these. */
    static meantToRun(task: SimTask): boolean {
        return task.stopRequestedAt === undefined && (task.status === "PENDING" || task.status === "RUNNING");
    }

    /** StopTask, or a stop by the service scheduler: desired STOPPED now, STOPPED after its phases. */
    requestStop(task: SimTask, cause: StopCause, actor: Actor): void {
        if (task.stopRequestedAt !== undefined || task.status === "STOPPED") return;
        task.stopRequestedAt = this.now;
        task.stopCause = cause;
        task.stoppedBy = actor;
        if (task.status === "PENDING") {
            this.finishStop(task, cause, actor);
            return;
        }
        const service = task.service === undefined ? undefined : this.services.get(task.service);
        if (service?.loadBalanced) {
            task.status = "DEACTIVATING";
        } else {
            task.status = "STOPPING";
            task.stoppingAt = this.now;
        }
    }

    private finishStop(task: SimTask, cause: StopCause, actor: Actor): void {
        this.index(task, false);
        task.status = "STOPPED";
        task.stoppedAt = this.now;
        task.stopCause = task.stopCause ?? cause;
        task.stoppedBy = task.stoppedBy ?? actor;
        if (cause === "killed") {
            task.stopCause = "killed";
            task.stoppedBy = actor;
        }
    }

    /** Sets a container instance's status as UpdateContainerInstancesState does. */
    setContainerStatus(arn: string, status: "ACTIVE" | "DRAINING", actor: Actor): void {
        const c = this.containerByArn(arn);
        if (c === undefined || c.status === "INACTIVE") {
            throw Object.assign(new Error(`container instance ${arn} is not registered`), { name: "InvalidParameterException" });
        }
        c.status = status;
        this.log(actor, `${c.instanceId} ${status}`);
    }

    containerByArn(arn: string): SimContainer | undefined {
        for (const inst of this.instances.values()) if (inst.container?.arn === arn) return inst.container;
        return undefined;
    }

    /**
     * DeregisterContainerInstance without force: refused while a task ECS means to run is on it, as ECS
     * does. A task already being stopped does not stop the call, so deregistering then is our fault.
     */
    deregisterContainer(arn: string, actor: Actor): void {
        const c = this.containerByArn(arn);
        if (c === undefined || c.status === "INACTIVE") {
            throw Object.assign(new Error(`container instance ${arn} is not registered`), { name: "InvalidParameterException" });
        }
        const alive = this.tasksOn(c.instanceId);
        const running = alive.filter(SimWorld.meantToRun);
        if (running.length > 0) {
            this.log(actor, `deregister ${c.instanceId} refused: ${running.length} running task(s)`);
            throw Object.assign(new Error("Found running tasks on the instance."), { name: "InvalidParameterException" });
        }
        if (actor === "scaler" && alive.length > 0) {
            this.violation(`scaler deregistered the container instance of ${c.instanceId} while ${alive.length} task(s) were still `
                + `${alive.map((t) => t.status).join(", ")}`);
        }
        c.status = "INACTIVE";
        this.log(actor, `deregistered container instance of ${c.instanceId}`);
    }

    deregisterTarget(tg: string, instanceId: string, actor: Actor): void {
        const target = this.targetGroups.get(tg)?.get(instanceId);
        if (target === undefined || target.state === "draining") return;
        target.state = "draining";
        target.until = this.now + this.timings.deregistrationDelaySeconds * 1000;
        this.log(actor, `deregister ${instanceId} from ${tg}`);
    }

    /** RegisterTargets: the instance serves again (health checks are not modelled: healthy at once). */
    registerTarget(tg: string, instanceId: string, actor: Actor): void {
        const targets = this.targetGroups.get(tg);
        const inst = this.instances.get(instanceId);
        if (targets === undefined || inst === undefined || inst.asgState === "Terminated") return;
        targets.set(instanceId, { state: "healthy" });
        this.log(actor, `register ${instanceId} in ${tg}`);
    }

    private violation(what: string): void {
        this.violations.push(`${new Date(this.now).toISOString()} ${what}`);
    }

    // ---- time --------------------------------------------------------------------------------

    /**
     * Steps the world forward to `t` (epoch ms). Steps fall on a fixed grid of ticks, so minute
     * boundaries (metrics, alarms) are hit exactly whatever times the code under test sleeps to.
     */
    advanceTo(t: number): void {
        const tick = this.timings.tickSeconds * 1000;
        for (let next = (Math.floor(this.clock.nowMs / tick) + 1) * tick; next <= t; next += tick) {
            this.clock.nowMs = next;
            this.step();
        }
        this.clock.nowMs = t;
    }

    private step(): void {
        const now = this.now;
        for (const inst of this.instances.values()) {
            if (inst.asgState === "Pending" && now - inst.launchedAt >= inst.bootSeconds * 1000) {
                // The group sees the instance in service once it has booted, whether or not its agent registers.
                if (inst.neverRegisters) inst.asgState = "InService";
                else this.register(inst);
            }
            if (inst.interruptAt !== undefined && now >= inst.interruptAt && inst.asgState !== "Terminated") {
                this.terminate(inst, "spot");
            }
        }
        for (const task of this.liveTasks()) {
            if (task.status === "PENDING" && now - task.placedAt >= this.timings.taskStartSeconds * 1000) {
                task.status = "RUNNING";
                task.runningAt = now;
                const s = task.service === undefined ? undefined : this.services.get(task.service);
                if (s !== undefined && s.externalDebt > 0) s.externalDebt--;
            } else if (task.status === "DEACTIVATING" && now - task.stopRequestedAt! >= this.timings.deregistrationDelaySeconds * 1000) {
                task.status = "STOPPING";
                task.stoppingAt = now;
            } else if (task.status === "STOPPING" && !task.neverStops && now - task.stoppingAt! >= this.timings.taskStopSeconds * 1000) {
                this.finishStop(task, task.stopCause!, task.stoppedBy!);
            }
        }
        for (const targets of this.targetGroups.values()) {
            for (const [id, target] of targets) {
                if (target.state === "draining" && !target.stuck && now >= target.until!) targets.delete(id);
            }
        }
        advanceTerminationHooks(this);
        advanceGroupEvents(this);
        this.reconcileGroup();
        this.schedule();
        if (now % MINUTE === 0) this.publishMetrics();
        this.checkServices();
        if (this.sampling) this.sample();
        for (const hook of this.tickHooks) hook(this);
    }

    private reconcileGroup(): void {
        // An instance a rebalance recommendation is replacing does not count: its replacement does.
        const replaced = new Set(this.groupEvents.rebalancing.values());
        const live = this.liveInstances().filter((i) => !replaced.has(i.id));
        for (let n = live.length; n < this.group.desired; n++) {
            if (this.tryLaunch() === undefined) break;
        }
        if (live.length > this.group.desired) {
            // The group's own scale-in: oldest launch template version first, then oldest instance;
            // instances protected from scale-in are never picked (the group stays above desired).
            const extra = live.filter((i) => !i.protectedFromScaleIn)
                .sort((a, b) => Number(a.ltVersion) - Number(b.ltVersion) || a.launchedAt - b.launchedAt)
                .slice(0, live.length - this.group.desired);
            for (const inst of extra) this.startTermination(inst, this.desiredActor === "scaler" ? "scaler" : "asg");
        }
    }

    /** The ECS service scheduler: replace tasks of DRAINING instances within min healthy / max percent. */
    private schedule(): void {
        this.unplaceable = 0;
        for (const s of this.services.values()) {
            if (s.daemon) {
                this.scheduleDaemon(s);
                continue;
            }
            const live = this.serviceTasks(s.name);
            const onDraining = (t: SimTask) => this.instances.get(t.instanceId)?.container?.status !== "ACTIVE";
            const minHealthy = Math.ceil(s.desired * s.minHealthyPercent / 100);
            const maxTotal = Math.floor(s.desired * s.maxPercent / 100);
            // Tasks still stopping count against maximumPercent until they are STOPPED, as in ECS.
            let counted = live.length;
            let healthy = live.filter((t) => t.status === "RUNNING").length;
            let settled = live.filter((t) => (t.status === "RUNNING" || t.status === "PENDING") && !onDraining(t)).length;

            // Pending tasks on draining instances stop at once.
            for (const t of live.filter((x) => x.status === "PENDING" && onDraining(x))) {
                this.requestStop(t, "drain", "ecs");
                counted--;
            }
            // Start replacements and missing tasks while under maximumPercent.
            while (settled < s.desired && counted < maxTotal) {
                const host = this.placementFor(s.cpu, s.memory, s.name);
                if (host === undefined) {
                    this.unplaceable += s.desired - settled;
                    s.lastEvent = `(service ${s.name}) was unable to place a task because no container instance met all of its requirements. `
                        + (this.lastMiss ?? "No container instances were found in your cluster.");
                    break;
                }
                this.place(host, s.cpu, s.memory, s.name, s.name, s.needs);
                settled++;
                counted++;
            }
            if (settled >= s.desired) s.lastEvent = undefined;
            // Stop tasks on draining instances while min healthy allows.
            for (const t of live.filter((x) => x.status === "RUNNING" && onDraining(x))) {
                if (healthy - 1 < minHealthy) break;
                this.requestStop(t, "drain", "ecs");
                healthy--;
            }
            // Scale a service down: stop the newest tasks beyond desired.
            const extra = settled - s.desired;
            if (extra > 0) {
                const stoppable = live.filter((t) => (t.status === "RUNNING" || t.status === "PENDING") && !onDraining(t))
                    .sort((a, b) => b.placedAt - a.placedAt).slice(0, extra);
                for (const t of stoppable) this.requestStop(t, "scale-down", "ecs");
            }
        }
    }

    /** A DAEMON service: a task on every ACTIVE instance; on a DRAINING one, stopped once only daemon tasks are left. */
    private scheduleDaemon(s: SimService): void {
        for (const inst of this.liveInstances()) {
            const c = inst.container;
            if (c === undefined || inst.asgState !== "InService") continue;
            const tasks = this.tasksOn(inst.id);
            const own = tasks.filter((t) => t.service === s.name && SimWorld.meantToRun(t));
            if (c.status === "ACTIVE" && own.length === 0) {
                this.place(inst.id, s.cpu, s.memory, s.name, s.name, s.needs);
            } else if (c.status !== "ACTIVE" && tasks.every((t) => this.services.get(t.service ?? "")?.daemon)) {
                for (const t of own) this.requestStop(t, "drain", "ecs");
            }
        }
    }

    private publishMetrics(): void {
        let regCpu = 0;
        let regMem = 0;
        let resCpu = 0;
        let resMem = 0;
        for (const inst of this.instances.values()) {
            const c = inst.container;
            if (c === undefined || (c.status !== "ACTIVE" && c.status !== "DRAINING")) continue;
            regCpu += c.registered.cpu;
            regMem += c.registered.memory;
            const r = this.reserved(inst.id);
            resCpu += r.cpu;
            resMem += r.memory;
        }
        if (regCpu === 0) return;
        const time = this.now - MINUTE;
        this.metrics.cpu.push({ time, value: Math.round(resCpu / regCpu * 1000) / 10 });
        this.metrics.memory.push({ time, value: Math.round(resMem / regMem * 1000) / 10 });
    }

    /** No service may fall below its min healthy count for reasons other than outside losses. */
    private checkServices(): void {
        for (const s of this.services.values()) {
            if (s.daemon) continue;
            const running = this.serviceTasks(s.name).filter((t) => t.status === "RUNNING").length;
            const required = Math.ceil(s.desired * s.minHealthyPercent / 100);
            if (running + s.externalDebt < required) {
                this.violation(`service ${s.name} has ${running} running task(s), below its min healthy ${required}`);
            }
        }
    }

    private sample(): void {
        let launching = 0;
        let active = 0;
        let draining = 0;
        for (const inst of this.liveInstances()) {
            if (inst.container === undefined) launching++;
            else if (inst.container.status === "ACTIVE") active++;
            else if (inst.container.status === "DRAINING") draining++;
        }
        const runningTasks = this.liveTasks().filter((t) => t.status === "RUNNING").length;
        this.samples.push({ at: this.now, instances: { launching, active, draining }, runningTasks, unplaceable: this.unplaceable });
    }

    // ---- reading -----------------------------------------------------------------------------

    /** Tasks stopped by killing (their instance terminated under them), grouped by who did it. */
    killedTasks(actor?: Actor): SimTask[] {
        return [...this.tasks.values()].filter((t) => t.stopCause === "killed" && (actor === undefined || t.stoppedBy === actor));
    }

    drainMarkOf(c: SimContainer): DrainPurpose | undefined {
        const v = c.attributes["spot-ecs.drain"];
        return v === "scale-in" || v === "replace" ? v : undefined;
    }
}
