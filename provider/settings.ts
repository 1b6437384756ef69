// The scaler's settings contract: what the component passes the scaler, with the documentation,
// defaults, ranges and formats that the component, the scaler's `check` and the command all enforce.
// The component's `scaling` and `draining` arguments are these settings, each optional.
// Nothing here imports anything: every other module stands above it.

export const StandaloneTaskPolicy = { Fail: "fail", Stop: "stop" } as const;
export type StandaloneTaskPolicy = (typeof StandaloneTaskPolicy)[keyof typeof StandaloneTaskPolicy];
export const STANDALONE_TASK_POLICIES: readonly StandaloneTaskPolicy[] = Object.values(StandaloneTaskPolicy);

/** When the scaler scales out, scales in, and what counts as sustained. */
export interface ScalingPolicy {
    /** CPUReservation (percent) above which the cluster scales out. Range 1-100. @default 88 */
    cpuHighPercent: number;
    /** MemoryReservation (percent) above which the cluster scales out. Range 1-100. @default 88 */
    memoryHighPercent: number;
    /** Minutes a reservation must stay above its high threshold before the scaler or an alarm scales out. Range 1-60. @default 2 */
    evaluationMinutes: number;
    /** Instances added at least per scale-out, by the scaler and by the high alarms. Range 1-100. @default 2 */
    scaleOutStep: number;
    /**
     * Reservation (percent, CPU and memory both) scale-in packs the cluster to: an instance goes when its
     * tasks fit on the instances that stay and both reservations stay at or below this after it goes
     * (consolidation). Below both high thresholds, the gap between them keeping the cluster from
     * flapping. Range 1-99. @default 85
     */
    scaleInTargetPercent: number;
    /** Minutes both reservations must have left room to remove an instance (within `scaleInTargetPercent`) before the scaler removes one. Range 1-120. @default 10 */
    scaleInAfterMinutes: number;
    /** Largest share of the cluster (percent, at least one instance) removed by one scale-in. Range 1-100. @default 50 */
    maxScaleInPercent: number;
    /** Seconds after a scaling activity during which the scaler does not scale out again (tasks ECS cannot place do not wait for it). Range 0-86400. @default 180 */
    cooldownSeconds: number;
    /** Seconds after a scaling activity during which the scaler does not scale in. Range 0-86400. @default 300 */
    scaleInCooldownSeconds: number;
    /**
     * Room kept free for tasks that have not arrived yet (a burst, the tasks of a reclaimed Spot
     * instance), in task-sized units: `"<tasks>x<cpu>/<memory MiB>"`, e.g. `"4x512/1024"` keeps room
     * on the ACTIVE instances for four tasks of 512 CPU units and 1024 MiB each. The scaler scales out
     * when there is less, and does not scale in below it. @default none
     */
    headroom?: string;
    /** Seconds Spot launches must keep failing for lack of capacity before the scaler raises the On-Demand base to reach desired capacity. Range 60-86400. @default 300 */
    spotFallbackAfterSeconds: number;
    /** Seconds without a failed Spot launch before the scaler restores the On-Demand base and replaces the fallback On-Demand instances with Spot. Range 300-604800. @default 1800 */
    spotRevertAfterSeconds: number;
    /** UTC window in which the way back to Spot (restoring the On-Demand base, replacing the fallback instances) may run: "HH:MM-HH:MM", optionally after days, e.g. "Sat,Sun 02:00-06:00"; the end may be past midnight. @default none: any time */
    spotRevertWindow?: string;
}

