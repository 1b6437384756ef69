import * as pulumi from "@pulumi/pulumi";
import { AcceleratorType, CpuManufacturer, Inclusion, InstanceGeneration, InstanceRequirements, MinMax, OptionalMinMax } from "../provider/settings";
import { DEFAULT_DRAINING, DEFAULT_HOOK_HEARTBEAT_SECONDS, DEFAULT_SCALING, DrainingPolicy, HOOK_HEARTBEAT_RANGE, MaintenancePolicy, RUNNER_ACTIONS, RunnerAction,
    ScalingPolicy,
    scheduleMinutes, STANDALONE_TASK_POLICIES, StandaloneTaskPolicy } from "../provider/settings";

/** ECS-optimized AMI families the component can resolve from AWS's public SSM parameters. */
export const AmiFamily = { Al2023: "al2023", Al2023Arm64: "al2023-arm64", Al2023Gpu: "al2023-gpu", Al2: "al2", Al2Arm64: "al2-arm64" } as const;
export type AmiFamily = (typeof AmiFamily)[keyof typeof AmiFamily];
export const AMI_FAMILIES: readonly AmiFamily[] = Object.values(AmiFamily);

/** Spot allocation strategies accepted by EC2 Auto Scaling. */
export const SpotAllocationStrategy = { PriceCapacityOptimized: "price-capacity-optimized", CapacityOptimized: "capacity-optimized", CapacityOptimizedPrioritized: "capacity-optimized-prioritized", LowestPrice: "lowest-price" } as const;
export type SpotAllocationStrategy = (typeof SpotAllocationStrategy)[keyof typeof SpotAllocationStrategy];
export const SPOT_ALLOCATION_STRATEGIES: readonly SpotAllocationStrategy[] = Object.values(SpotAllocationStrategy);

/**
 * Instance types by their attributes: each setting of {@link InstanceRequirements}, documented there
 * with its range and default. `vcpuCount` and `memoryMiB` are required.
 */
export interface InstanceRequirementsArgs extends InstanceRequirements {}

export { AcceleratorType, CpuManufacturer, Inclusion, InstanceGeneration, MinMax, OptionalMinMax };
export { DrainingPolicy, MaintenancePolicy, RUNNER_ACTIONS, RunnerAction, ScalingPolicy, STANDALONE_TASK_POLICIES, StandaloneTaskPolicy };

/**
 * When the scaler scales out, scales in, and what counts as sustained: each setting of the scaler's
 * {@link ScalingPolicy}, documented there with its range and default, and optional here.
 */
export interface ScalingArgs extends Partial<ScalingPolicy> {}

/**
 * How instances are drained when they are scaled in or replaced: each setting of the scaler's
 * {@link DrainingPolicy}, documented there with its range and default, and optional here.
 */
export interface DrainingArgs extends Partial<DrainingPolicy> {}

/**
 * Keeping the fleet fresh: each setting of the scaler's {@link MaintenancePolicy}, documented there
 * with its range and default, and optional here.
 */
export interface MaintenanceArgs extends MaintenancePolicy {}

/**
 * The runner: the scaler's own reconcile in a Lambda function the component creates, run on a schedule
 * between deploys, with the settings the last `pulumi up` deployed.
 */
export interface RunnerArgs {
    /** How often it runs: an EventBridge rate expression, singular for 1 (`rate(1 minute)`, `rate(5 minutes)`). @default "rate(1 minute)" */
    schedule?: string;
    /** What it may do: `scale-out`, `scale-in` (and the excess above maxSize), `spot` (On-Demand fallback and back), `replace` (toward the version the last up deployed, and instances that never registered). @default all four */
    actions?: RunnerAction[];
    /** Seconds one invocation may run (its Lambda timeout); each step stops 30 s before. Range 60-900. @default 300 */
    timeoutSeconds?: number;
    /** Days its log group keeps logs: one of CloudWatch Logs' retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, …, 3653). @default 30 */
    logRetentionDays?: number;
    /** Memory (MiB) of its function. Range 256-10240. @default 512 */
    memoryMiB?: number;
    /** Puts the scaler's own termination lifecycle hook on the group, so that every termination the group starts on its own waits until the runner has drained the instance (an instance lifecycle policy retains one whose drain does not finish). @default true */
    terminationHook?: boolean;
    /** Seconds an instance waits in that hook after the runner's last heartbeat before it is retained. Range 30-7200. @default 300, or three runner periods when longer */
    hookHeartbeatSeconds?: number;
}

/**
 * Every argument of a {@link SpotEcsCluster} but `runner`: the arguments the TypeScript component and
 * the `spot-ecs` package for other languages share.
 */
export interface SpotEcsClusterCommonArgs {
    /** Name of the ECS cluster to create; 1-255 letters, digits, `-` and `_`. Give this or `existingClusterName`. @default the component's name, each other character replaced by `-`, cut to 255 */
    clusterName?: string;
    /** Name of an existing ECS cluster the instances join instead of a new one. @default none (a cluster is created) */
    existingClusterName?: pulumi.Input<string>;
    /** Turns on CloudWatch Container Insights for a created cluster. @default true */
    containerInsights?: boolean;

