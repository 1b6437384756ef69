// Plain data that flows through one reconcile: what was observed, what is planned, what was done.
// Nothing here imports AWS or Pulumi; every value survives JSON.
import type { TaskNeeds } from "./placement";
import type { InstanceTypeFacts } from "./instanceTypes";
import type { InstanceRequirements } from "./settings";

export type Lifecycle = "spot" | "on-demand";

/**
 * Auto Scaling lifecycle states of instances that are, or are becoming, part of the group. An array:
 * the closure serializer that puts the provider into state does not carry a Set's contents.
 */
const LIVE_STATES = ["Pending", "Pending:Wait", "Pending:Proceed", "InService"];

/** Whether an instance in this Auto Scaling lifecycle state is, or is becoming, part of the group. */
export function isLiveState(asgState: string): boolean {
    return LIVE_STATES.includes(asgState);
}
/** A container instance as the cluster lists it, on the EC2 instance it runs on. */
interface ListedContainer {
    ec2InstanceId: string;
    status: string;
    agentConnected: boolean;
}

/** The container instances that are ACTIVE with a connected agent on a live instance of the group. */
export function activeContainers<C extends ListedContainer>(group: { instances: { instanceId: string; asgState: string }[] }, containers: C[]): C[] {
    const live = new Set(group.instances.filter((i) => isLiveState(i.asgState)).map((i) => i.instanceId));
    return containers.filter((c) => live.has(c.ec2InstanceId) && c.status === "ACTIVE" && c.agentConnected);
}

/** How many of {@link activeContainers} there are. */
export function activeCount(group: { instances: { instanceId: string; asgState: string }[] }, containers: ListedContainer[]): number {
    return activeContainers(group, containers).length;
}

export type EcsStatus = "ACTIVE" | "DRAINING" | "REGISTERING" | "DEREGISTERING" | "REGISTRATION_FAILED" | "INACTIVE";

export interface Resources {
    cpu: number;
    memory: number;
}

/**
 * Why the scaler set an instance DRAINING; stored on the container instance as an ECS attribute.
 * `hook`: the group is terminating it and the scaler's termination lifecycle hook holds it.
 */
export type DrainPurpose = "scale-in" | "replace" | "hook" | "heal";

/** The attribute the scaler puts on a container instance before draining it. */
export const DRAIN_MARK_ATTRIBUTE = "spot-ecs.drain";

/**
 * The drain mark's value: the purpose and when the drain began (epoch seconds), `replace@1765000000`,
 * so that a drain resumed by a later run keeps its timeout. Marks of earlier versions hold the purpose alone.
 */
export function drainMarkValue(purpose: DrainPurpose, sinceMs: number): string {
    return `${purpose}@${Math.floor(sinceMs / 1000)}`;
}

/** A drain mark's purpose and start (epoch ms, when it has one); undefined for a value that is not a mark. */
export function parseDrainMark(value: string | undefined): { purpose: DrainPurpose; sinceMs?: number } | undefined {
    const m = /^(scale-in|replace|hook|heal)(?:@(\d+))?$/.exec(value ?? "");
    return m === null ? undefined : { purpose: m[1] as DrainPurpose, ...(m[2] === undefined ? {} : { sinceMs: Number(m[2]) * 1000 }) };
}

export interface ContainerInstance {
    arn: string;
    status: EcsStatus;
    agentConnected: boolean;
    registered: Resources;
    remaining: Resources;
    runningTasks: number;
    pendingTasks: number;
    /** Set when the scaler itself drained this instance (from the drain attribute). */
    drainMark?: DrainPurpose;
    /** When the scaler began that drain (epoch ms), from the same attribute. */
    drainSince?: number;
    /** Host ports in use (`tcp:80`, `udp:53`), from the remaining PORTS and PORTS_UDP resources. */
    portsInUse?: string[];
    /** GPUs not taken by tasks. */
    freeGpus?: number;
    /** Attributes `memberOf` constraints read (`ecs.availability-zone`, custom attributes, …). */
    attributes?: Record<string, string>;
    /** Epoch ms the agent registered the instance in the cluster. */
    registeredAt?: number;
}