/** How instances are drained when they are scaled in or replaced. */
export interface DrainingPolicy {
    /** Seconds one instance may take to drain before the standalone-task policy applies; at most `maxUpdateSeconds`. Range 30-172800. @default 900 */
    timeoutSeconds: number;
    /** Instances drained at the same time in one batch. Range 1-1000. @default 1 */
    batchSize: number;
    /** Share (percent) of the cluster's instances that must stay ACTIVE while others drain. Range 0-100. @default 100 */
    minHealthyPercent: number;
    /** At the drain timeout, `"fail"` fails the update naming the tasks still running; `"stop"` stops standalone tasks and goes on. @default "fail" */
    standaloneTasks: StandaloneTaskPolicy;
    /** Seconds one `pulumi up` may spend scaling and draining before it stops and reports what is left. Range 60-86400. @default 3600 */
    maxUpdateSeconds: number;
    /**
     * CloudWatch alarms (names, or ARNs in the scaler's region, 1-100) that guard a rollout: a
     * replacement does not start while one is in ALARM (or missing), and after each batch but the last
     * it waits `bakeSeconds`, then stops if one is in ALARM, naming it; an alarm going off during a
     * batch puts the batch's instances back ACTIVE. A later `pulumi up` resumes once none is in ALARM;
     * the runner does not. @default none: rollouts are not guarded
     */
    haltOnAlarms?: string[];
    /** Seconds a rollout guarded by `haltOnAlarms` waits after each batch but the last before it reads the alarms. Range 0-3600. @default 300 */
    bakeSeconds: number;
}

/** Everything the planner and executor need besides what they observe. */
export interface Policy {
    scaling: ScalingPolicy;
    draining: DrainingPolicy;
    maintenance?: MaintenancePolicy;
}

/** Keeping the fleet fresh: replacing instances for their age, and when. */
export interface MaintenancePolicy {
    /** Days an instance may run before the scaler replaces it, drained like any replacement. Range 1-365. @default none: no instance is replaced for its age */
    maxInstanceAgeDays?: number;
    /**
     * UTC window in which replacements for age, and the way back to Spot unless `scaling.spotRevertWindow`
     * is set, may run: "HH:MM-HH:MM", optionally after days, e.g. "Sat,Sun 02:00-06:00"; the end may be
     * past midnight. @default none: any time
     */
    window?: string;
    /**
     * Largest share (percent) of the registered instances that may have their agent disconnected for the
     * scaler to replace them: more at once is more likely ECS or the network than that many failed
     * instances, and the plan holds. Range 1-100. @default 20
     */
    maxDisconnectedPercent?: number;
}

/** The default of `maintenance.maxDisconnectedPercent`. */
export const DEFAULT_MAX_DISCONNECTED_PERCENT = 20;

/** Every key of {@link MaintenancePolicy}, held to the type as {@link SETTING_KEYS} is. */
export const MAINTENANCE_KEYS = Object.keys({ maxInstanceAgeDays: true, window: true, maxDisconnectedPercent: true } satisfies Record<keyof MaintenancePolicy, true>) as (keyof MaintenancePolicy)[];

/** The range of `maintenance.maxInstanceAgeDays`. */
export const MAX_INSTANCE_AGE_DAYS_RANGE: [number, number] = [1, 365];

/**
 * What the runner may do between deploys: `scale-out` (scale-out, a raised minSize), `scale-in`
 * (scale-in and the excess above maxSize, drained), `spot` (the On-Demand fallback and the way back),
 * `replace` (replacements toward the launch template version the last `pulumi up` deployed, and of
 * instances that never registered). Protecting instances and undoing its own drains it always may.
 */
export const RunnerAction = { ScaleOut: "scale-out", ScaleIn: "scale-in", Spot: "spot", Replace: "replace" } as const;
export type RunnerAction = (typeof RunnerAction)[keyof typeof RunnerAction];
export const RUNNER_ACTIONS: readonly RunnerAction[] = Object.values(RunnerAction);

/** The runner the component created for the cluster: the scaler's reconcile on a schedule, between deploys. */
export interface RunnerSettings {
    /** Its Lambda function. */
    functionName: string;
    /** Its EventBridge schedule, `rate(…)`. */
    schedule: string;
    /** What it may do. */
    actions: RunnerAction[];
}

