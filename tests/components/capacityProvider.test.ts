// The safety net for terminations the group starts on its own: scale-in protection on the group and
// an ECS capacity provider with managed draining, under Pulumi's mocks.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, oneResource, resourcesOf, settle, valueOf, SMALL_CLUSTER_ARGS } from "../helpers/pulumiMocks";
import { SpotEcsCluster, SpotEcsClusterArgs } from "../../components";

const base: SpotEcsClusterArgs = SMALL_CLUSTER_ARGS;

/** Collects the warnings `pulumi.log.warn` is given while `fn` runs and the program settles. */
async function warningsOf(fn: () => void): Promise<string[]> {
    const warnings: string[] = [];
    const original = pulumi.log.warn;
    (pulumi.log as { warn: typeof pulumi.log.warn }).warn = (msg: string) => { warnings.push(msg); return Promise.resolve(); };
    try {
        fn();
        await settle();
    } finally {
        (pulumi.log as { warn: typeof pulumi.log.warn }).warn = original;
    }
    return warnings;
}

describe("SpotEcsCluster: every termination drained", () => {
    before(installMocks);

    describe("with defaults, on a cluster it creates", () => {
        let c: SpotEcsCluster;
        let warnings: string[];
        before(async () => {
            warnings = await warningsOf(() => { c = new SpotEcsCluster("mdr", base); });
        });

        it("protects the group's instances from scale-in", () => {
            assert.equal(oneResource("mdr", "aws:autoscaling/group:Group").inputs.protectFromScaleIn, true);
        });

        it("creates a capacity provider for the group with managed draining on, managed scaling and termination protection off", async () => {
            const cp = oneResource("mdr", "aws:ecs/capacityProvider:CapacityProvider");
            assert.deepEqual(cp.inputs.autoScalingGroupProvider, {
                autoScalingGroupArn: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/mdr-asg",
                managedDraining: "ENABLED",
                managedScaling: { status: "DISABLED" },
                managedTerminationProtection: "DISABLED",
            });
            assert.equal(cp.inputs.name, "spot-ecs-mdr-asg-7654321");
            assert.equal(await valueOf(c.capacityProviderName), "spot-ecs-mdr-asg-7654321");
        });

        it("associates it with the cluster without a default strategy", () => {
            const assoc = oneResource("mdr", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders");
            assert.equal(assoc.inputs.clusterName, "mdr");
            assert.deepEqual(assoc.inputs.capacityProviders, ["spot-ecs-mdr-asg-7654321"]);
            assert.equal(assoc.inputs.defaultCapacityProviderStrategies, undefined, "services keep placing tasks as before");
        });

        it("warns about nothing", () => {
            assert.deepEqual(warnings, []);
        });
    });

    describe("on an existing cluster", () => {
        it("creates the capacity provider and exports its name, but never replaces the cluster's provider list", async () => {
            const c = new SpotEcsCluster("mdx", { ...base, existingClusterName: "shared" });
            assert.equal(await valueOf(c.capacityProviderName), "spot-ecs-mdx-asg-7654321");
            await settle();
            assert.equal(resourcesOf("mdx", "aws:ecs/capacityProvider:CapacityProvider").length, 1);
            assert.equal(resourcesOf("mdx", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").length, 0);
        });
    });

    describe("with managedDraining: false", () => {
        it("creates no capacity provider and warns when Capacity Rebalancing stays on", async () => {
            let c: SpotEcsCluster | undefined;
            const warnings = await warningsOf(() => { c = new SpotEcsCluster("mdoff", { ...base, managedDraining: false }); });
            assert.equal(resourcesOf("mdoff", "aws:ecs/capacityProvider:CapacityProvider").length, 0);
            assert.equal(await valueOf(c!.capacityProviderName), undefined);
            assert.deepEqual(warnings, ["SpotEcsCluster \"mdoff\": capacityRebalance is on and managedDraining is off, so instances the group "
                + "replaces on a rebalance recommendation are terminated without a drain and their tasks are killed; "
                + "turn managedDraining on (the default) or capacityRebalance off"]);
            assert.equal(oneResource("mdoff", "aws:autoscaling/group:Group").inputs.protectFromScaleIn, true, "protection stays on");
        });

        it("does not warn when Capacity Rebalancing is off too", async () => {
            const warnings = await warningsOf(() => new SpotEcsCluster("mdboth", { ...base, managedDraining: false, capacityRebalance: false }));
            assert.deepEqual(warnings, []);
        });

        it("rejects a non-boolean value naming the argument", () => {
            assert.throws(() => new SpotEcsCluster("mdbad", { ...base, managedDraining: "yes" as unknown as boolean }),
                { message: /`managedDraining` must be true or false, got "yes"/ });
        });
    });
});

describe("SpotEcsCluster: who owns the On-Demand base", () => {
    before(installMocks);

    /** The resource options the group is registered with. */
    async function groupOptions(args: SpotEcsClusterArgs): Promise<pulumi.CustomResourceOptions> {
        let seen: pulumi.CustomResourceOptions | undefined;
        new SpotEcsCluster(`own-${Object.keys(args).length}-${String(args.enableScaler)}`, args, { transformations: [(a) => {
            if (a.type === "aws:autoscaling/group:Group") seen = a.opts as pulumi.CustomResourceOptions;
            return undefined;
        }] });
        await settle();
        assert.ok(seen !== undefined, "the group was registered");
        return seen;
    }

    it("leaves desired capacity and, with the scaler on, the On-Demand base to the scaler: the engine ignores them after creation", async () => {
        const opts = await groupOptions(base);
        assert.deepEqual(opts.ignoreChanges, ["desiredCapacity", "mixedInstancesPolicy.instancesDistribution.onDemandBaseCapacity"]);
    });

    it("with the scaler off, applies the declared On-Demand base itself", async () => {
        const opts = await groupOptions({ ...base, enableScaler: false });
        assert.deepEqual(opts.ignoreChanges, ["desiredCapacity"]);
    });
});