export interface ObservedInstance {
    instanceId: string;
    instanceType: string;
    lifecycle: Lifecycle;
    /** Auto Scaling lifecycle state: Pending, InService, Terminating, … */
    asgState: string;
    /** Epoch milliseconds the EC2 instance was launched, when known. */
    launchTime?: number;
    launchTemplateId?: string;
    launchTemplateVersion?: string;
    /** The ECS container instance on this EC2 instance; absent until the agent registers. */
    container?: ContainerInstance;
    /** A Spot instance whose interruption notice has been given (its request is marked for termination). */
    spotInterrupted?: boolean;
    /** EC2's facts about its instance type (DescribeInstanceTypes), read when the plan places awsvpc tasks or checks instanceRequirements. */
    typeFacts?: InstanceTypeFacts;
    /** Instance scale-in protection; false for instances launched before the group protected new ones. */
    protectedFromScaleIn?: boolean;
}

export interface ObservedTask {
    arn: string;
    containerInstanceArn: string;
    /** `service:<name>` for service tasks, `family:<name>` for standalone ones. */
    group: string;
    cpu: number;
    memory: number;
    /** Where ECS is taking the task: RUNNING (or PENDING) while it should run, STOPPED once it is being stopped. */
    desiredStatus: string;
    /** Where the task is: PENDING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED, … */
    lastStatus: string;
    /** What it needs of an instance besides CPU and memory (ports, ENI, GPUs, constraints), where known. */
    needs?: TaskNeeds;
    /** A task of a DAEMON service: it runs on every instance and never moves. */
    daemon?: boolean;
}

const SERVICE_GROUP = "service:";
const FAMILY_GROUP = "family:";

/** The task group ECS gives a task: `service:NAME` for a service's, `family:NAME` for a standalone one's. */
export function taskGroup(service: string | undefined, family: string): string {
    return service === undefined ? `${FAMILY_GROUP}${family}` : `${SERVICE_GROUP}${service}`;
}

/** The service of a task group `service:NAME`, or undefined for a standalone task's group. */
export function serviceOf(group: string): string | undefined {
    return group.startsWith(SERVICE_GROUP) ? group.slice(SERVICE_GROUP.length) : undefined;
}

/** Service names of tasks in groups `service:NAME`. */
export function serviceNames(groups: string[]): string[] {
    return [...new Set(groups.flatMap((g) => serviceOf(g) ?? []))];
}

/** The task id at the end of a task ARN. */
export function taskId(arn: string): string {
    return arn.slice(arn.lastIndexOf("/") + 1);
}

/** Whether ECS means the task to run (the container instance's task counters count only these). */
export function isMeantToRun(t: ObservedTask): boolean {
    return t.desiredStatus !== "STOPPED";
}

export interface Datapoint {
    /** Epoch milliseconds of the start of the minute. */
    time: number;
    value: number;
}

/**
 * The target version while the launch template is changing in this update: the engine does not know
 * the new version number in a preview, only that every instance now running is on an older one.
 */
export const NEW_VERSION = "(new)";

/**
 * The name of the termination lifecycle hook the component puts on the group: an instance the group
 * terminates waits in it (Terminating:Wait) until the scaler has drained it and completes the action.
 */
export const TERMINATION_HOOK_NAME = "spot-ecs-drain";

/** Auto Scaling's state of an instance waiting in a termination lifecycle hook. */
export const HOOK_WAIT_STATE = "Terminating:Wait";

/**
 * Auto Scaling's state of an instance kept after its termination hook ended in ABANDON (the group's
 * instance lifecycle policy retains it): it no longer counts toward desired capacity and stays until
 * TerminateInstanceInAutoScalingGroup.
 */
export const RETAINED_STATE = "Terminating:Retained";

/** A lifecycle hook on the group's terminations. */
export interface TerminationHook {
    name: string;
    /** What the group does when the hook times out: CONTINUE terminates, ABANDON terminates too and skips the other hooks. */
    defaultResult: "CONTINUE" | "ABANDON";
    heartbeatTimeoutSeconds: number;
}

/** A CloudWatch alarm's state, as DescribeAlarms gives it; `missing` when it does not exist. */
export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA" | "missing";