/** What the scaler acts on and how; every field comes from the component, none from the environment. */
export interface ScalerSettings {
    region: string;
    clusterName: string;
    autoScalingGroupName: string;
    launchTemplateId: string;
    launchTemplateVersion: string;
    targetGroupArns: string[];
    /** The group's bounds and instance types as declared; the group may still hold older values in a preview. @default the group's own */
    minSize?: number;
    maxSize?: number;
    instanceTypes?: string[];
    /** The instance types by attribute as declared (instead of `instanceTypes`): an instance of a type without them is replaced. @default none */
    instanceRequirements?: InstanceRequirements;
    /** The On-Demand base capacity as declared; the scaler applies it (the group resource ignores later changes). */
    onDemandBaseCapacity?: number;
    scaling: ScalingPolicy;
    draining: DrainingPolicy;
    /** Replacing instances for their age, and the window for it. @default none */
    maintenance?: MaintenancePolicy;
    /** DynamoDB table holding the cluster's lease, which the runner, `pulumi up` and `spot-ecs run` take before they act. @default none: no lease */
    leaseTable?: string;
    /** The runner acting between deploys, for the preview to report on. @default none */
    runner?: RunnerSettings;
}

/**
 * One entry per key of {@link ScalerSettings}: the compiler refuses this object when a key is missing
 * or unknown, so the list below cannot drift from the type.
 */
const SETTING_KEY_SET: Record<keyof ScalerSettings, true> = {
    region: true, clusterName: true, autoScalingGroupName: true, launchTemplateId: true, launchTemplateVersion: true,
    targetGroupArns: true, minSize: true, maxSize: true, instanceTypes: true, instanceRequirements: true, onDemandBaseCapacity: true, scaling: true, draining: true,
    maintenance: true, leaseTable: true, runner: true,
};

/** Every key of {@link ScalerSettings}. */
export const SETTING_KEYS = Object.keys(SETTING_KEY_SET) as (keyof ScalerSettings)[];

/** Every key of {@link ScalingPolicy}, held to the type as {@link SETTING_KEYS} is. */
export const SCALING_KEYS = Object.keys({
    cpuHighPercent: true, memoryHighPercent: true, evaluationMinutes: true, scaleOutStep: true, scaleInTargetPercent: true,
    scaleInAfterMinutes: true, maxScaleInPercent: true, cooldownSeconds: true, scaleInCooldownSeconds: true, headroom: true,
    spotFallbackAfterSeconds: true, spotRevertAfterSeconds: true, spotRevertWindow: true,
} satisfies Record<keyof ScalingPolicy, true>) as (keyof ScalingPolicy)[];

/** Every key of {@link DrainingPolicy}, held to the type as {@link SETTING_KEYS} is. */
export const DRAINING_KEYS = Object.keys({
    timeoutSeconds: true, batchSize: true, minHealthyPercent: true, maxUpdateSeconds: true, standaloneTasks: true, haltOnAlarms: true, bakeSeconds: true,
} satisfies Record<keyof DrainingPolicy, true>) as (keyof DrainingPolicy)[];

/** Default scaling settings; the component's DEFAULTS.scaling is this object. */
export const DEFAULT_SCALING: Readonly<ScalingPolicy> = Object.freeze({
    cpuHighPercent: 88,
    memoryHighPercent: 88,
    evaluationMinutes: 2,
    scaleOutStep: 2,
    scaleInTargetPercent: 85,
    scaleInAfterMinutes: 10,
    maxScaleInPercent: 50,
    cooldownSeconds: 180,
    scaleInCooldownSeconds: 300,
    spotFallbackAfterSeconds: 300,
    spotRevertAfterSeconds: 1800,
});

/** Default draining settings; the component's DEFAULTS.draining is this object. */
export const DEFAULT_DRAINING: Readonly<DrainingPolicy> = Object.freeze({
    timeoutSeconds: 900,
    batchSize: 1,
    minHealthyPercent: 100,
    standaloneTasks: "fail",
    maxUpdateSeconds: 3600,
    bakeSeconds: 300,
});

/**
 * The heartbeat timeout of the scaler's termination hook unless the runner's schedule needs longer
 * (three of its periods): what an instance waits in the hook after the last heartbeat, before the
 * hook's default result (ABANDON, then retained) applies.
 */
export const DEFAULT_HOOK_HEARTBEAT_SECONDS = 300;

/** The heartbeat timeouts Auto Scaling accepts (PutLifecycleHook). */
export const HOOK_HEARTBEAT_RANGE: [number, number] = [30, 7200];

