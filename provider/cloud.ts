// The Cloud port: the few operations the scaler needs. Two implementations: AWS (SDK v3) and the
// simulated cluster. Every method re-reads or changes live state; only task definitions, which never
// change once registered, are read once per Cloud (one run).
import { AlarmState, ContainerInstance, Datapoint, DrainPurpose, Lifecycle, ObservedTask, RolloutHalt, ServiceFacts, TerminationHook } from "./model";
import { InstanceTypeFacts } from "./instanceTypes";
export type { TerminationHook } from "./model";

export interface GroupInstance {
    instanceId: string;
    instanceType: string;
    asgState: string;
    launchTemplateId?: string;
    launchTemplateVersion?: string;
    /** Instance scale-in protection: the group will not pick it when it scales in by itself. */
    protectedFromScaleIn?: boolean;
}

export interface GroupState {
    name: string;
    desired: number;
    minSize: number;
    maxSize: number;
    instances: GroupInstance[];
    targetGroupArns: string[];
    /** Desired capacity before a replacement surge still under way, from the group's surge tag. */
    surgeBaseline?: number;
    /** Capacity Rebalancing: the group replaces Spot instances on a rebalance recommendation. */
    capacityRebalance?: boolean;
    /** The mixed instances policy's On-Demand base capacity. */
    onDemandBase?: number;
    /** The On-Demand base the user declared, kept in a group tag while a fallback to On-Demand is in force. */
    fallbackBaseline?: number;
    /** A rollout the guard alarms stopped, from the group's halt tag. */
    halted?: RolloutHalt;
}

/** A launch the group could not make (a failed scaling activity): for lack of Spot capacity when `code` is set. */
export interface LaunchFailure {
    /** Epoch ms the activity started. */
    at: number;
    /** The EC2 error code in its message (InsufficientInstanceCapacity, UnfulfillableCapacity, …), or undefined when it names none of them. */
    code?: string;
    message: string;
}

/** EC2 error codes of launches that failed for lack of Spot capacity or price. */
export const SPOT_CAPACITY_CODES = ["InsufficientInstanceCapacity", "UnfulfillableCapacity", "InsufficientCapacity",
    "SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded"];

/** What a failed launch's message says when the code itself is missing (the message is free text). */
const SPOT_CAPACITY_PHRASES: [RegExp, string][] = [[/no spot capacity available/i, "InsufficientInstanceCapacity"]];

/**
 * The Spot capacity code a failed scaling activity's message names, or undefined when it names none.
 * The message is free text (only EC2's error codes are documented): the codes are matched as words,
 * in any case, and a known phrase stands for its code.
 */
export function spotCapacityCode(message: string): string | undefined {
    const words = new Set(message.toLowerCase().split(/[^a-z]+/));
    return SPOT_CAPACITY_CODES.find((c) => words.has(c.toLowerCase())) ?? SPOT_CAPACITY_PHRASES.find(([re]) => re.test(message))?.[1];
}

/** Tag on the Auto Scaling group holding the declared On-Demand base while a fallback is in force. */
export const FALLBACK_TAG = "spot-ecs:on-demand-base";

export interface InstanceFacts {
    lifecycle: Lifecycle;
    launchTime?: number;
}

export interface ClusterContainerInstance extends ContainerInstance {
    ec2InstanceId: string;
}

/** A target's state in one target group; undefined when the instance is not registered there. */
export type TargetState = "initial" | "healthy" | "unhealthy" | "unused" | "draining" | "unavailable";

export interface TargetGroupInfo {
    /** `instance`, `ip`, `lambda` or `alb`; the scaler owns targets only in `instance` groups. */
    targetType: string;
    /** The port targets are registered at when none is given: the one the Auto Scaling group uses. */
    port?: number;
    deregistrationDelaySeconds: number;
}

export interface ServiceHealth {
    desired: number;
    running: number;
    /** DAEMON scheduling: its count follows the instances, so it is never short the way a replica service is. */
    daemon: boolean;
    /** The newest service event (ECS says there why it cannot place a task). */
    event?: string;
}

