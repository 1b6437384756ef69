// The TypeScript component: SpotEcsCluster with its TypeScript arguments (`runner: false`), its
// scaler a Node.js dynamic resource. Its resources are built in build.ts; its outputs are those of the
// package's class (package.ts), which it extends.
import * as pulumi from "@pulumi/pulumi";
import { SpotEcsClusterArgs } from "./args";
import { packageArgs, SpotEcsCluster as PackageSpotEcsCluster } from "./package";
import { LastRun } from "../provider/dynamic";

export { AlarmArns, defaultClusterName, SPOT_ECS_CLUSTER_TYPE } from "./build";

/**
 * An ECS cluster on EC2 Spot capacity: instance role and profile, launch template, a mixed
 * Spot/On-Demand Auto Scaling group and alarms on the cluster's reservation metrics.
 */
export class SpotEcsCluster extends PackageSpotEcsCluster {
    /** What the scaler did in the last `pulumi up`; null before its first run or without a scaler. */
    declare public readonly lastRun: pulumi.Output<LastRun | null>;

    constructor(name: string, args: SpotEcsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(name, packageArgs(args), opts, "dynamic");
    }
}
