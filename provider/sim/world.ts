// The simulated cluster: EC2 instances in an Auto Scaling group, ECS container instances, services
// and standalone tasks, target groups and the reservation metrics, advanced tick by tick on a
// virtual clock. Each service's rules live in a file of its own (ecs.ts, ecsServices.ts,
// autoScaling.ts, ec2.ts, elb.ts, cloudWatch.ts, lifecycleHooks.ts, groupEvents.ts) over the shared
// state of state.ts; this file steps them in order and gives tests one object to drive. It records
// every action and every task's life so tests can check the invariants at every tick.
import { Lifecycle } from "../model";
import { InstanceOffer } from "../placement";
import { launch, LAUNCH_RETRY_SECONDS, reconcileGroup, seedInstances, setDesired, setInstanceProtection, setMaxSize, spotPools, startTermination,
    terminate, terminateInGroup, tryLaunch, advanceInstances } from "./autoScaling";
import { evaluateAlarms, publishReservation } from "./cloudWatch";
import { interrupt } from "./ec2";
import { advanceTasks, deregisterContainer, offerOf, requestStop, RESERVED_PORTS, setContainerStatus } from "./ecs";
import { addService, addServiceEvenly, checkServices, runTask, schedule, setServiceDesired } from "./ecsServices";
import { advanceTargets, deregisterTarget, registerTarget } from "./elb";
import { advanceGroupEvents } from "./groupEvents";
import { advanceTerminationHooks } from "./lifecycleHooks";
import { Actor, GroupConfig, meantToRun, MINUTE, SimInstance, SimService, SimState, SimTask, SimTimings, StopCause } from "./state";

export * from "./state";

export class SimWorld extends SimState {
    /** Host ports ECS reserves on every container instance. */
    static readonly RESERVED_PORTS = RESERVED_PORTS;
    /** Seconds between the group's attempts to launch while launches fail. */
    static readonly LAUNCH_RETRY_SECONDS = LAUNCH_RETRY_SECONDS;
    /** Called after every tick; tests add their own invariant checks here. */
    readonly tickHooks: ((w: SimWorld) => void)[] = [];

    constructor(group: GroupConfig, timings: Partial<SimTimings> = {}, startMs = Date.UTC(2026, 0, 1)) {
        super(group, timings, startMs);
    }

    /** Whether ECS means the task to run: the container instance's counters count only these. */
    static meantToRun(task: SimTask): boolean {
        return meantToRun(task);
    }

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
        return spotPools(this);
    }

    // ---- setup (see ecsServices.ts and autoScaling.ts) ---------------------------------------

    /** Launches `count` instances that are already registered (the state before a scenario starts). */
    seedInstances(count: number, opts: { lifecycle?: Lifecycle; version?: string } = {}): SimInstance[] {
        return seedInstances(this, count, opts);
    }

    addService(spec: Omit<SimService, "externalDebt">, fitOnly = false): SimService {
        return addService(this, spec, fitOnly);
    }

    addServiceEvenly(spec: Omit<SimService, "externalDebt">): SimService {
        return addServiceEvenly(this, spec);
    }

    /** The ECS agent of an instance disconnects (or, with `connected`, connects again): its tasks go on, untouched by ECS. */
    setAgentConnected(instanceId: string, connected: boolean): void {
        const c = this.instances.get(instanceId)?.container;
        if (c === undefined) return;
        c.agentConnected = connected;
        this.log("agent", `${instanceId} agent ${connected ? "connected" : "disconnected"}`);
    }

    /** Tasks that ended with an instance the scaler replaced for its disconnected agent. */
    healedTasks(): SimTask[] {
        return [...this.tasks.values()].filter((t) => t.healed === true);
    }

    runTask(family: string, cpu: number, memory: number, instanceId?: string): SimTask {
        return runTask(this, family, cpu, memory, instanceId);
    }

    setServiceDesired(name: string, desired: number): void {
        setServiceDesired(this, name, desired);
    }

    // ---- EC2 and Auto Scaling (see autoScaling.ts and ec2.ts) --------------------------------

    launch(version: string = this.group.launchTemplateVersion, lifecycle?: Lifecycle): SimInstance {
        return launch(this, version, lifecycle);
    }

    tryLaunch(version: string = this.group.launchTemplateVersion): SimInstance | undefined {
        return tryLaunch(this, version);
    }

    setMaxSize(maxSize: number, actor: Actor): void {
        setMaxSize(this, maxSize, actor);
    }

    setDesired(desired: number, actor: Actor): void {
        setDesired(this, desired, actor);
    }

    setInstanceProtection(ids: string[], protect: boolean, actor: Actor): void {
        setInstanceProtection(this, ids, protect, actor);
    }

    startTermination(inst: SimInstance, actor: Actor): void {
        startTermination(this, inst, actor);
    }

    terminateInGroup(id: string, decrement: boolean, actor: Actor): void {
        terminateInGroup(this, id, decrement, actor);
    }

    terminate(inst: SimInstance, actor: Actor): void {
        terminate(this, inst, actor);
    }

    interrupt(id: string): void {
        interrupt(this, id);
    }

    // ---- ECS and ELB (see ecs.ts and elb.ts) -------------------------------------------------

    offerOf(instanceId: string): InstanceOffer {
        return offerOf(this, instanceId);
    }

    requestStop(task: SimTask, cause: StopCause, actor: Actor): void {
        requestStop(this, task, cause, actor);
    }

    setContainerStatus(arn: string, status: "ACTIVE" | "DRAINING", actor: Actor): void {
        setContainerStatus(this, arn, status, actor);
    }

    deregisterContainer(arn: string, actor: Actor): void {
        deregisterContainer(this, arn, actor);
    }

    deregisterTarget(tg: string, instanceId: string, actor: Actor): void {
        deregisterTarget(this, tg, instanceId, actor);
    }

    registerTarget(tg: string, instanceId: string, actor: Actor): void {
        registerTarget(this, tg, instanceId, actor);
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

    /** One tick: instances, tasks and targets move on, the group and ECS act, metrics and invariants are taken. */
    private step(): void {
        advanceInstances(this);
        advanceTasks(this);
        advanceTargets(this);
        advanceTerminationHooks(this);
        advanceGroupEvents(this);
        reconcileGroup(this);
        schedule(this);
        if (this.now % MINUTE === 0) {
            publishReservation(this);
            evaluateAlarms(this);
        }
        checkServices(this);
        if (this.sampling) this.sample();
        for (const hook of this.tickHooks) hook(this);
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
}