export interface UnplacedService {
    name: string;
    /** Tasks short of the desired count (desired − running − pending). */
    missing: number;
    event: string;
    /** What one task reserves, from its task definition, when it was read. */
    cpu?: number;
    memory?: number;
    /** Each task needs an instance of its own (a static host port, `distinctInstance`). */
    oneEach?: boolean;
    /** Each task takes an elastic network interface of its instance (awsvpc). */
    awsvpc?: boolean;
}

export type ContainerInstanceStatus = "ACTIVE" | "DRAINING";

/** What a service event says when ECS cannot place a task of the service (service-event-messages-list). */
export const UNPLACEABLE_EVENT = "was unable to place a task";

/** Tag on the Auto Scaling group holding the desired capacity to return to after a surge. */
export const SURGE_TAG = "spot-ecs:surge-baseline";

/** Tag on the Auto Scaling group recording a rollout the guard alarms stopped (see {@link haltTagValue}). */
export const HALT_TAG = "spot-ecs:rollout-halted";

/** The halt tag's value: `v4 at 1765000000 after replace batch 2 of 5 by web-5xx`, within a tag value's 256 characters. */
export function haltTagValue(h: RolloutHalt): string {
    return `v${h.version} at ${Math.floor(h.at / 1000)} after ${h.after} by ${h.alarm}`.slice(0, 256);
}

/** The halt a tag value records, or undefined for a value that is not one. */
export function parseHaltTag(value: string | undefined): RolloutHalt | undefined {
    const m = /^v(\d+) at (\d+) after (.+?) by (.+)$/.exec(value ?? "");
    return m === null ? undefined : { version: m[1], at: Number(m[2]) * 1000, after: m[3], alarm: m[4] };
}

export interface Cloud {
    /**
     * How many answers (responses or errors) AWS has given this Cloud so far, to any of its calls: a call
     * that pages on is not a call that hangs.
     */
    answered?(): number;
    describeGroup(): Promise<GroupState>;
    /** Spot or On-Demand, and launch time (epoch ms), of each instance. */
    describeInstances(instanceIds: string[]): Promise<Record<string, InstanceFacts>>;
    /** EC2's facts about each instance type (DescribeInstanceTypes); a type EC2 does not know is left out. */
    instanceTypeFacts(types: string[]): Promise<Record<string, InstanceTypeFacts>>;
    listContainerInstances(): Promise<ClusterContainerInstance[]>;
    describeContainerInstances(arns: string[]): Promise<ClusterContainerInstance[]>;
    /** Every running or pending task of the cluster, with its size and placement. */
    listTasks(): Promise<ObservedTask[]>;
    /**
     * Every task on one container instance that has not reached STOPPED, whatever its desired
     * status: tasks ECS is still deactivating or stopping count here but not in the instance's counters.
     */
    listTasksOn(containerInstanceArn: string, withNeeds?: boolean): Promise<ObservedTask[]>;
    /**
     * The tasks ECS is still stopping (desired status STOPPED, not yet STOPPED) on each of these
     * container instances: what the instances' counters leave out. One list per instance, or one list
     * of the cluster's stopping and recently stopped tasks when that takes fewer requests.
     */
    stoppingTasks(containerInstanceArns: string[]): Promise<Record<string, ObservedTask[]>>;
    /** CPUReservation and MemoryReservation, 1-minute averages between `startMs` and `endMs`, in one request. */
    reservationMetrics(startMs: number, endMs: number): Promise<{ cpu: Datapoint[]; memory: Datapoint[] }>;
    lastScalingActivity(): Promise<number | undefined>;
    managedDrainingProviders(): Promise<string[]>;
    /** The group's termination lifecycle hooks (`autoscaling:EC2_INSTANCE_TERMINATING`): what holds an instance the group terminates on its own. */
    terminationHooks(): Promise<TerminationHook[]>;
    /** The state of each instance's target at `port` (the target group's own port: the one the group registers). */
    targetStates(targetGroupArn: string, instanceIds: string[], port?: number): Promise<Record<string, TargetState | undefined>>;
    /** Each target group's target type, port and deregistration delay. */
    targetGroups(targetGroupArns: string[]): Promise<Record<string, TargetGroupInfo>>;
    /** Desired and running task counts of services, with the newest service event; services ECS does not know are left out. */
    serviceHealth(serviceNames: string[]): Promise<Record<string, ServiceHealth>>;
    /**
     * What the plan's forecast needs of services: counts, deployment configuration, load balancers' target
     * groups and the task definition's stop timeout; services ECS does not know are left out.
     */
    serviceFacts(serviceNames: string[]): Promise<Record<string, ServiceFacts>>;
    /** Services of the cluster short of tasks that ECS says it cannot place, with that event. */
    unplacedServices(): Promise<UnplacedService[]>;
    /** The state of each CloudWatch alarm named (up to 100), metric or composite; `missing` for one that does not exist. */
    alarmStates(alarmNames: string[]): Promise<Record<string, AlarmState>>;
    /** Records (or, with undefined, clears) a rollout the guard alarms stopped, on the group. */
    recordHalt(halt: RolloutHalt | undefined): Promise<void>;
    /** Launches that failed since `sinceMs`, newest first; those for lack of Spot capacity carry its code. */
    spotLaunchFailures(sinceMs: number): Promise<LaunchFailure[]>;
    /** Spot instances among `instanceIds` whose interruption notice has been given. */
    spotInterruptions(instanceIds: string[]): Promise<string[]>;

