import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { InstanceRequirements } from "../provider/settings";
import { SpotAllocationStrategy } from "./args";

export interface AutoScalingGroupSettings {
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    launchTemplateId: pulumi.Input<string>;
    launchTemplateVersion: pulumi.Input<string>;
    /** The types in order of preference, or `instanceRequirements`: one of them. */
    instanceTypes?: string[];
    instanceRequirements?: InstanceRequirements;
    minSize: number;
    maxSize: number;
    desiredCapacity: number;
    onDemandBaseCapacity: number;
    onDemandPercentageAboveBaseCapacity: number;
    spotAllocationStrategy: SpotAllocationStrategy;
    capacityRebalance: boolean;
    targetGroupArns: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The scaler sets the On-Demand base (it falls back to On-Demand when Spot runs dry and applies
     * the declared value itself), so Pulumi ignores the group's value instead of reverting it.
     */
    scalerOwnsOnDemandBase: boolean;
    /**
     * The scaler's termination hook goes on the group: an instance whose hook ends in ABANDON (its drain
     * did not finish, or no runner answered) is retained (Terminating:Retained) rather than terminated.
     */
    retainOnAbandon: boolean;
    tags: Record<string, string>;
}

/**
 * Processes suspended on the group. AZRebalance terminates instances to even out zones without
 * draining them; with it suspended, every planned termination goes through the scaler's drain.
 */
export const SUSPENDED_PROCESSES = ["AZRebalance"];

/** The Spot/On-Demand Auto Scaling group. Pulumi ignores later desired-capacity changes: the scaler owns them. */
export function createAutoScalingGroup(name: string, s: AutoScalingGroupSettings, parent: pulumi.Resource): aws.autoscaling.Group {
    return new aws.autoscaling.Group(`${name}-asg`, {
        vpcZoneIdentifiers: s.subnetIds,
        minSize: s.minSize,
        maxSize: s.maxSize,
        desiredCapacity: s.desiredCapacity,
        capacityRebalance: s.capacityRebalance,
        // The group never picks a victim itself when it scales in: the scaler drains and terminates.
        protectFromScaleIn: true,
        healthCheckType: "EC2",
        suspendedProcesses: SUSPENDED_PROCESSES,
        targetGroupArns: s.targetGroupArns,
        ...(s.retainOnAbandon ? { instanceLifecyclePolicy: { retentionTriggers: { terminateHookAbandon: "retain" } } } : {}),
        metricsGranularity: "1Minute",
        enabledMetrics: ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances",
            "GroupTerminatingInstances", "GroupTotalInstances"],
        mixedInstancesPolicy: {
            instancesDistribution: {
                onDemandBaseCapacity: s.onDemandBaseCapacity,
                onDemandPercentageAboveBaseCapacity: s.onDemandPercentageAboveBaseCapacity,
                spotAllocationStrategy: s.spotAllocationStrategy,
                // Auto Scaling refuses "prioritized" (its default for a list of types) with InstanceRequirements.
                ...(s.instanceRequirements === undefined ? {} : { onDemandAllocationStrategy: "lowest-price" }),
            },
            launchTemplate: {
                launchTemplateSpecification: {
                    launchTemplateId: s.launchTemplateId,
                    version: s.launchTemplateVersion,
                },
                overrides: s.instanceRequirements !== undefined ? [{ instanceRequirements: groupRequirements(s.instanceRequirements) }]
                    : (s.instanceTypes ?? []).map((instanceType) => ({ instanceType })),
            },
        },
        tags: Object.entries({ Name: name, ...s.tags }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    }, { parent, ignoreChanges: ["desiredCapacity",
        ...(s.scalerOwnsOnDemandBase ? ["mixedInstancesPolicy.instancesDistribution.onDemandBaseCapacity"] : [])] });
}

/**
 * `instanceRequirements` as the group resource spells them: its names are the requirements' own but
 * `memoryMib` (validation has refused any other key).
 */
export function groupRequirements(r: InstanceRequirements): aws.types.input.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideInstanceRequirements {
    const { memoryMiB, ...rest } = r;
    return { ...rest, memoryMib: memoryMiB };
}
