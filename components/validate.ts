// Pure validation of SpotEcsClusterArgs: every problem is collected, then one error is thrown.
// Values that are Outputs are skipped here and checked inside `apply` once they are known.
import * as pulumi from "@pulumi/pulumi";
import { AMI_FAMILIES, ARGUMENT_RANGES, DEFAULTS, LOG_RETENTION_DAYS, RUNNER_RANGES, SPOT_ALLOCATION_STRATEGIES, SpotEcsClusterArgs } from "./args";
import { CPU_MANUFACTURERS, FORMATS } from "../provider/settings";
import { manufacturersFor } from "../provider/instanceTypes";
import { checkDraining, checkInstanceChoice, checkInstanceRequirements, checkDrainTimes, checkMaintenance, checkRunnerActions, checkScaling, checkSizes, describeValue, formatProblems, Problem, Problems } from "../provider/validation";

export const ECS_CONFIG_KEY_PATTERN = /^[A-Z][A-Z0-9_]{0,127}$/;
const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z0-9_./\\-]{1,128}$/;
const ATTRIBUTE_VALUE_PATTERN = /^[A-Za-z0-9_.@/\\: -]{1,128}$/;
const IMAGE_ID_PATTERN = /^ami-[0-9a-f]{8,17}$/;

/** `ecs.config` keys the component writes itself, and the argument that sets each. */
export const MANAGED_ECS_CONFIG_KEYS: Record<string, string> = {
    ECS_CLUSTER: "clusterName or existingClusterName",
    ECS_ENABLE_SPOT_INSTANCE_DRAINING: "nothing (Spot draining is always on)",
    ECS_CONTAINER_STOP_TIMEOUT: "containerStopTimeoutSeconds",
    ECS_ENABLE_CONTAINER_METADATA: "nothing (always on)",
    ECS_INSTANCE_ATTRIBUTES: "instanceAttributes",
};

const KNOWN_ARGS: (keyof SpotEcsClusterArgs)[] = [
    "clusterName", "existingClusterName", "containerInsights", "vpcId", "subnetIds", "securityGroupIds",
    "instanceTypes", "instanceRequirements", "minSize", "maxSize", "desiredCapacity", "onDemandBaseCapacity",
    "onDemandPercentageAboveBaseCapacity", "spotAllocationStrategy", "capacityRebalance", "managedDraining", "imageId", "amiFamily",
    "rootVolumeSizeGiB", "rootVolumeKmsKeyId", "keyName", "instanceAttributes", "ecsConfig", "extraUserData",
    "containerStopTimeoutSeconds", "metadataHopLimit", "enableSsm", "enableScaler", "dashboard", "targetGroupArns", "tags", "scaling", "draining", "maintenance",
    "runner",
];

/** User data is limited to 16 KB before base64 encoding; leave room for what the component writes. */
export const MAX_EXTRA_USER_DATA_BYTES = 12 * 1024;

/** True for a value that is only known later (a Pulumi Output or a promise). */
function isDeferred(value: unknown): boolean {
    return typeof value === "object" && value !== null && (
        typeof (value as { apply?: unknown }).apply === "function" || typeof (value as { then?: unknown }).then === "function");
}

/** Returns every problem with `args`; empty when they are valid. */
export function listProblems(args: unknown): Problem[] {
    const p = new Problems();
    if (!p.object("args", args)) return p.items;
    const a = args as Record<string, unknown>;

    for (const key of Object.keys(a)) {
        if (!(KNOWN_ARGS as string[]).includes(key)) {
            p.add(key, `\`${key}\` is not an argument of SpotEcsCluster; check its spelling`);
        }
    }
    checkClusterName(p, a);
    p.boolean("containerInsights", a.containerInsights, true);
    checkNetwork(p, a);
    checkInstanceChoiceArgs(p, a);
    checkSizes(p, a.minSize, a.maxSize, a.desiredCapacity, a.onDemandBaseCapacity);
    checkSpot(p, a);
    checkImage(p, a);
    checkInstanceSettings(p, a);
    checkScaling(p, "scaling", a.scaling, true);
    checkDraining(p, "draining", a.draining, true);
    checkDrainTimes(p, "draining", a.draining, DEFAULTS.draining.maxUpdateSeconds);
    checkMaintenance(p, "maintenance", a.maintenance);
    checkRunnerArgs(p, a);
    return p.items;
}