/** The keys of `T` whose values are numbers. */
type NumericKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T];

/** Inclusive integer ranges of every numeric scaling setting. */
export const SCALING_RANGES: Record<NumericKeys<ScalingPolicy>, [number, number]> = {
    cpuHighPercent: [1, 100],
    memoryHighPercent: [1, 100],
    evaluationMinutes: [1, 60],
    scaleOutStep: [1, 100],
    scaleInTargetPercent: [1, 99],
    scaleInAfterMinutes: [1, 120],
    maxScaleInPercent: [1, 100],
    cooldownSeconds: [0, 86400],
    scaleInCooldownSeconds: [0, 86400],
    spotFallbackAfterSeconds: [60, 86400],
    spotRevertAfterSeconds: [300, 604800],
};

/** Inclusive integer ranges of every numeric draining setting. */
export const DRAINING_RANGES: Record<NumericKeys<DrainingPolicy>, [number, number]> = {
    timeoutSeconds: [30, 172800],
    batchSize: [1, 1000],
    minHealthyPercent: [0, 100],
    maxUpdateSeconds: [60, 86400],
    bakeSeconds: [0, 3600],
};

/** How many alarms `draining.haltOnAlarms` may name: what one DescribeAlarms request takes. */
export const HALT_ALARMS_RANGE: [number, number] = [1, 100];

/** Inclusive ranges of the group's sizes. */
export const SIZE_RANGES = { minSize: [0, 1000], maxSize: [1, 1000], desiredCapacity: [0, 1000], onDemandBaseCapacity: [0, 1000] } as const;

/** A format a string setting must have: the pattern, and how a message describes it. */
export interface Format {
    pattern: RegExp;
    what: string;
}

export const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const HHMM = "(?:[01]\\d|2[0-3]):[0-5]\\d";

/** The formats of names, ids and ARNs the component, the scaler's `check` and the command accept. */
export const FORMATS = {
    region: { pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, what: "an AWS region such as \"us-east-1\"" },
    clusterName: { pattern: /^[A-Za-z0-9_-]{1,255}$/, what: "1-255 letters, digits, hyphens or underscores" },
    targetGroupArn: {
        pattern: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/,
        what: "a target group ARN",
    },
    autoScalingGroupName: { pattern: /^[\x20-\x7e]{1,255}$/, what: "an Auto Scaling group name" },
    launchTemplateId: { pattern: /^lt-[0-9a-f]{8,17}$/, what: "a launch template id (lt-…)" },
    launchTemplateVersion: { pattern: /^[1-9]\d*$/, what: "a launch template version number such as \"3\"" },
    instanceType: { pattern: /^[a-z][a-z0-9]*(-[a-z0-9]+)*\.[a-z0-9]+$/, what: "an instance type in `family.size` form such as \"m6i.large\"" },
    dynamoTable: { pattern: /^[A-Za-z0-9_.-]{3,255}$/, what: "a DynamoDB table name (3-255 letters, digits, `_`, `-` or `.`)" },
    lambdaFunctionName: { pattern: /^[A-Za-z0-9_-]{1,64}$/, what: "a Lambda function name (1-64 letters, digits, `-` or `_`)" },
    /** An EventBridge rate expression: a whole number and a unit, singular for 1. */
    rateSchedule: {
        pattern: /^rate\((?:1 (?:minute|hour|day)|(?:[2-9]|[1-9]\d+) (?:minutes|hours|days))\)$/,
        what: "an EventBridge rate expression such as \"rate(1 minute)\" or \"rate(5 minutes)\" (singular for 1)",
    },
    /** `<tasks>x<cpu>/<memory MiB>`: whole numbers without leading zeros, up to 9999 tasks. */
    headroom: { pattern: /^[1-9]\d{0,3}x[1-9]\d{0,5}\/[1-9]\d{0,7}$/, what: "room for tasks \"<tasks>x<cpu>/<memory MiB>\" such as \"4x512/1024\"" },
    /** A CloudWatch alarm name (1-255 characters, no control characters), or its ARN. */
    alarm: {
        pattern: /^(?:arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:)?[^\x00-\x1f\x7f]{1,255}$/,
        what: "a CloudWatch alarm name (1-255 characters, no control characters) or an alarm ARN",
    },
    /** `HH:MM-HH:MM` (UTC; the end may be past midnight), optionally after a comma-separated list of days. */
    window: {
        pattern: new RegExp(`^(?:(?:${DAYS.join("|")})(?:,(?:${DAYS.join("|")}))* )?${HHMM}-${HHMM}$`),
        what: "a UTC window \"HH:MM-HH:MM\", optionally after days such as \"Sat,Sun \" (e.g. \"02:00-06:00\")",
    },
} satisfies Record<string, Format>;

