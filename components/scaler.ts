import * as pulumi from "@pulumi/pulumi";
import { LastRun, scalerProvider } from "../provider/dynamic";
import { ScalerSettings } from "../provider/settings";

/**
 * The scaler's settings as resource inputs: every one of the provider's settings, each possibly an
 * Output. The group's bounds, instance types and On-Demand base are the values as declared, so that a
 * preview plans what the group is about to become.
 */
export type ScalerArgs = { [K in keyof Required<ScalerSettings>]: pulumi.Input<ScalerSettings[K]> };

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

/** Which resource carries the scaler: a Node.js dynamic resource, or a resource of the `spot-ecs` package's provider. */
export type ScalerKind = "dynamic" | "package";

/** The scaler's type as a resource of the `spot-ecs` package, served by the package's own provider process. */
export const PACKAGE_SCALER_TYPE = "spot-ecs:index:Scaler";

/**
 * The scaler of a cluster built by the `spot-ecs` package for a program in another language: the same
 * provider, served by the package's plugin rather than the engine's Node.js dynamic-provider plugin,
 * which looks for `@pulumi/pulumi` from the program's directory and finds none there
 * (docs/packages.md). Its inputs carry no serialized provider.
 */
export class PackageScaler extends pulumi.CustomResource {
    /** The plan shown in `pulumi preview --diff`, one line per step. */
    declare readonly plan: pulumi.Output<string[]>;
    /** What the last `pulumi up` did. */
    declare readonly lastRun: pulumi.Output<LastRun | null>;

    constructor(name: string, args: ScalerArgs, opts?: pulumi.CustomResourceOptions) {
        super(PACKAGE_SCALER_TYPE, name, { ...args, plan: undefined, lastRun: undefined },
            { ...opts, hideDiffs: [...(opts?.hideDiffs ?? []), "lastRun"] });
    }
}