/** `runner`: false, or its schedule, actions, timeout, log retention and memory; on only with the scaler. */
function checkRunnerArgs(p: Problems, a: Record<string, unknown>): void {
    const r = a.runner;
    if (r === undefined || r === false) return;
    if (!p.object("runner", r)) return;
    for (const key of Object.keys(r)) {
        if (!(key in DEFAULTS.runner)) p.add(`runner.${key}`, `\`runner.${key}\` is not a setting; known settings are ${Object.keys(DEFAULTS.runner).join(", ")}`);
    }
    if (r.schedule !== undefined) p.format("runner.schedule", r.schedule, FORMATS.rateSchedule);
    if (r.actions !== undefined) checkRunnerActions(p, "runner.actions", r.actions);
    for (const [key, [min, max]] of Object.entries(RUNNER_RANGES)) p.integer(`runner.${key}`, r[key], min, max, true);
    p.boolean("runner.terminationHook", r.terminationHook, true);
    if (r.terminationHook === false && r.hookHeartbeatSeconds !== undefined) {
        p.add("runner.hookHeartbeatSeconds", "`runner.hookHeartbeatSeconds` sets the termination hook's heartbeat, but `runner.terminationHook` is false");
    }
    if (r.logRetentionDays !== undefined && !(LOG_RETENTION_DAYS as readonly unknown[]).includes(r.logRetentionDays)) {
        p.add("runner.logRetentionDays", `\`runner.logRetentionDays\` must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${describeValue(r.logRetentionDays)}`);
    }
    if (a.enableScaler === false) p.add("runner", "`runner` needs the scaler: with `enableScaler: false`, set `runner: false` too");
}

/**
 * Validates `args` and throws one error listing every problem, each naming the argument, what is
 * allowed and what was given. Arguments that are Outputs are checked once known.
 * @throws pulumi.InputPropertiesError (an Error) when any argument is invalid.
 */
export function validateArgs(args: SpotEcsClusterArgs, subject = "SpotEcsCluster"): void {
    const problems = listProblems(args);
    if (problems.length > 0) {
        // Pulumi's own error for invalid inputs: the same message, and each problem with its property path.
        throw new pulumi.InputPropertiesError({ message: formatProblems(`Invalid arguments for ${subject}`, problems),
            errors: problems.map((p) => ({ propertyPath: p.property, reason: p.reason })) });
    }
}

function checkClusterName(p: Problems, a: Record<string, unknown>): void {
    const hasNew = a.clusterName !== undefined;
    const hasExisting = a.existingClusterName !== undefined;
    if (hasNew && hasExisting) {
        p.add("clusterName", "give either `clusterName` (create a cluster) or `existingClusterName` (join one), not both");
    }
    p.format("clusterName", a.clusterName, FORMATS.clusterName, true);
    if (!isDeferred(a.existingClusterName)) {
        p.format("existingClusterName", a.existingClusterName, FORMATS.clusterName, true);
    }
}

function checkNetwork(p: Problems, a: Record<string, unknown>): void {
    checkIdList(p, "subnetIds", a.subnetIds, 1, 256, /^subnet-[0-9a-f]{8,17}$/, "a subnet id (subnet-…)", false);
    checkIdList(p, "securityGroupIds", a.securityGroupIds, 1, 16, /^sg-[0-9a-f]{8,17}$/, "a security group id (sg-…)", true);
    if (a.securityGroupIds === undefined && a.vpcId === undefined) {
        p.add("vpcId", "`vpcId` is required when `securityGroupIds` is omitted (a security group is created in it), got undefined");
    }
    if (!isDeferred(a.vpcId)) p.matches("vpcId", a.vpcId, /^vpc-[0-9a-f]{8,17}$/, "a VPC id (vpc-…)", true);
    if (!isDeferred(a.targetGroupArns)) {
        if (p.list("targetGroupArns", a.targetGroupArns, 0, 50, true)) {
            (a.targetGroupArns as unknown[]).forEach((arn, i) => {
                if (!isDeferred(arn)) p.format(`targetGroupArns[${i}]`, arn, FORMATS.targetGroupArn, false);
            });
        }
    }
}