    /** VPC for the security group created when `securityGroupIds` is omitted. @default none (required without `securityGroupIds`) */
    vpcId?: pulumi.Input<string>;
    /** Subnets the Auto Scaling group launches into; at least one. */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups of the instances. @default one created in `vpcId`, egress only, no ingress */
    securityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;

    /** EC2 instance types in `family.size` form (e.g. `m6i.large`), in order of preference; 1-40 of them. Give this or `instanceRequirements`. @default none */
    instanceTypes?: string[];
    /** Instance types by their attributes (vCPUs, memory, manufacturers, generations, …), passed to the group as Auto Scaling's `InstanceRequirements`: the widest choice of Spot pools. Give this or `instanceTypes`. @default none (see {@link InstanceRequirementsArgs}) */
    instanceRequirements?: InstanceRequirementsArgs;
    /** Fewest instances in the group. Range 0-1000. */
    minSize: number;
    /** Most instances in the group; room above the current size is what replacements surge into. Range 1-1000. */
    maxSize: number;
    /** Instances launched at creation; later the scaler owns it and Pulumi ignores changes. @default minSize */
    desiredCapacity?: number;

    /** On-Demand instances always kept before any Spot instance; at most `maxSize`. Range 0-1000. @default 0 */
    onDemandBaseCapacity?: number;
    /** Share (percent) of On-Demand instances above the base capacity. Range 0-100. @default 0 */
    onDemandPercentageAboveBaseCapacity?: number;
    /** How EC2 picks Spot pools. @default "price-capacity-optimized" */
    spotAllocationStrategy?: SpotAllocationStrategy;
    /** Lets the Auto Scaling group replace Spot instances at elevated risk of interruption. @default true */
    capacityRebalance?: boolean;
    /** Creates an ECS capacity provider with managed instance draining for the group, so terminations the group starts on its own are drained (associated with a created cluster only). @default false when the runner puts its termination hook on the group, true otherwise */
    managedDraining?: boolean;

    /** AMI to pin; when omitted the latest ECS-optimized AMI of `amiFamily` is used. @default none */
    imageId?: pulumi.Input<string>;
    /** ECS-optimized AMI family resolved from AWS's public SSM parameter. @default "al2023" */
    amiFamily?: AmiFamily;

    /** Size (GiB) of the encrypted gp3 root volume. Range 30-16384. @default 30 */
    rootVolumeSizeGiB?: number;
    /** KMS key for the root volume. @default none (the account's default EBS key) */
    rootVolumeKmsKeyId?: pulumi.Input<string>;
    /** EC2 key pair for SSH. @default none (use SSM Session Manager instead) */
    keyName?: pulumi.Input<string>;
    /** Custom ECS attributes every instance registers with (`ECS_INSTANCE_ATTRIBUTES`), at most 9 (ECS allows 10; the scaler's drain mark takes one). @default {} */
    instanceAttributes?: Record<string, string>;
    /** Extra `/etc/ecs/ecs.config` settings, `{ KEY: "value" }` with upper-case agent setting names. @default {} */
    ecsConfig?: Record<string, string>;
    /** Shell commands appended to the user data after the ECS config is written. @default none */
    extraUserData?: string;
    /** Seconds the ECS agent waits before killing a stopping container (`ECS_CONTAINER_STOP_TIMEOUT`). Range 1-3600. @default 30 */
    containerStopTimeoutSeconds?: number;
    /** IMDSv2 response hop limit; 1 keeps containers on bridge networks away from the instance role. Range 1-64. @default 1 */
    metadataHopLimit?: number;
    /** Attaches `AmazonSSMManagedInstanceCore` to the instance role for Session Manager. @default true */
    enableSsm?: boolean;
    /** Load-balancer target groups the instances are registered in (and deregistered from before they go). @default [] */
    targetGroupArns?: pulumi.Input<pulumi.Input<string>[]>;
    /** Tags on every resource, propagated to instances and volumes. @default {} */
    tags?: Record<string, string>;

    /** Creates the scaler, which plans in every preview and scales, drains and replaces in `pulumi up`. @default true */
    enableScaler?: boolean;
    /** Creates a CloudWatch dashboard of the cluster's reservations, group, alarms and the scaler's metrics. @default true */
    dashboard?: boolean;
    /** When the scaler scales; also the alarms' thresholds. @default see {@link ScalingArgs} */
    scaling?: ScalingArgs;
    /** How the scaler drains. @default see {@link DrainingArgs} */
    draining?: DrainingArgs;
    /** Replacing instances for their age, and the window for it. @default see {@link MaintenanceArgs} */
    maintenance?: MaintenanceArgs;
}

/** Arguments of a {@link SpotEcsCluster}. */
export interface SpotEcsClusterArgs extends SpotEcsClusterCommonArgs {
    /** The runner, which scales and drains between deploys, with a lease so that it and `pulumi up` never act at once; `false` for none (needs `enableScaler`). @default see {@link RunnerArgs} */
    runner?: false | RunnerArgs;
}