/** A rollout the guard alarms stopped, as recorded on the group: what it was rolling to, when, which alarm, after which batch. */
export interface RolloutHalt {
    /** The launch template version the rollout was replacing instances with. */
    version: string;
    /** Epoch ms it stopped. */
    at: number;
    alarm: string;
    /** `replace batch 2 of 5`. */
    after: string;
}

export interface Observed {
    /** Epoch milliseconds when the observation was made. */
    now: number;
    clusterName: string;
    autoScalingGroupName: string;
    /** The group's desired capacity as it is now. */
    desired: number;
    /** Bounds as declared (the group takes them in this update, before the scaler runs). */
    minSize: number;
    maxSize: number;
    /** The bounds the group holds now, where they were read. */
    groupBounds?: { minSize: number; maxSize: number };
    /** Instance types as declared; an instance of another type is replaced. Undefined: any type is current. */
    instanceTypes?: string[];
    /** Instance types by attribute as declared; an instance whose type's facts show it without them is replaced. */
    instanceRequirements?: InstanceRequirements;
    /** EC2's facts about the declared `instanceTypes`, read when no instance is registered and a scale-out must be sized without one. */
    declaredTypeFacts?: Record<string, InstanceTypeFacts>;
    /** The launch template version every instance should run. */
    target: { launchTemplateId: string; version: string };
    instances: ObservedInstance[];
    /** Running and pending tasks of the cluster; fetched only when a decision needs them. */
    tasks?: ObservedTask[];
    metrics: { cpu: Datapoint[]; memory: Datapoint[] };
    /** Epoch milliseconds of the newest Auto Scaling activity, if any. */
    lastScalingActivity?: number;
    /** ECS capacity providers with managed draining attached to this Auto Scaling group. */
    managedDrainingProviders: string[];
    /** The group's termination lifecycle hooks, when read: none means the group's own terminations are not held for a drain. */
    terminationHooks?: TerminationHook[];
    /** Desired capacity before a replacement surge that is still under way (kept in an ASG tag). */
    surgeBaseline?: number;
    /** Capacity Rebalancing on the group: it replaces Spot instances on rebalance recommendations. */
    capacityRebalance?: boolean;
    /** The group's On-Demand base capacity now, and the one the user declared. */
    onDemandBase?: number;
    declaredOnDemandBase?: number;
    /** The declared base recorded when the scaler fell back to On-Demand; set while the fallback is in force. */
    fallbackBaseline?: number;
    /** Recent launches that failed for lack of Spot capacity: first and last time, how many, the newest message. */
    spotFailures?: { first: number; last: number; count: number; code: string; message: string };
    /** The newest failed launch within the same window whose message names no Spot capacity code: shown, never a reason to fall back. */
    otherLaunchFailure?: { at: number; message: string };
    /** The state of each alarm of `draining.haltOnAlarms`, read when an instance is to be replaced. */
    guardAlarms?: Record<string, AlarmState>;
    /** A rollout the guard alarms stopped, while its record is on the group. */
    halted?: RolloutHalt;
    /** Services ECS cannot place tasks of (no instance has room, a port, an ENI…): unplaced tasks reserve nothing. */
    unplaced?: { name: string; missing: number; event: string; cpu?: number; memory?: number; oneEach?: boolean; awsvpc?: boolean }[];
}

/** An instance the plan drains; `decrement` says whether its termination lowers desired capacity. */
export interface Victim {
    instanceId: string;
    containerInstanceArn?: string;
    lifecycle: Lifecycle;
    tasks: number;
    decrement: boolean;
    reason: string;
}

/** An instance the group is terminating (or retained) that the scaler drains before letting it go. */
export interface HookVictim {
    instanceId: string;
    containerInstanceArn?: string;
    tasks: number;
    /** Retained after its hook ended in ABANDON: terminated by the scaler once empty, desired capacity unchanged. */
    retained: boolean;
    /** When the scaler began its drain (epoch ms), when an earlier run did. */
    drainSince?: number;
}