    setDesiredCapacity(desired: number): Promise<void>;
    /** Protects (or unprotects) instances from the group's own scale-in; the scaler's terminations are not blocked by it. */
    setInstanceProtection(instanceIds: string[], protect: boolean): Promise<void>;
    /** Sets the mixed instances policy's On-Demand base capacity. */
    setOnDemandBase(base: number): Promise<void>;
    /** Records (or, with undefined, clears) the declared On-Demand base during a fallback. */
    recordFallback(baseline: number | undefined): Promise<void>;
    /** Records (or, with undefined, clears) the pre-surge desired capacity on the group. */
    recordSurge(baseline: number | undefined): Promise<void>;
    /** Marks the instances as drained by the scaler for `purpose`, the drain beginning at `sinceMs`. */
    markDrain(containerInstanceArns: string[], purpose: DrainPurpose, sinceMs: number): Promise<void>;
    clearDrainMark(containerInstanceArns: string[]): Promise<void>;
    setContainerInstanceState(containerInstanceArns: string[], status: ContainerInstanceStatus): Promise<void>;
    deregisterTargets(targetGroupArn: string, instanceIds: string[], port?: number): Promise<void>;
    registerTargets(targetGroupArn: string, instanceIds: string[], port?: number): Promise<void>;
    stopTask(taskArn: string, reason: string): Promise<void>;
    deregisterContainerInstance(containerInstanceArn: string): Promise<void>;
    terminateInstance(instanceId: string, decrementDesired: boolean): Promise<void>;
    /** RecordLifecycleActionHeartbeat: the instance waits in `hook` for another heartbeat timeout. */
    recordHookHeartbeat(instanceId: string, hook: string): Promise<void>;
    /** CompleteLifecycleAction: CONTINUE lets the termination go on; ABANDON ends it as the group's instance lifecycle policy says (terminated or retained). */
    completeHookAction(instanceId: string, hook: string, result: "CONTINUE" | "ABANDON"): Promise<void>;
    /** Publishes the scaler's metrics for the cluster in one request. */
    publishMetrics(metrics: { name: string; value: number; unit: "Count" | "Seconds" }[]): Promise<void>;
}

/** Which cluster and group a Cloud acts on. */
export interface CloudTarget {
    region: string;
    clusterName: string;
    autoScalingGroupName: string;
}

/** Time, waiting, randomness and output, passed in so the simulator's virtual clock drives the same code. */
export interface Deps {
    now(): number;
    /** Resolves after `ms`; resolves early, without error, when `signal` aborts. */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
    /** A number in [0, 1). */
    random(): number;
    log(line: string): void;
}

/** Deps on the real clock, for production. */
export function realDeps(log: (line: string) => void): Deps {
    return {
        now: () => Date.now(),
        sleep: (ms, signal) => new Promise<void>((resolve) => {
            if (signal?.aborted) return resolve();
            let timer: ReturnType<typeof setTimeout> | undefined;
            function onAbort(): void {
                clearTimeout(timer);
                resolve();
            }
            timer = setTimeout(() => {
                signal?.removeEventListener("abort", onAbort);
                resolve();
            }, ms);
            signal?.addEventListener("abort", onAbort, { once: true });
        }),
        random: () => Math.random(),
        log,
    };
}