/** CloudWatch Logs' retention periods, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Inclusive integer ranges of the runner's numeric arguments. */
export const RUNNER_RANGES = { timeoutSeconds: [60, 900], memoryMiB: [256, 10240], hookHeartbeatSeconds: HOOK_HEARTBEAT_RANGE } as const;

/** Inclusive integer ranges of the component's own numeric arguments (the group's sizes are the scaler's `SIZE_RANGES`). */
export const ARGUMENT_RANGES = {
    onDemandPercentageAboveBaseCapacity: [0, 100],
    rootVolumeSizeGiB: [30, 16384],
    containerStopTimeoutSeconds: [1, 3600],
    metadataHopLimit: [1, 64],
} as const satisfies Partial<Record<keyof SpotEcsClusterArgs, readonly [number, number]>>;

/** Every documented default, in one place; a test holds each `@default` above to this object. */
export const DEFAULTS = {
    containerInsights: true,
    onDemandBaseCapacity: 0,
    onDemandPercentageAboveBaseCapacity: 0,
    spotAllocationStrategy: "price-capacity-optimized",
    capacityRebalance: true,
    amiFamily: "al2023",
    rootVolumeSizeGiB: 30,
    containerStopTimeoutSeconds: 30,
    metadataHopLimit: 1,
    enableSsm: true,
    enableScaler: true,
    dashboard: true,
    scaling: DEFAULT_SCALING,
    draining: DEFAULT_DRAINING,
    runner: { schedule: "rate(1 minute)", actions: [...RUNNER_ACTIONS], timeoutSeconds: 300, logRetentionDays: 30, memoryMiB: 512, terminationHook: true,
        // Worked out from the schedule (hookHeartbeatFor).
        hookHeartbeatSeconds: undefined },
} as const;

/** `defaults` with every setting of `given` that is not undefined laid over it. */
function withDefaults<T extends object>(defaults: Readonly<T>, given: Partial<T> | undefined): T {
    const out = { ...defaults } as T;
    for (const [key, value] of Object.entries(given ?? {})) {
        if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
    return out;
}

/** Arguments whose default is a value of {@link DEFAULTS}. */
type Defaulted = Exclude<keyof typeof DEFAULTS, "scaling" | "draining" | "runner">;

/** The runner's arguments with their defaults. */
export type ResolvedRunner = Required<RunnerArgs>;

/** The hook's heartbeat timeout when none is given: the default, or three runner periods when longer (at most Auto Scaling's 7200 s). */
export function hookHeartbeatFor(schedule: string): number {
    return Math.min(HOOK_HEARTBEAT_RANGE[1], Math.max(DEFAULT_HOOK_HEARTBEAT_SECONDS, 3 * 60 * scheduleMinutes(schedule)));
}

/** The arguments with {@link DEFAULTS} applied once, for the component's parts to read. */
export type ResolvedArgs = Omit<SpotEcsClusterArgs, Defaulted | "scaling" | "draining" | "runner" | "desiredCapacity" | "instanceAttributes" | "ecsConfig" | "tags"
    | "managedDraining">
    & { [K in Defaulted]-?: NonNullable<SpotEcsClusterArgs[K]> }
    & {
        desiredCapacity: number;
        instanceAttributes: Record<string, string>;
        ecsConfig: Record<string, string>;
        tags: Record<string, string>;
        scaling: ScalingPolicy;
        draining: DrainingPolicy;
        /** The runner, or undefined for none (`runner: false`, or no scaler). */
        runner: ResolvedRunner | undefined;
        managedDraining: boolean;
    };

/** Applies {@link DEFAULTS} to every argument that has one. */
export function resolveArgs(args: SpotEcsClusterArgs): ResolvedArgs {
    const given = args as unknown as Record<string, unknown>;
    const defaulted = Object.fromEntries(Object.entries(DEFAULTS).map(([key, value]) => [key, given[key] ?? value]));
    const runner = resolveRunner(args);
    return {
        ...args,
        ...defaulted,
        desiredCapacity: args.desiredCapacity ?? args.minSize,
        instanceAttributes: args.instanceAttributes ?? {},
        ecsConfig: args.ecsConfig ?? {},
        tags: { ...(args.tags ?? {}) },
        scaling: withDefaults<ScalingPolicy>(DEFAULTS.scaling, args.scaling),
        draining: withDefaults<DrainingPolicy>(DEFAULTS.draining, args.draining),
        runner,
        managedDraining: args.managedDraining ?? !(runner?.terminationHook ?? false),
    } as ResolvedArgs;
}

/** The runner's arguments with their defaults, or undefined for none. */
function resolveRunner(args: SpotEcsClusterArgs): ResolvedRunner | undefined {
    if (args.runner === false || args.enableScaler === false) return undefined;
    const r = withDefaults<RunnerArgs>({ ...DEFAULTS.runner, actions: [...DEFAULTS.runner.actions] }, args.runner);
    return { ...r, hookHeartbeatSeconds: r.hookHeartbeatSeconds ?? hookHeartbeatFor(r.schedule!) } as ResolvedRunner;
}