/** The hook victim of an instance, from its container instance when it has one (a drain the scaler began keeps its start). */
export function hookVictimOf(instanceId: string, c: Pick<ContainerInstance, "arn" | "runningTasks" | "pendingTasks" | "drainMark" | "drainSince"> | undefined,
    retained: boolean): HookVictim {
    return {
        instanceId,
        ...(c === undefined ? {} : { containerInstanceArn: c.arn }),
        tasks: c === undefined ? 0 : c.runningTasks + c.pendingTasks,
        retained,
        ...(c?.drainMark === "hook" && c.drainSince !== undefined ? { drainSince: c.drainSince } : {}),
    };
}

export type Action =
    | {
        kind: "set-desired";
        /** `keep`: desired capacity raised to the instances that must stay, their tasks fitting nowhere else. */
        cause: "scale-out" | "surge" | "keep";
        from: number;
        to: number;
        /** ACTIVE container instances to wait for after the change; 0 waits for none. */
        waitForActive: number;
        /** For a surge: the desired capacity to return to once replaced instances are gone. */
        baseline?: number;
        reason: string;
    }
    | {
        /** Protect instances from the group's own scale-in, so it can never pick a busy one. */
        kind: "protect";
        instanceIds: string[];
        reason: string;
    }
    | {
        kind: "undrain";
        instanceId: string;
        containerInstanceArn: string;
        reason: string;
    }
    | {
        kind: "drain";
        purpose: DrainPurpose;
        batch: number;
        batches: number;
        /** ACTIVE container instances, victims included, required before this batch starts. */
        waitForActive: number;
        victims: Victim[];
        /** True on the last batch of a replacement: the surge record is cleared after it. */
        endsSurge: boolean;
        reason: string;
    }
    | {
        /** Set the group's On-Demand base: fall back when Spot runs dry, restore after, or apply the declared value. */
        kind: "set-on-demand-base";
        from: number;
        to: number;
        /** `start`: record `baseline` (the declared base) first; `end`: clear the record after. */
        fallback?: "start" | "end";
        baseline?: number;
        reason: string;
    }
    | {
        /**
         * Drain the instances the group is terminating while the scaler's own termination hook holds them
         * (and those it retained), then let each go: CompleteLifecycleAction CONTINUE, or, for a retained
         * one, TerminateInstanceInAutoScalingGroup. It starts at once and is looked at until the run ends.
         */
        kind: "hook-drain";
        hook: string;
        /** The hook's heartbeat timeout: heartbeats go a third of it apart while the drains go on. */
        heartbeatSeconds: number;
        victims: HookVictim[];
        reason: string;
    }
    | {
        kind: "end-surge";
        baseline: number;
        reason: string;
    }
    | {
        /** Clear the group's record of a rollout the guard alarms stopped. */
        kind: "end-halt";
        version: string;
        reason: string;
    }
    | {
        /** Mark instances whose agent is disconnected with when that was first seen (the drain mark, purpose `heal`). */
        kind: "mark-disconnected";
        instances: { instanceId: string; containerInstanceArn: string }[];
        reason: string;
    }
    | {
        /** Record on the group that the guard alarms stopped a rollout: one in ALARM while instances of its version run. */
        kind: "halt";
        halt: RolloutHalt;
        reason: string;
    };

/** The ECS agent's stop timeout where neither the container definition nor ECS_CONTAINER_STOP_TIMEOUT sets one. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;

/**
 * What the scaler knows of a service whose tasks a plan moves: its counts and deployment configuration
 * (DescribeServices), the target groups of its load balancers and its task definition's stop timeout.
 */
export interface ServiceFacts {
    desired: number;
    running: number;
    daemon: boolean;
    /** `deploymentConfiguration.minimumHealthyPercent` (ECS's default for a replica service: 100). */
    minimumHealthyPercent: number;
    /** `deploymentConfiguration.maximumPercent` (ECS's default for a replica service: 200). */
    maximumPercent: number;
    /** The target groups of its load balancers: each task stopped spends their deregistration delay DEACTIVATING. */
    targetGroupArns: string[];
    /** The longest `stopTimeout` of its task definition's containers; 30 (the agent's default) where none is set. */
    stopTimeoutSeconds: number;
}

