import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface CapacityProviderSettings {
    autoScalingGroupArn: pulumi.Input<string>;
    autoScalingGroupName: pulumi.Input<string>;
    /** The cluster to associate the provider with; undefined for an existing cluster, whose list is its owner's. */
    clusterName?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * ECS managed instance draining as the safety net for terminations the group starts on its own
 * (rebalancing, health replacement, a lowered maxSize, an instance refresh, a maximum lifetime): a
 * capacity provider for the group with managed draining on, and managed scaling and managed
 * termination protection off, so that the scaler alone decides capacity. It is associated with a
 * cluster the component created, with no default strategy, so services place tasks as before;
 * PutClusterCapacityProviders replaces a cluster's whole list, so an existing cluster is left alone.
 */
export function createCapacityProvider(name: string, s: CapacityProviderSettings, parent: pulumi.Resource) {
    const provider = new aws.ecs.CapacityProvider(`${name}-capacity-provider`, {
        // Names may not start with "aws", "ecs" or "fargate"; the group's name makes it unique in the region.
        name: pulumi.output(s.autoScalingGroupName).apply((g) => `spot-ecs-${g}`.slice(0, 255)),
        autoScalingGroupProvider: {
            autoScalingGroupArn: s.autoScalingGroupArn,
            managedDraining: "ENABLED",
            managedScaling: { status: "DISABLED" },
            managedTerminationProtection: "DISABLED",
        },
        tags: s.tags,
    }, { parent });
    const association = s.clusterName === undefined ? undefined : new aws.ecs.ClusterCapacityProviders(`${name}-capacity-providers`, {
        clusterName: s.clusterName,
        capacityProviders: [provider.name],
    }, { parent });
    return { provider, association };
}
