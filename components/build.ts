// Every resource of a SpotEcsCluster, built under the component (the TypeScript class in cluster.ts,
// the package's in package.ts), and the outputs both give.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createAlarms } from "./alarms";
import { AMI_PARAMETERS } from "./ami";
import { resolveArgs, ResolvedArgs, SpotEcsClusterArgs } from "./args";
import { createAutoScalingGroup } from "./autoScalingGroup";
import { createCapacityProvider } from "./capacityProvider";
import { createDashboard } from "./dashboard";
import { createInstanceIdentity } from "./iam";
import { createLaunchTemplate } from "./launchTemplate";
import { createRunner, RunnerResources } from "./runner";
import { validateArgs } from "./validate";
import { PackageScaler, Scaler, ScalerKind } from "./scaler";
import { LastRun } from "../provider/dynamic";
import { PolicyScope, scalerPolicy } from "../provider/permissions";

export const SPOT_ECS_CLUSTER_TYPE = "spot-ecs:index:SpotEcsCluster";

/** ARNs of the two reservation alarms (scale-out). */
export interface AlarmArns {
    cpuHigh: string;
    memoryHigh: string;
}

/** Turns a component name into a valid ECS cluster name. */
export function defaultClusterName(componentName: string): string {
    return componentName.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 255);
}

/** The outputs of a SpotEcsCluster, by name (documented on the class, components/package.ts). */
export interface ClusterOutputs {
    clusterName: pulumi.Output<string>;
    clusterArn: pulumi.Output<string>;
    autoScalingGroupName: pulumi.Output<string>;
    launchTemplateId: pulumi.Output<string>;
    launchTemplateVersion: pulumi.Output<string>;
    instanceRoleArn: pulumi.Output<string>;
    instanceProfileArn: pulumi.Output<string>;
    securityGroupIds: pulumi.Output<string[]>;
    alarmArns: pulumi.Output<AlarmArns>;
    dashboardName: pulumi.Output<string | undefined>;
    dashboardUrl: pulumi.Output<string | undefined>;
    capacityProviderName: pulumi.Output<string | undefined>;
    plan: pulumi.Output<string[]>;
    lastRun: pulumi.Output<LastRun | null>;
    scalerUrn: pulumi.Output<string | undefined>;
    scalerPolicy: pulumi.Output<string | undefined>;
    scalerPreviewPolicy: pulumi.Output<string | undefined>;
    runnerFunctionName: pulumi.Output<string | undefined>;
    leaseTableName: pulumi.Output<string | undefined>;
}

/**
 * Creates every resource of the cluster under `parent` (validated arguments) and returns its outputs.
 * The scaler is a Node.js dynamic resource (`"dynamic"`), or, for the `spot-ecs` package that other
 * languages use, a resource of the package's own provider (`"package"`).
 */
export function clusterOutputs(name: string, args: SpotEcsClusterArgs, parent: pulumi.ComponentResource, scaler: ScalerKind): ClusterOutputs {
    const parts = buildCluster(name, resolveArgs(args), knownLater(name, args), parent, scaler);
    return {
        clusterName: parts.clusterName,
        clusterArn: parts.clusterArn,
        autoScalingGroupName: parts.group.name,
        launchTemplateId: parts.launchTemplate.id,
        launchTemplateVersion: parts.launchTemplateVersion,
        instanceRoleArn: parts.identity.role.arn,
        instanceProfileArn: parts.identity.profile.arn,
        securityGroupIds: parts.securityGroupIds,
        alarmArns: pulumi.all([parts.alarms.cpuHigh.arn, parts.alarms.memoryHigh.arn]).apply(([cpuHigh, memoryHigh]) => ({ cpuHigh, memoryHigh })),
        dashboardName: parts.dashboard?.dashboard.dashboardName ?? pulumi.output(undefined),
        dashboardUrl: parts.dashboard?.url ?? pulumi.output(undefined),
        capacityProviderName: parts.capacity?.provider.name ?? pulumi.output(undefined),
        plan: parts.scaler?.plan ?? pulumi.output([]),
        lastRun: parts.scaler?.lastRun ?? pulumi.output(null),
        scalerUrn: parts.scaler?.urn ?? pulumi.output(undefined),
        scalerPolicy: parts.policies?.up ?? pulumi.output(undefined),
        scalerPreviewPolicy: parts.policies?.preview ?? pulumi.output(undefined),
        runnerFunctionName: parts.runner?.fn.name ?? pulumi.output(undefined),
        leaseTableName: parts.runner?.table.name ?? pulumi.output(undefined),
    };
}


/** The arguments that may be Outputs, as one Output of their values, validated again once known. */
type KnownLater = pulumi.Output<pulumi.Unwrap<Pick<SpotEcsClusterArgs, "subnetIds" | "existingClusterName" | "vpcId" | "securityGroupIds"
    | "targetGroupArns" | "imageId" | "keyName" | "rootVolumeKmsKeyId">>>;

