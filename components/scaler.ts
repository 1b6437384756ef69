import * as pulumi from "@pulumi/pulumi";
import { LastRun, scalerProvider } from "../provider/dynamic";
import { DrainingPolicy, ScalingPolicy } from "../provider/policy";

/** Inputs of the scaler resource; every value comes from the component's own resources and arguments. */
export interface ScalerArgs {
    region: pulumi.Input<string>;
    clusterName: pulumi.Input<string>;
    autoScalingGroupName: pulumi.Input<string>;
    launchTemplateId: pulumi.Input<string>;
    launchTemplateVersion: pulumi.Input<string>;
    targetGroupArns: pulumi.Input<pulumi.Input<string>[]>;
    /** The group's bounds and instance types as declared, so a preview plans what the group is about to become. */
    minSize: number;
    maxSize: number;
    instanceTypes: string[];
    /** The On-Demand base as declared: the scaler applies it, and restores it after a fallback to On-Demand. */
    onDemandBaseCapacity: number;
    scaling: ScalingPolicy;
    draining: DrainingPolicy;
}

export const SCALER_TYPE = "pulumi-nodejs:dynamic/spot-ecs:Scaler";

/**
 * The scaler: a dynamic resource that plans in every preview (its `plan` property) and scales,
 * drains and replaces instances in `pulumi up`.
 */
export class Scaler extends pulumi.dynamic.Resource {
    /** The plan shown in `pulumi preview --diff`, one line per step. */
    declare readonly plan: pulumi.Output<string[]>;
    /** What the last `pulumi up` did: when, each action's outcome, each instance's outcome. */
    declare readonly lastRun: pulumi.Output<LastRun | null>;

    constructor(name: string, args: ScalerArgs, opts?: pulumi.CustomResourceOptions) {
        // The run record changes with every up and is no change of the scaler's: previews do not show its diff.
        super(scalerProvider, name, { ...args, plan: undefined, lastRun: undefined },
            { ...opts, hideDiffs: [...(opts?.hideDiffs ?? []), "lastRun"] }, "spot-ecs", "Scaler");
    }
}
