import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createAlarms } from "./alarms";
import { AMI_PARAMETERS } from "./ami";
import { DEFAULTS, resolveDraining, resolveScaling, SpotEcsClusterArgs } from "./args";
import { createAutoScalingGroup } from "./autoScalingGroup";
import { createCapacityProvider } from "./capacityProvider";
import { createDashboard } from "./dashboard";
import { createInstanceIdentity } from "./iam";
import { createLaunchTemplate } from "./launchTemplate";
import { validateArgs } from "./validate";
import { Scaler } from "./scaler";
import { LastRun } from "../provider/dynamic";

export const SPOT_ECS_CLUSTER_TYPE = "spot-ecs:index:SpotEcsCluster";

/** ARNs of the four reservation alarms. */
export interface AlarmArns {
    cpuHigh: string;
    cpuLow: string;
    memoryHigh: string;
    memoryLow: string;
}

/** Turns a component name into a valid ECS cluster name. */
export function defaultClusterName(componentName: string): string {
    return componentName.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 255);
}

/**
 * An ECS cluster on EC2 Spot capacity: instance role and profile, launch template, a mixed
 * Spot/On-Demand Auto Scaling group and alarms on the cluster's reservation metrics.
 */
export class SpotEcsCluster extends pulumi.ComponentResource {
    /** Name of the ECS cluster the instances join. */
    public readonly clusterName: pulumi.Output<string>;
    /** ARN of that cluster. */
    public readonly clusterArn: pulumi.Output<string>;
    /** Name of the Auto Scaling group. */
    public readonly autoScalingGroupName: pulumi.Output<string>;
    /** Id of the launch template. */
    public readonly launchTemplateId: pulumi.Output<string>;
    /** Launch template version every instance should run. */
    public readonly launchTemplateVersion: pulumi.Output<string>;
    /** ARN of the instances' IAM role. */
    public readonly instanceRoleArn: pulumi.Output<string>;
    /** ARN of the instance profile. */
    public readonly instanceProfileArn: pulumi.Output<string>;
    /** Security groups of the instances (given or created). */
    public readonly securityGroupIds: pulumi.Output<string[]>;
    /** ARNs of the CPU and memory reservation alarms. */
    public readonly alarmArns: pulumi.Output<AlarmArns>;
    /** Name of the CloudWatch dashboard; undefined with `dashboard: false`. */
    public readonly dashboardName: pulumi.Output<string | undefined>;
    /** Console address of the dashboard; undefined with `dashboard: false`. */
    public readonly dashboardUrl: pulumi.Output<string | undefined>;
    /**
     * Name of the ECS capacity provider with managed draining; undefined with `managedDraining: false`.
     * For `existingClusterName`, add it to the cluster's capacity providers yourself.
     */
    public readonly capacityProviderName: pulumi.Output<string | undefined>;
    /**
     * The scaler's plan as `pulumi preview --diff` shows it; after an up that carried it out, its notes only
     * (the plan itself is in `lastRun`). Empty without a scaler.
     */
    public readonly plan: pulumi.Output<string[]>;
    /** What the scaler did in the last `pulumi up`; null before its first run or without a scaler. */
    public readonly lastRun: pulumi.Output<LastRun | null>;
    /**
     * URN of the scaler resource, for `pulumi up --target <scalerUrn>`: a run of the scaler alone between
     * deploys (see README "Between deploys"); undefined without a scaler.
     */
    public readonly scalerUrn: pulumi.Output<string | undefined>;

