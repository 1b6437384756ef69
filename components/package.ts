// SpotEcsCluster with the arguments a Pulumi package schema can carry: the class the `spot-ecs`
// package serves to every Pulumi language (plugin/), from which Pulumi infers the package's schema
// (its `args` interface, its outputs, their doc comments), and which the TypeScript class extends.
import * as pulumi from "@pulumi/pulumi";
import { RunnerArgs, SpotEcsClusterArgs, SpotEcsClusterCommonArgs } from "./args";
import { AlarmArns, clusterOutputs, ClusterOutputs, SPOT_ECS_CLUSTER_TYPE } from "./build";
import { ScalerKind } from "./scaler";
import { validateArgs } from "./validate";

/** The runner's settings, and whether the component creates it. */
export interface RunnerPackageArgs extends RunnerArgs {
    /** Creates the runner; `false` for none (what `runner: false` is in TypeScript). @default true */
    enabled?: boolean;
}

/**
 * Arguments of a SpotEcsCluster from any Pulumi language: those of the TypeScript component, with
 * `runner` an object whose `enabled` says whether there is one (a schema has no `false | object`).
 */
export interface SpotEcsClusterPackageArgs extends SpotEcsClusterCommonArgs {
    /** The runner, which scales and drains between deploys, with a lease so that it and `pulumi up` never act at once; `enabled: false` for none (needs `enableScaler`). @default see {@link RunnerPackageArgs} */
    runner?: RunnerPackageArgs;
}

/** The TypeScript component's arguments from the package's; any other value of `runner` is left for validation to name. */
export function nodeArgs(args: SpotEcsClusterPackageArgs): SpotEcsClusterArgs {
    if (typeof args !== "object" || args === null) return args;
    const { runner, ...rest } = args;
    if (typeof runner !== "object" || runner === null || Array.isArray(runner)) return args as SpotEcsClusterArgs;
    const { enabled, ...settings } = runner;
    return { ...rest, runner: enabled === false ? false : settings };
}

/** The package's arguments from the TypeScript component's: `runner: false` is `runner: { enabled: false }`. */
export function packageArgs(args: SpotEcsClusterArgs): SpotEcsClusterPackageArgs {
    return args?.runner === false ? { ...args, runner: { enabled: false } } : args as SpotEcsClusterPackageArgs;
}

/**
 * An ECS cluster on EC2 Spot capacity: instance role and profile, launch template, a mixed
 * Spot/On-Demand Auto Scaling group, alarms on the cluster's reservation metrics, and the scaler that
 * plans every drain in `pulumi preview` and carries it out in `pulumi up`.
 */
export class SpotEcsCluster extends pulumi.ComponentResource {
    /** Name of the ECS cluster the instances join. */
    declare public readonly clusterName: pulumi.Output<string>;
    /** ARN of that cluster. */
    declare public readonly clusterArn: pulumi.Output<string>;
    /** Name of the Auto Scaling group. */
    declare public readonly autoScalingGroupName: pulumi.Output<string>;
    /** Id of the launch template. */
    declare public readonly launchTemplateId: pulumi.Output<string>;
    /** Launch template version every instance should run. */
    declare public readonly launchTemplateVersion: pulumi.Output<string>;
    /** ARN of the instances' IAM role. */
    declare public readonly instanceRoleArn: pulumi.Output<string>;
    /** ARN of the instance profile. */
    declare public readonly instanceProfileArn: pulumi.Output<string>;
    /** Security groups of the instances (given or created). */
    declare public readonly securityGroupIds: pulumi.Output<string[]>;
    /** ARNs of the CPU and memory reservation alarms. */
    declare public readonly alarmArns: pulumi.Output<AlarmArns>;
    /** Name of the CloudWatch dashboard; undefined with `dashboard: false`. */
    declare public readonly dashboardName: pulumi.Output<string | undefined>;
    /** Console address of the dashboard; undefined with `dashboard: false`. */
    declare public readonly dashboardUrl: pulumi.Output<string | undefined>;
    /**
     * Name of the ECS capacity provider with managed draining; undefined with `managedDraining: false`.
     * For `existingClusterName`, add it to the cluster's capacity providers yourself.
     */
    declare public readonly capacityProviderName: pulumi.Output<string | undefined>;
    /**
     * The scaler's plan as `pulumi preview --diff` shows it; after an up that carried it out, its notes only
     * (the plan itself is in `lastRun`). Empty without a scaler.
     */
    declare public readonly plan: pulumi.Output<string[]>;
    /** What the scaler did in the last `pulumi up` (the fields of the TypeScript type `LastRun`); none before its first run or without a scaler. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    declare public readonly lastRun: pulumi.Output<any>;
    /**
     * URN of the scaler resource, for `pulumi up --target <scalerUrn>`: a run of the scaler alone, which
     * takes the lease as any up does (see docs/runner.md); undefined without a scaler.
     */
    declare public readonly scalerUrn: pulumi.Output<string | undefined>;
    /**
     * The IAM policy (JSON) that the credentials running `pulumi up` need for the scaler, besides what
     * creating the resources takes: scoped to this cluster, group and target groups; undefined without a scaler.
     */
    declare public readonly scalerPolicy: pulumi.Output<string | undefined>;
    /** The IAM policy (JSON) a `pulumi preview` needs for the scaler (reads only); undefined without a scaler. */
    declare public readonly scalerPreviewPolicy: pulumi.Output<string | undefined>;
    /** Name of the runner's Lambda function; undefined with `runner: false`. */
    declare public readonly runnerFunctionName: pulumi.Output<string | undefined>;
    /** Name of the DynamoDB table holding the cluster's lease (for `spot-ecs run --lease-table`); undefined with `runner: false`. */
    declare public readonly leaseTableName: pulumi.Output<string | undefined>;

    /**
     * `scaler`: the scaler a Node.js dynamic resource (`"dynamic"`, the TypeScript component), or a
     * resource of the package's own provider (`"package"`, the package's default).
     */
    constructor(name: string, args: SpotEcsClusterPackageArgs, opts?: pulumi.ComponentResourceOptions, scaler: ScalerKind = "package") {
        const converted = nodeArgs(args);
        validateArgs(converted, `SpotEcsCluster "${name}"`);
        super(SPOT_ECS_CLUSTER_TYPE, name, {}, opts);
        const outputs: ClusterOutputs = clusterOutputs(name, converted, this, scaler);
        // A package schema has no null: no run yet is an absent output there.
        if (scaler === "package") outputs.lastRun = outputs.lastRun.apply((r) => r ?? undefined) as ClusterOutputs["lastRun"];
        Object.assign(this, outputs);
        this.registerOutputs(outputs);
    }
}