/** Minutes between two runs of a `rate(…)` schedule. */
export function scheduleMinutes(schedule: string): number {
    const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
    if (m === null) throw new Error(`not a rate expression: ${schedule}`);
    return Number(m[1]) * (m[2] === "minute" ? 1 : m[2] === "hour" ? 60 : 1440);
}

/** Room for `tasks` tasks of `cpu` units and `memory` MiB each. */
export interface Headroom {
    tasks: number;
    cpu: number;
    memory: number;
}

/** The headroom setting as numbers; undefined when not set. Assumes the format was checked. */
export function parseHeadroom(headroom: string | undefined): Headroom | undefined {
    const m = headroom === undefined ? null : /^(\d+)x(\d+)\/(\d+)$/.exec(headroom);
    return m === null ? undefined : { tasks: Number(m[1]), cpu: Number(m[2]), memory: Number(m[3]) };
}

/** The alarm name of a `haltOnAlarms` entry: the entry itself, or the name at the end of an alarm ARN. */
export function alarmName(entry: string): string {
    const m = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:(.+)$/.exec(entry);
    return m === null ? entry : m[1];
}

/** The window setting's pattern (see {@link FORMATS}). */
export const WINDOW_PATTERN = FORMATS.window.pattern;

/** CPU manufacturers InstanceRequirements accepts for ECS instances (Apple's Mac instances run no ECS-optimized AMI). */
export const CpuManufacturer = { Intel: "intel", Amd: "amd", AmazonWebServices: "amazon-web-services" } as const;
export type CpuManufacturer = (typeof CpuManufacturer)[keyof typeof CpuManufacturer];
export const CPU_MANUFACTURERS: readonly CpuManufacturer[] = Object.values(CpuManufacturer);
export const InstanceGeneration = { Current: "current", Previous: "previous" } as const;
export type InstanceGeneration = (typeof InstanceGeneration)[keyof typeof InstanceGeneration];
export const INSTANCE_GENERATIONS: readonly InstanceGeneration[] = Object.values(InstanceGeneration);
/** Whether burstable (T) or bare-metal types are left out, allowed, or the only ones. */
export const Inclusion = { Included: "included", Excluded: "excluded", Required: "required" } as const;
export type Inclusion = (typeof Inclusion)[keyof typeof Inclusion];
export const INCLUSIONS: readonly Inclusion[] = Object.values(Inclusion);
export const AcceleratorType = { Gpu: "gpu", Fpga: "fpga", Inference: "inference" } as const;
export type AcceleratorType = (typeof AcceleratorType)[keyof typeof AcceleratorType];
export const ACCELERATOR_TYPES: readonly AcceleratorType[] = Object.values(AcceleratorType);

/** A range with a required minimum and an optional maximum. */
export interface MinMax {
    min: number;
    /** @default no maximum */
    max?: number;
}

/** A range whose bounds are both optional. */
export interface OptionalMinMax {
    /** @default no minimum */
    min?: number;
    /** @default no maximum */
    max?: number;
}

/**
 * Instance types chosen by their attributes: the group's mixed instances policy takes them as Auto
 * Scaling's `InstanceRequirements` and launches any type that has them all. Give this or
 * `instanceTypes`, not both.
 */
