// The safety net for terminations the group starts on its own: scale-in protection on the group, and
// the scaler's own termination hook with the runner (an ECS capacity provider with managed draining
// without it), under Pulumi's mocks.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, oneResource, resourcesOf, settle, valueOf, SMALL_CLUSTER_ARGS } from "../helpers/pulumiMocks";
import { SpotEcsCluster, SpotEcsClusterArgs } from "../../components";
import { TERMINATION_HOOK_NAME } from "../../provider/model";

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

    describe("with defaults (the runner and its termination hook)", () => {
        let warnings: string[];
        before(async () => {
            warnings = await warningsOf(() => new SpotEcsCluster("hk", base));
        });

        it("protects the group's instances from scale-in", () => {
            assert.equal(oneResource("hk", "aws:autoscaling/group:Group").inputs.protectFromScaleIn, true);
        });

        it("puts the scaler's termination hook on the group: ABANDON after a 300 s heartbeat timeout", () => {
            const hook = oneResource("hk", "aws:autoscaling/lifecycleHook:LifecycleHook");
            assert.deepEqual([hook.inputs.name, hook.inputs.autoscalingGroupName, hook.inputs.lifecycleTransition, hook.inputs.defaultResult,
                hook.inputs.heartbeatTimeout], [TERMINATION_HOOK_NAME, "hk-asg-7654321", "autoscaling:EC2_INSTANCE_TERMINATING", "ABANDON", 300]);
        });

        it("retains an instance whose hook ends in ABANDON, through the group's instance lifecycle policy", () => {
            assert.deepEqual(oneResource("hk", "aws:autoscaling/group:Group").inputs.instanceLifecyclePolicy,
                { retentionTriggers: { terminateHookAbandon: "retain" } });
        });

        it("invokes the runner on each of the group's terminate lifecycle actions in that hook", () => {
            const rule = oneResource("hk-runner-terminations", "aws:cloudwatch/eventRule:EventRule");
            assert.deepEqual(JSON.parse(rule.inputs.eventPattern), {
                "source": ["aws.autoscaling"],
                "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
                "detail": { AutoScalingGroupName: ["hk-asg-7654321"], LifecycleHookName: [TERMINATION_HOOK_NAME] },
            });
            const target = oneResource("hk-runner-terminations-target", "aws:cloudwatch/eventTarget:EventTarget");
            assert.equal(target.inputs.arn, "arn:aws:lambda:us-east-1:123456789012:function:hk-spot-ecs-runner");
            const permission = oneResource("hk-runner-terminations-permission", "aws:lambda/permission:Permission");
            assert.equal(permission.inputs.sourceArn, "arn:aws:events:us-east-1:123456789012:rule/hk-runner-terminations-1234567");
        });

        it("alarms on retained instances, from the scaler's RetainedInstances metric", () => {
            const alarm = oneResource("hk-retained", "aws:cloudwatch/metricAlarm:MetricAlarm");
            assert.deepEqual([alarm.inputs.namespace, alarm.inputs.metricName, alarm.inputs.threshold, alarm.inputs.comparisonOperator],
                ["SpotEcs/Scaler", "RetainedInstances", 1, "GreaterThanOrEqualToThreshold"]);
        });

        it("creates no managed-draining capacity provider, and warns about nothing", () => {
            assert.equal(resourcesOf("hk", "aws:ecs/capacityProvider:CapacityProvider").length, 0);
            assert.deepEqual(warnings, []);
        });
    });

    it("gives the hook three runner periods of heartbeat when the runner runs less often than every 100 s, or the heartbeat given", async () => {
        new SpotEcsCluster("hk10", { ...base, runner: { schedule: "rate(10 minutes)" } });
        new SpotEcsCluster("hk60", { ...base, runner: { hookHeartbeatSeconds: 60 } });
        await settle();
        assert.equal(oneResource("hk10", "aws:autoscaling/lifecycleHook:LifecycleHook").inputs.heartbeatTimeout, 1800);
        assert.equal(oneResource("hk60", "aws:autoscaling/lifecycleHook:LifecycleHook").inputs.heartbeatTimeout, 60);
    });

    it("with runner.terminationHook false: no hook, no retention, and managed draining as without the runner", async () => {
        new SpotEcsCluster("hkoff", { ...base, runner: { terminationHook: false } });
        await settle();
        assert.equal(resourcesOf("hkoff", "aws:autoscaling/lifecycleHook:LifecycleHook").length, 0);
        assert.equal(oneResource("hkoff", "aws:autoscaling/group:Group").inputs.instanceLifecyclePolicy, undefined);
        assert.equal(resourcesOf("hkoff", "aws:ecs/capacityProvider:CapacityProvider").length, 1);
    });

    it("with managedDraining: true beside the hook: both hooks (ECS's drains too; the scaler completes its own)", async () => {
        new SpotEcsCluster("hkmd", { ...base, managedDraining: true });
        await settle();
        assert.equal(resourcesOf("hkmd", "aws:autoscaling/lifecycleHook:LifecycleHook").length, 1);
        assert.equal(resourcesOf("hkmd", "aws:ecs/capacityProvider:CapacityProvider").length, 1);
    });

    describe("without the runner, on a cluster it creates", () => {
        let c: SpotEcsCluster;
        let warnings: string[];
        before(async () => {
            warnings = await warningsOf(() => { c = new SpotEcsCluster("mdr", { ...base, runner: false }); });
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

        it("puts no hook of the scaler's on the group, and warns about nothing", () => {
            assert.equal(resourcesOf("mdr", "aws:autoscaling/lifecycleHook:LifecycleHook").length, 0);
            assert.deepEqual(warnings, []);
        });
    });

    describe("without the runner, on an existing cluster", () => {
        it("creates the capacity provider and exports its name, but never replaces the cluster's provider list", async () => {
            const c = new SpotEcsCluster("mdx", { ...base, existingClusterName: "shared", runner: false });
            assert.equal(await valueOf(c.capacityProviderName), "spot-ecs-mdx-asg-7654321");
            await settle();
            assert.equal(resourcesOf("mdx", "aws:ecs/capacityProvider:CapacityProvider").length, 1);
            assert.equal(resourcesOf("mdx", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").length, 0);
        });
    });

    describe("with managedDraining: false and no runner", () => {
        it("creates no capacity provider and warns when Capacity Rebalancing stays on", async () => {
            let c: SpotEcsCluster | undefined;
            const warnings = await warningsOf(() => { c = new SpotEcsCluster("mdoff", { ...base, managedDraining: false, runner: false }); });
            assert.equal(resourcesOf("mdoff", "aws:ecs/capacityProvider:CapacityProvider").length, 0);
            assert.equal(await valueOf(c!.capacityProviderName), undefined);
            assert.deepEqual(warnings, ["SpotEcsCluster \"mdoff\": capacityRebalance is on and managedDraining is off, so instances the group "
                + "replaces on a rebalance recommendation are terminated without a drain and their tasks are killed; "
                + "turn managedDraining on (the default without the runner), use the runner's termination hook, or turn capacityRebalance off"]);
            assert.equal(oneResource("mdoff", "aws:autoscaling/group:Group").inputs.protectFromScaleIn, true, "protection stays on");
        });

        it("does not warn when Capacity Rebalancing is off too", async () => {
            const warnings = await warningsOf(() => new SpotEcsCluster("mdboth", { ...base, managedDraining: false, capacityRebalance: false, runner: false }));
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