/** What a service is put through by the drains of a plan. */
export interface ServiceForecast {
    service: string;
    desired: number;
    running: number;
    minimumHealthyPercent: number;
    maximumPercent: number;
    /**
     * The fewest tasks it runs during the up, a lower bound by ECS's rules: ECS stops a task on a DRAINING
     * instance only while the service keeps its minimum healthy count, and a task that moved may land on
     * an instance of a later batch, so each batch may stop the tasks of the batches before it again.
     */
    lowest: number;
    /** The step of the up from which that bound holds (`replace batch 2 of 3`, `the hook's drains`). */
    lowestDuring: string;
    /** Its tasks on the instances of each step that holds some, now: the first ten such steps. */
    tasksBy: { step: string; tasks: number }[];
    /** Its tasks on all the instances the plan drains, now. */
    tasksDrained: number;
    /** ECS can neither stop one of its tasks first nor start one more: its tasks cannot move. */
    cannotMove: boolean;
}

/** A drain that cannot work as things stand, with the setting that would let it. */
export interface DrainBlocker {
    /** `service api`, `task job (standalone) on i-…`. */
    subject: string;
    problem: string;
    change: string;
}

/** A step of the up that takes time, with its estimate. */
export interface ForecastStep {
    /** `new instances (surge)`, `replace batch 1 of 2`, `the hook's drains` (these run alongside the others). */
    step: string;
    /** The instances it drains. */
    instanceIds: string[];
    seconds: number;
    /** What the estimate rests on. */
    why: string;
}

/** What the up will put the services through, and how long it should take; shown in the plan before anything drains. */
export interface Forecast {
    blockers: DrainBlocker[];
    services: ServiceForecast[];
    /** The steps that take time, in order, up to the first that fails. */
    steps: ForecastStep[];
    /** Estimated seconds from the start of the up to its end. */
    estimateSeconds: number;
    /** `draining.maxUpdateSeconds`, when the estimate is longer: the up stops there and a later run goes on. */
    maxUpdateSeconds?: number;
}

export interface Plan {
    actions: Action[];
    /** What the drains put each service through, and how long the up should take (set once the facts are read). */
    forecast?: Forecast;
    /**
     * The guard of a replacement by `draining.haltOnAlarms`: the alarms read after each batch's bake, the
     * version rolled to; `resumes` when it goes on with a rollout the alarms stopped before (the runner
     * leaves that to a `pulumi up`).
     */
    rollout?: { alarms: string[]; bakeSeconds: number; version: string; resumes: boolean };
    /**
     * The scaler's termination hook, when it is on the group: an instance the scaler terminates waits in
     * it too, and the scaler completes that lifecycle action as soon as it has asked for the termination.
     */
    terminationHook?: { name: string; heartbeatSeconds: number };
    /** Things the plan chose not to do, and why. */
    notes: string[];
}

/** What happened to one instance during a run. */
export type InstanceOutcome =
    | "terminated"
    | "undrained"
    | "gone"
    | "timed-out"
    | "draining"
    /** Not drained: a task on it may only run where no other ACTIVE instance is (memberOf). */
    | "held"
    /** Its termination hook was completed with ABANDON: its drain did not finish in time (the group retains or terminates it). */
    | "abandoned"
    /** Retained by the group after its hook ended in ABANDON, still with tasks: the next run looks again. */
    | "retained"
    | "failed";

export interface RunReport {
    startedAt: string;
    finishedAt: string;
    actions: { summary: string; outcome: "done" | "failed" | "skipped" }[];
    instances: Record<string, InstanceOutcome>;
    tasksStopped: string[];
    /** Seconds from DRAINING to termination, per terminated instance. */
    drainSeconds: Record<string, number>;
    /** Tasks on each instance when the scaler set it DRAINING. */
    tasksAtDrain: Record<string, number>;
    /** The scaler's metrics of this run, as published (empty when publishing failed or nothing was done). */
    metrics?: { name: string; value: number; unit: string }[];
    /** What the plan said the run would put the services through and take, against the seconds it took. */
    forecast?: Forecast & { actualSeconds: number };
    error?: string;
}