/**
 * Arguments that are Outputs are validated again, with the same rules, once their values are known;
 * every resource takes them from here, so none is created from an invalid value.
 */
function knownLater(name: string, args: SpotEcsClusterArgs): KnownLater {
    return pulumi.output({
        existingClusterName: args.existingClusterName,
        vpcId: args.vpcId,
        subnetIds: args.subnetIds,
        securityGroupIds: args.securityGroupIds,
        targetGroupArns: args.targetGroupArns,
        imageId: args.imageId,
        keyName: args.keyName,
        rootVolumeKmsKeyId: args.rootVolumeKmsKeyId,
    }).apply((values) => {
        try {
            validateArgs({ ...args, ...values } as SpotEcsClusterArgs, `SpotEcsCluster "${name}"`);
        } catch (error) {
            throw reportOnce(error as Error);
        }
        return values;
    });
}

/** Every resource of the component, in the order each needs the others. */
function buildCluster(name: string, a: ResolvedArgs, known: KnownLater, parent: pulumi.ComponentResource, scalerKind: ScalerKind) {
    const { clusterName, clusterArn } = ecsCluster(name, a, known, parent);
    const identity = createInstanceIdentity(name, a.enableSsm, a.tags, parent);
    const securityGroupIds = instanceSecurityGroups(name, a, known, parent);
    const imageId = a.imageId !== undefined
        ? known.apply((k) => k.imageId!)
        : aws.ssm.getParameterOutput({ name: AMI_PARAMETERS[a.amiFamily] }, { parent }).value;
    const launchTemplate = createLaunchTemplate(name, {
        imageId,
        instanceProfileArn: identity.profile.arn,
        securityGroupIds,
        rootVolumeSizeGiB: a.rootVolumeSizeGiB,
        rootVolumeKmsKeyId: known.apply((k) => k.rootVolumeKmsKeyId),
        keyName: known.apply((k) => k.keyName),
        metadataHopLimit: a.metadataHopLimit,
        userData: clusterName.apply((n) => ({
            clusterName: n,
            containerStopTimeoutSeconds: a.containerStopTimeoutSeconds,
            instanceAttributes: a.instanceAttributes,
            ecsConfig: a.ecsConfig,
            extraUserData: a.extraUserData,
        })),
        tags: a.tags,
    }, parent);
    const launchTemplateVersion = launchTemplate.latestVersion.apply((v) => String(v));
    const targetGroupArns = known.apply((k) => k.targetGroupArns ?? []);
    const group = createAutoScalingGroup(name, {
        ...a,
        subnetIds: known.apply((k) => k.subnetIds),
        launchTemplateId: launchTemplate.id,
        launchTemplateVersion,
        targetGroupArns,
        scalerOwnsOnDemandBase: a.enableScaler,
        retainOnAbandon: a.runner?.terminationHook === true,
    }, parent);
    const capacity = managedDrainingFor(name, a, clusterName, group, parent);
    const alarms = createAlarms(name, { clusterName, autoScalingGroupName: group.name, ...a.scaling, tags: a.tags }, parent);
    const region = aws.getRegionOutput({}, { parent }).region;
    const settings = {
        region,
        clusterName,
        autoScalingGroupName: group.name,
        launchTemplateId: launchTemplate.id,
        launchTemplateVersion,
        targetGroupArns,
        minSize: a.minSize,
        maxSize: a.maxSize,
        instanceTypes: a.instanceTypes,
        instanceRequirements: a.instanceRequirements,
        onDemandBaseCapacity: a.onDemandBaseCapacity,
        scaling: a.scaling,
        draining: a.draining,
        maintenance: a.maintenance,
    };
    const runner = a.runner === undefined ? undefined : createRunner(name, a.runner, {
        clusterName, clusterArn, groupArn: group.arn, groupName: group.name, settings: pulumi.output(settings), tags: a.tags,
    }, a.draining.standaloneTasks === "stop", parent);
    const scalerArgs = { ...settings, leaseTable: runner?.table.name, runner: runner?.settings };
    const scalerOpts = { parent, dependsOn: [group, alarms.scaleOutPolicy] };
    const scaler = !a.enableScaler ? undefined
        : scalerKind === "dynamic" ? new Scaler(`${name}-scaler`, scalerArgs, scalerOpts) : new PackageScaler(`${name}-scaler`, scalerArgs, scalerOpts);
    const dashboard = !a.dashboard ? undefined : createDashboard(name, {
        region,
        clusterName,
        autoScalingGroupName: group.name,
        alarmArns: [alarms.cpuHigh.arn, alarms.memoryHigh.arn,
            ...(runner === undefined ? [] : [runner.errorsAlarm.arn, runner.stoppedAlarm.arn]),
            ...(runner?.hook === undefined ? [] : [runner.hook.retainedAlarm.arn])],
        scaling: a.scaling,
        ...(runner === undefined ? {} : { runnerFunctionName: runner.fn.name }),
    }, parent);
    const policies = scaler === undefined ? undefined : scalerPolicies(a, clusterArn, group.arn, targetGroupArns, runner);
    return { clusterName, clusterArn, identity, securityGroupIds, launchTemplate, launchTemplateVersion, group, capacity, alarms, scaler, dashboard,
        policies, runner };
}