/** Checks a list of ids whose entries may each be deferred. */
function checkIdList(p: Problems, property: string, value: unknown, min: number, max: number,
    pattern: RegExp, what: string, optional: boolean): void {
    if (isDeferred(value)) return;
    if (!p.list(property, value, min, max, optional)) return;
    const seen = new Set<unknown>();
    (value as unknown[]).forEach((id, i) => {
        if (isDeferred(id)) return;
        if (p.matches(`${property}[${i}]`, id, pattern, what)) {
            if (seen.has(id)) p.add(`${property}[${i}]`, `\`${property}[${i}]\` repeats ${describeValue(id)}; list each once`);
            seen.add(id);
        }
    });
}

/**
 * `instanceTypes` or `instanceRequirements`, one of them; with requirements, a Spot allocation
 * strategy Auto Scaling allows with them and CPU manufacturers that run the AMI family's architecture.
 */
function checkInstanceChoiceArgs(p: Problems, a: Record<string, unknown>): void {
    const choice = checkInstanceChoice(p, a.instanceTypes, a.instanceRequirements);
    if (choice === "types") checkInstanceTypes(p, a.instanceTypes);
    if (choice !== "requirements") return;
    checkInstanceRequirements(p, "instanceRequirements", a.instanceRequirements);
    if (a.spotAllocationStrategy === "capacity-optimized-prioritized") {
        p.add("spotAllocationStrategy", "`spotAllocationStrategy` \"capacity-optimized-prioritized\" needs an ordered `instanceTypes` list: "
            + "Auto Scaling refuses it with `instanceRequirements`; use one of \"price-capacity-optimized\", \"capacity-optimized\", \"lowest-price\"");
    }
    const makers = (a.instanceRequirements as { cpuManufacturers?: unknown } | undefined)?.cpuManufacturers;
    const family = a.imageId === undefined ? (a.amiFamily ?? DEFAULTS.amiFamily) : undefined;
    if (Array.isArray(makers) && makers.every((m) => (CPU_MANUFACTURERS as readonly unknown[]).includes(m)) && typeof family === "string" && (AMI_FAMILIES as readonly string[]).includes(family)) {
        const fits = manufacturersFor(family.endsWith("arm64") ? "arm64" : "x86_64");
        if (!makers.some((m) => (fits as unknown[]).includes(m))) {
            p.add("instanceRequirements.cpuManufacturers", `\`instanceRequirements.cpuManufacturers\` must include one of ${fits.map((m) => `"${m}"`).join(", ")} `
                + `for amiFamily "${family}", got ${makers.map((m) => JSON.stringify(m)).join(", ")}: no instance type would run the AMI`);
        }
    }
}

function checkInstanceTypes(p: Problems, value: unknown): void {
    if (!p.list("instanceTypes", value, 1, 40)) return;
    const seen = new Set<string>();
    (value as unknown[]).forEach((t, i) => {
        if (p.format(`instanceTypes[${i}]`, t, FORMATS.instanceType)) {
            if (seen.has(t)) p.add(`instanceTypes[${i}]`, `\`instanceTypes[${i}]\` repeats "${t}"; list each type once`);
            seen.add(t);
        }
    });
}

function checkSpot(p: Problems, a: Record<string, unknown>): void {
    p.integer("onDemandPercentageAboveBaseCapacity", a.onDemandPercentageAboveBaseCapacity, ...ARGUMENT_RANGES.onDemandPercentageAboveBaseCapacity, true);
    p.oneOf("spotAllocationStrategy", a.spotAllocationStrategy, SPOT_ALLOCATION_STRATEGIES, true);
    p.boolean("capacityRebalance", a.capacityRebalance, true);
    p.boolean("managedDraining", a.managedDraining, true);
}

function checkImage(p: Problems, a: Record<string, unknown>): void {
    if (a.imageId !== undefined && a.amiFamily !== undefined) {
        p.add("amiFamily", "give either `imageId` (pin an AMI) or `amiFamily` (latest ECS-optimized AMI), not both");
    }
    if (!isDeferred(a.imageId)) p.matches("imageId", a.imageId, IMAGE_ID_PATTERN, "an AMI id (ami-…)", true);
    p.oneOf("amiFamily", a.amiFamily, AMI_FAMILIES, true);
}