    constructor(name: string, args: SpotEcsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        validateArgs(args, `SpotEcsCluster "${name}"`);
        super(SPOT_ECS_CLUSTER_TYPE, name, {}, opts);
        const parent = this;
        const tags = { ...(args.tags ?? {}) };
        const scaling = resolveScaling(args.scaling);

        // Arguments that are Outputs are validated again, with the same rules, once their values are
        // known; every resource below takes them from here, so none is created from an invalid value.
        const known = pulumi.output({
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

        let clusterName: pulumi.Output<string>;
        let clusterArn: pulumi.Output<string>;
        if (args.existingClusterName !== undefined) {
            clusterName = known.apply((k) => k.existingClusterName!);
            clusterArn = aws.ecs.getClusterOutput({ clusterName }, { parent }).arn;
        } else {
            const cluster = new aws.ecs.Cluster(`${name}-cluster`, {
                name: args.clusterName ?? defaultClusterName(name),
                settings: [{
                    name: "containerInsights",
                    value: (args.containerInsights ?? DEFAULTS.containerInsights) ? "enabled" : "disabled",
                }],
                tags,
            }, { parent });
            clusterName = cluster.name;
            clusterArn = cluster.arn;
        }

        const subnetIds = known.apply((k) => k.subnetIds);

        const identity = createInstanceIdentity(name, args.enableSsm ?? DEFAULTS.enableSsm, tags, parent);

        let securityGroupIds: pulumi.Output<string[]>;
        if (args.securityGroupIds !== undefined) {
            securityGroupIds = known.apply((k) => k.securityGroupIds!);
        } else {
            const sg = new aws.ec2.SecurityGroup(`${name}-instances`, {
                description: `ECS container instances of ${name}: egress only`,
                vpcId: known.apply((k) => k.vpcId),
                egress: [{
                    description: "All outbound traffic",
                    protocol: "-1",
                    fromPort: 0,
                    toPort: 0,
                    cidrBlocks: ["0.0.0.0/0"],
                    ipv6CidrBlocks: ["::/0"],
                }],
                tags,
            }, { parent });
            securityGroupIds = pulumi.output([sg.id]);
        }

        const imageId = args.imageId !== undefined
            ? known.apply((k) => k.imageId!)
            : aws.ssm.getParameterOutput({ name: AMI_PARAMETERS[args.amiFamily ?? DEFAULTS.amiFamily] }, { parent }).value;

        const launchTemplate = createLaunchTemplate(name, {
            imageId,
            instanceProfileArn: identity.profile.arn,
            securityGroupIds,
            rootVolumeSizeGiB: args.rootVolumeSizeGiB ?? DEFAULTS.rootVolumeSizeGiB,
            rootVolumeKmsKeyId: known.apply((k) => k.rootVolumeKmsKeyId),
            keyName: known.apply((k) => k.keyName),
            metadataHopLimit: args.metadataHopLimit ?? DEFAULTS.metadataHopLimit,
            userData: clusterName.apply((n) => ({
                clusterName: n,
                containerStopTimeoutSeconds: args.containerStopTimeoutSeconds ?? DEFAULTS.containerStopTimeoutSeconds,
                instanceAttributes: args.instanceAttributes ?? {},
                ecsConfig: args.ecsConfig ?? {},
                extraUserData: args.extraUserData,
            })),
            tags,
        }, parent);
        const launchTemplateVersion = launchTemplate.latestVersion.apply((v) => String(v));

        const group = createAutoScalingGroup(name, {
            subnetIds,
            launchTemplateId: launchTemplate.id,
            launchTemplateVersion,
            instanceTypes: args.instanceTypes,
            minSize: args.minSize,
            maxSize: args.maxSize,
            desiredCapacity: args.desiredCapacity ?? args.minSize,
            onDemandBaseCapacity: args.onDemandBaseCapacity ?? DEFAULTS.onDemandBaseCapacity,
            onDemandPercentageAboveBaseCapacity: args.onDemandPercentageAboveBaseCapacity ?? DEFAULTS.onDemandPercentageAboveBaseCapacity,
            spotAllocationStrategy: args.spotAllocationStrategy ?? DEFAULTS.spotAllocationStrategy,
            capacityRebalance: args.capacityRebalance ?? DEFAULTS.capacityRebalance,
            targetGroupArns: known.apply((k) => k.targetGroupArns ?? []),
            scalerOwnsOnDemandBase: args.enableScaler ?? DEFAULTS.enableScaler,
            tags,
        }, parent);

        const managedDraining = args.managedDraining ?? DEFAULTS.managedDraining;
        const capacityRebalance = args.capacityRebalance ?? DEFAULTS.capacityRebalance;
        const capacity = managedDraining ? createCapacityProvider(name, {
            autoScalingGroupArn: group.arn,
            autoScalingGroupName: group.name,
            clusterName: args.existingClusterName === undefined ? clusterName : undefined,
            tags,
        }, parent) : undefined;
        if (!managedDraining && capacityRebalance) {
            pulumi.log.warn(`SpotEcsCluster "${name}": capacityRebalance is on and managedDraining is off, so instances the group `
                + "replaces on a rebalance recommendation are terminated without a drain and their tasks are killed; "
                + "turn managedDraining on (the default) or capacityRebalance off", this);
        }

        const alarms = createAlarms(name, {
            clusterName,
            autoScalingGroupName: group.name,
            ...scaling,
            tags,
        }, parent);

        const region = aws.getRegionOutput({}, { parent }).region;
        let scaler: Scaler | undefined;
        if (args.enableScaler ?? DEFAULTS.enableScaler) {
            scaler = new Scaler(`${name}-scaler`, {
                region,
                clusterName,
                autoScalingGroupName: group.name,
                launchTemplateId: launchTemplate.id,
                launchTemplateVersion,
                targetGroupArns: known.apply((k) => k.targetGroupArns ?? []),
                minSize: args.minSize,
                maxSize: args.maxSize,
                instanceTypes: args.instanceTypes,
                onDemandBaseCapacity: args.onDemandBaseCapacity ?? DEFAULTS.onDemandBaseCapacity,
                scaling,
                draining: resolveDraining(args.draining),
            }, { parent, dependsOn: [group, alarms.scaleOutPolicy] });
        }

        let dashboard: ReturnType<typeof createDashboard> | undefined;
        if (args.dashboard ?? DEFAULTS.dashboard) {
            dashboard = createDashboard(name, {
                region,
                clusterName,
                autoScalingGroupName: group.name,
                alarmArns: [alarms.cpuHigh.arn, alarms.cpuLow.arn, alarms.memoryHigh.arn, alarms.memoryLow.arn],
                scaling,
            }, parent);
        }

        this.clusterName = clusterName;
        this.clusterArn = clusterArn;
        this.autoScalingGroupName = group.name;
        this.launchTemplateId = launchTemplate.id;
        this.launchTemplateVersion = launchTemplateVersion;
        this.instanceRoleArn = identity.role.arn;
        this.instanceProfileArn = identity.profile.arn;
        this.securityGroupIds = securityGroupIds;
        this.alarmArns = pulumi.all([alarms.cpuHigh.arn, alarms.cpuLow.arn, alarms.memoryHigh.arn, alarms.memoryLow.arn])
            .apply(([cpuHigh, cpuLow, memoryHigh, memoryLow]) => ({ cpuHigh, cpuLow, memoryHigh, memoryLow }));
        this.dashboardName = dashboard?.dashboard.dashboardName ?? pulumi.output(undefined);
        this.dashboardUrl = dashboard?.url ?? pulumi.output(undefined);
        this.capacityProviderName = capacity?.provider.name ?? pulumi.output(undefined);
        this.plan = scaler?.plan ?? pulumi.output([]);
        this.lastRun = scaler?.lastRun ?? pulumi.output(null);
        this.scalerUrn = scaler?.urn ?? pulumi.output(undefined);

        this.registerOutputs({
            clusterName: this.clusterName,
            clusterArn: this.clusterArn,
            autoScalingGroupName: this.autoScalingGroupName,
            launchTemplateId: this.launchTemplateId,
            launchTemplateVersion: this.launchTemplateVersion,
            instanceRoleArn: this.instanceRoleArn,
            instanceProfileArn: this.instanceProfileArn,
            securityGroupIds: this.securityGroupIds,
            alarmArns: this.alarmArns,
            dashboardName: this.dashboardName,
            dashboardUrl: this.dashboardUrl,
            capacityProviderName: this.capacityProviderName,
            plan: this.plan,
            lastRun: this.lastRun,
            scalerUrn: this.scalerUrn,
        });
    }
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