/** The scaler's IAM policies (JSON) for an up and for a preview, scoped to the cluster, group, target groups and lease table. */
function scalerPolicies(a: ResolvedArgs, clusterArn: pulumi.Output<string>, groupArn: pulumi.Output<string>, targetGroupArns: pulumi.Output<string[]>,
    runner: RunnerResources | undefined) {
    const scope = pulumi.all([clusterArn, groupArn, targetGroupArns, runner?.table.arn])
        .apply(([c, g, t, lease]): PolicyScope => ({ clusterArn: c, autoScalingGroupArn: g, targetGroupArns: t, ...(lease === undefined ? {} : { leaseTableArn: lease }) }));
    const stopsTasks = a.draining.standaloneTasks === "stop";
    return {
        up: scope.apply((s) => JSON.stringify(scalerPolicy(s, { access: "up", stopsTasks }), null, 2)),
        preview: scope.apply((s) => JSON.stringify(scalerPolicy(s, { access: "preview" }), null, 2)),
    };
}

/** The ECS cluster the instances join: created, or the existing one named. */
function ecsCluster(name: string, a: ResolvedArgs, known: KnownLater, parent: pulumi.Resource) {
    if (a.existingClusterName !== undefined) {
        const clusterName = known.apply((k) => k.existingClusterName!);
        return { clusterName, clusterArn: aws.ecs.getClusterOutput({ clusterName }, { parent }).arn };
    }
    const cluster = new aws.ecs.Cluster(`${name}-cluster`, {
        name: a.clusterName ?? defaultClusterName(name),
        settings: [{ name: "containerInsights", value: a.containerInsights ? "enabled" : "disabled" }],
        tags: a.tags,
    }, { parent });
    return { clusterName: cluster.name, clusterArn: cluster.arn };
}

/** The instances' security groups: the ones given, or one created in `vpcId`, egress only. */
function instanceSecurityGroups(name: string, a: ResolvedArgs, known: KnownLater, parent: pulumi.Resource): pulumi.Output<string[]> {
    if (a.securityGroupIds !== undefined) return known.apply((k) => k.securityGroupIds!);
    const sg = new aws.ec2.SecurityGroup(`${name}-instances`, {
        description: `ECS container instances of ${name}: egress only`,
        vpcId: known.apply((k) => k.vpcId!),
        egress: [{
            description: "All outbound traffic",
            protocol: "-1",
            fromPort: 0,
            toPort: 0,
            cidrBlocks: ["0.0.0.0/0"],
            ipv6CidrBlocks: ["::/0"],
        }],
        tags: a.tags,
    }, { parent });
    return pulumi.output([sg.id]);
}

/**
 * The capacity provider with managed draining, unless turned off; without it, a warning when the
 * group's own Spot replacements would kill tasks.
 */
function managedDrainingFor(name: string, a: ResolvedArgs, clusterName: pulumi.Output<string>, group: aws.autoscaling.Group,
    parent: pulumi.Resource) {
    if (!a.managedDraining && a.runner?.terminationHook !== true && a.capacityRebalance) {
        pulumi.log.warn(`SpotEcsCluster "${name}": capacityRebalance is on and managedDraining is off, so instances the group `
            + "replaces on a rebalance recommendation are terminated without a drain and their tasks are killed; "
            + "turn managedDraining on (the default without the runner), use the runner's termination hook, or turn capacityRebalance off", parent);
    }
    if (!a.managedDraining) return undefined;
    return createCapacityProvider(name, {
        autoScalingGroupArn: group.arn,
        autoScalingGroupName: group.name,
        clusterName: a.existingClusterName === undefined ? clusterName : undefined,
        tags: a.tags,
    }, parent);
}

/**
 * The error of an argument found invalid only once its value was known. Every resource built from
 * that value fails with this same error; the Pulumi runner reports an error object once, but the SDK
 * prefixes its message with each property it was serializing. Its message is pinned so that the one
 * report reads as the validation message alone, and it is a RunError, reported without a stack trace.
 */
function reportOnce(error: Error): Error {
    const message = error.message;
    const pinned = Object.assign(new pulumi.RunError(message), { errors: (error as { errors?: unknown }).errors });
    Object.defineProperty(pinned, "message", { get: () => message, set: () => undefined, enumerable: false, configurable: false });
    return pinned;
}