function checkInstanceSettings(p: Problems, a: Record<string, unknown>): void {
    p.integer("rootVolumeSizeGiB", a.rootVolumeSizeGiB, ...ARGUMENT_RANGES.rootVolumeSizeGiB, true);
    if (!isDeferred(a.rootVolumeKmsKeyId)) {
        p.matches("rootVolumeKmsKeyId", a.rootVolumeKmsKeyId, /^\S{1,2048}$/, "a KMS key id, alias or ARN", true);
    }
    if (!isDeferred(a.keyName)) p.matches("keyName", a.keyName, /^[\x20-\x7e]{1,255}$/, "a key pair name of 1-255 printable characters", true);
    p.integer("containerStopTimeoutSeconds", a.containerStopTimeoutSeconds, ...ARGUMENT_RANGES.containerStopTimeoutSeconds, true);
    p.integer("metadataHopLimit", a.metadataHopLimit, ...ARGUMENT_RANGES.metadataHopLimit, true);
    p.boolean("enableSsm", a.enableSsm, true);
    p.boolean("enableScaler", a.enableScaler, true);
    p.boolean("dashboard", a.dashboard, true);
    checkAttributes(p, a.instanceAttributes);
    checkEcsConfig(p, a.ecsConfig);
    if (a.extraUserData !== undefined) {
        if (typeof a.extraUserData !== "string") {
            p.add("extraUserData", `\`extraUserData\` must be a string of shell commands, got ${describeValue(a.extraUserData)}`);
        } else if (Buffer.byteLength(a.extraUserData, "utf8") > MAX_EXTRA_USER_DATA_BYTES) {
            p.add("extraUserData", `\`extraUserData\` must be at most ${MAX_EXTRA_USER_DATA_BYTES} bytes, got ${Buffer.byteLength(a.extraUserData, "utf8")}`);
        }
    }
    checkTags(p, a.tags);
}

/** Custom attributes a user may give every instance: ECS's 10, less the scaler's drain mark. */
export const MAX_INSTANCE_ATTRIBUTES = 9;

function checkAttributes(p: Problems, value: unknown): void {
    if (!p.object("instanceAttributes", value, true)) return;
    const entries = Object.entries(value as Record<string, unknown>);
    // ECS allows 10 custom attributes per container instance, and the scaler's drain mark is one of them.
    if (entries.length > MAX_INSTANCE_ATTRIBUTES) {
        p.add("instanceAttributes", `\`instanceAttributes\` may hold at most ${MAX_INSTANCE_ATTRIBUTES} attributes (ECS allows 10 per instance and the scaler's drain mark takes one), got ${entries.length}`);
    }
    for (const [k, v] of entries) {
        if (!ATTRIBUTE_NAME_PATTERN.test(k)) {
            p.add(`instanceAttributes.${k}`, `\`instanceAttributes\` key must be 1-128 letters, digits, "_", "-", ".", "/" or "\\", got ${describeValue(k)}`);
        }
        p.matches(`instanceAttributes.${k}`, v, ATTRIBUTE_VALUE_PATTERN,
            "1-128 letters, digits, spaces or \"_-.@/\\:\"", false);
    }
}

function checkEcsConfig(p: Problems, value: unknown): void {
    if (!p.object("ecsConfig", value, true)) return;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (!ECS_CONFIG_KEY_PATTERN.test(k)) {
            p.add(`ecsConfig.${k}`, `\`ecsConfig\` keys must be upper-case agent settings such as ECS_RESERVED_MEMORY (A-Z, 0-9, _), got ${describeValue(k)}`);
            continue;
        }
        if (k in MANAGED_ECS_CONFIG_KEYS) {
            p.add(`ecsConfig.${k}`, `\`ecsConfig.${k}\` is written by the component; set ${MANAGED_ECS_CONFIG_KEYS[k]} instead`);
            continue;
        }
        if (typeof v !== "string" || /[\r\n\0]/.test(v) || v.length > 4096) {
            p.add(`ecsConfig.${k}`, `\`ecsConfig.${k}\` must be a single-line string of at most 4096 characters, got ${describeValue(v)}`);
        }
    }
}

function checkTags(p: Problems, value: unknown): void {
    if (!p.object("tags", value, true)) return;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > 40) p.add("tags", `\`tags\` may hold at most 40 tags, got ${entries.length}`);
    for (const [k, v] of entries) {
        if (k.length === 0 || k.length > 128 || k.toLowerCase().startsWith("aws:")) {
            p.add(`tags.${k}`, `\`tags\` keys must be 1-128 characters and not start with "aws:", got ${describeValue(k)}`);
        }
        if (typeof v !== "string" || v.length > 256) {
            p.add(`tags.${k}`, `\`tags.${k}\` must be a string of at most 256 characters, got ${describeValue(v)}`);
        }
    }
}