export interface InstanceRequirements {
    /** vCPUs per instance, `{ min, max }`; the maximum may be left out. Range 0-4096. */
    vcpuCount: MinMax;
    /** Memory per instance in MiB, `{ min, max }`; the maximum may be left out. Range 0-33554432. */
    memoryMiB: MinMax;
    /** CPU manufacturers: `intel`, `amd`, `amazon-web-services` (Graviton); they must suit the AMI's architecture. @default any */
    cpuManufacturers?: CpuManufacturer[];
    /** `current`, `previous` or both. @default both */
    instanceGenerations?: InstanceGeneration[];
    /** Burstable (T) types: `included`, `excluded` or `required`. @default "excluded" */
    burstablePerformance?: Inclusion;
    /** Bare-metal types: `included`, `excluded` or `required`. @default "excluded" */
    bareMetal?: Inclusion;
    /** The only types considered, 1-400 of them, each up to 30 characters, `*` as a wildcard (`m7i.*`, `c6*`); not with `excludedInstanceTypes`. @default every type */
    allowedInstanceTypes?: string[];
    /** Types never launched, 1-400 of them, each up to 30 characters, `*` as a wildcard (`*.metal`, `r*`); not with `allowedInstanceTypes`. @default none */
    excludedInstanceTypes?: string[];
    /** Accelerators per instance (GPUs, FPGAs, inference chips together), `{ min, max }`; `{ max: 0 }` leaves out every accelerated type. Range 0-64. @default any */
    acceleratorCount?: OptionalMinMax;
    /** Kinds of accelerator an instance must have one of: `gpu`, `fpga`, `inference`. @default any */
    acceleratorTypes?: AcceleratorType[];
    /** Network interfaces per instance, the primary one included, `{ min, max }`: awsvpc tasks take one each. Range 1-128. @default any */
    networkInterfaceCount?: OptionalMinMax;
    /** Price protection: Spot types priced more than this percentage above the cheapest matching type are not launched. Range 1-999999. @default Auto Scaling's optimal price protection */
    spotMaxPricePercentageOverLowestPrice?: number;
    /** Price protection for On-Demand types, the same way, Auto Scaling's default kept when left out. Range 1-999999. @default 20 */
    onDemandMaxPricePercentageOverLowestPrice?: number;
}

/**
 * Auto Scaling's own defaults for the requirements left out: the component sends only what is given,
 * and the replacement check reads these for the rest.
 */
export const REQUIREMENT_DEFAULTS = Object.freeze({
    burstablePerformance: "excluded" as Inclusion,
    bareMetal: "excluded" as Inclusion,
    onDemandMaxPricePercentageOverLowestPrice: 20,
});

/** Every key of {@link InstanceRequirements}, held to the type. */
export const REQUIREMENT_KEYS = Object.keys({
    vcpuCount: true, memoryMiB: true, cpuManufacturers: true, instanceGenerations: true, burstablePerformance: true, bareMetal: true,
    allowedInstanceTypes: true, excludedInstanceTypes: true, acceleratorCount: true, acceleratorTypes: true, networkInterfaceCount: true,
    spotMaxPricePercentageOverLowestPrice: true, onDemandMaxPricePercentageOverLowestPrice: true,
} satisfies Record<keyof InstanceRequirements, true>) as (keyof InstanceRequirements)[];

/** The ranges each bounded requirement is held to. */
export const REQUIREMENT_RANGES = {
    vcpuCount: [0, 4096],
    memoryMiB: [0, 33_554_432],
    acceleratorCount: [0, 64],
    networkInterfaceCount: [1, 128],
    pricePercentage: [1, 999_999],
} as const satisfies Record<string, readonly [number, number]>;

/** An allowed or excluded type pattern as Auto Scaling takes it: letters, digits, `.`, `-` and the wildcard `*`, up to 30 characters. */
export const TYPE_PATTERN = { pattern: /^[a-z0-9*][a-z0-9.*-]{0,29}$/, what: "an instance type or pattern of up to 30 characters such as \"m7i.*\" or \"c6*\" (lower-case letters, digits, `.`, `-`, `*`)" };
/** How many allowed or excluded patterns Auto Scaling takes. */
export const TYPE_PATTERNS_RANGE: [number, number] = [1, 400];
