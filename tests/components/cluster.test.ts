import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MOCK_AMI, oneResource, resourcesOf, valueOf, calls } from "../helpers/pulumiMocks";
import { SpotEcsCluster, SpotEcsClusterArgs, DEFAULTS, AMI_PARAMETERS } from "../../components";

const SUBNETS = ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"];
const base: SpotEcsClusterArgs = {
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: SUBNETS,
    instanceTypes: ["m6i.large", "m5.large"],
    minSize: 2,
    maxSize: 10,
};

/** Waits for every output of the component, so every child has been registered. */
async function outputsOf(c: SpotEcsCluster) {
    const [clusterName, clusterArn, autoScalingGroupName, launchTemplateId, launchTemplateVersion,
        instanceRoleArn, instanceProfileArn, securityGroupIds, alarmArns] = await Promise.all([
        valueOf(c.clusterName), valueOf(c.clusterArn), valueOf(c.autoScalingGroupName), valueOf(c.launchTemplateId),
        valueOf(c.launchTemplateVersion), valueOf(c.instanceRoleArn), valueOf(c.instanceProfileArn),
        valueOf(c.securityGroupIds), valueOf(c.alarmArns)]);
    return { clusterName, clusterArn, autoScalingGroupName, launchTemplateId, launchTemplateVersion,
        instanceRoleArn, instanceProfileArn, securityGroupIds, alarmArns };
}

function decodedUserData(prefix: string): string[] {
    const lt = oneResource(prefix, "aws:ec2/launchTemplate:LaunchTemplate");
    return Buffer.from(lt.inputs.userData, "base64").toString("utf8").split("\n");
}

describe("SpotEcsCluster", () => {
    before(installMocks);

    describe("with defaults", () => {
        let outputs: Awaited<ReturnType<typeof outputsOf>>;
        before(async () => {
            outputs = await outputsOf(new SpotEcsCluster("dflt", base));
        });

        it("creates a cluster named after the component with Container Insights on", () => {
            const cluster = oneResource("dflt", "aws:ecs/cluster:Cluster");
            assert.equal(cluster.inputs.name, "dflt");
            assert.deepEqual(cluster.inputs.settings, [{ name: "containerInsights", value: "enabled" }]);
            assert.equal(outputs.clusterName, "dflt");
            assert.equal(outputs.clusterArn, "arn:aws:ecs:us-east-1:123456789012:cluster/dflt");
        });

        it("trusts only ec2.amazonaws.com and attaches the ECS and SSM managed policies in the partition", () => {
            const role = oneResource("dflt-instance-role", "aws:iam/role:Role");
            const trust = JSON.parse(role.inputs.assumeRolePolicy);
            assert.deepEqual(trust.Statement.map((s: any) => [s.Effect, s.Principal, s.Action]),
                [["Allow", { Service: "ec2.amazonaws.com" }, "sts:AssumeRole"]]);
            const arns = resourcesOf("dflt", "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => r.inputs.policyArn).sort();
            assert.deepEqual(arns, [
                "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
            ]);
            assert.deepEqual(resourcesOf("dflt", "aws:iam/rolePolicy:RolePolicy").map((r) => r.name), ["dflt-runner-policy"], "no inline policy but the runner's");
        });

        it("creates an instance profile for the role", () => {
            const profile = oneResource("dflt", "aws:iam/instanceProfile:InstanceProfile");
            assert.equal(profile.inputs.role, "dflt-instance-role-1234567");
            assert.match(outputs.instanceProfileArn, /:instance-profile\/dflt-instance-profile/);
            assert.match(outputs.instanceRoleArn, /:role\/dflt-instance-role/);
        });

        it("requires IMDSv2 with hop limit 1 and an encrypted gp3 root volume", () => {
            const lt = oneResource("dflt", "aws:ec2/launchTemplate:LaunchTemplate");
            assert.equal(lt.inputs.metadataOptions.httpTokens, "required");
            assert.equal(lt.inputs.metadataOptions.httpEndpoint, "enabled");
            assert.equal(lt.inputs.metadataOptions.httpPutResponseHopLimit, 1);
            assert.deepEqual(lt.inputs.blockDeviceMappings, [{
                deviceName: "/dev/xvda",
                ebs: { volumeSize: 30, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            }]);
            assert.equal(lt.inputs.iamInstanceProfile.arn, outputs.instanceProfileArn);
        });

        it("resolves the AL2023 ECS-optimized AMI from its public SSM parameter", () => {
            const lt = oneResource("dflt", "aws:ec2/launchTemplate:LaunchTemplate");
            assert.equal(lt.inputs.imageId, MOCK_AMI);
            assert.ok(calls.some((c) => c.token === "aws:ssm/getParameter:getParameter"
                && c.inputs.name === "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"));
        });

        it("writes ecs.config lines that join the cluster with Spot draining on", () => {
            const lines = decodedUserData("dflt");
            assert.equal(lines[0], "#!/bin/bash");
            const start = lines.indexOf("cat >> /etc/ecs/ecs.config <<'SPOT_ECS_CONFIG_END'");
            const end = lines.indexOf("SPOT_ECS_CONFIG_END");
            assert.ok(start > 0 && end > start, "a quoted heredoc writes the config");
            assert.deepEqual(lines.slice(start + 1, end), [
                "ECS_CLUSTER=dflt",
                "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true",
                "ECS_CONTAINER_STOP_TIMEOUT=30s",
                "ECS_ENABLE_CONTAINER_METADATA=true",
            ]);
        });

        it("creates an egress-only security group in the VPC", () => {
            const sg = oneResource("dflt", "aws:ec2/securityGroup:SecurityGroup");
            assert.equal(sg.inputs.vpcId, "vpc-0123456789abcdef0");
            assert.equal(sg.inputs.ingress, undefined);
            assert.deepEqual(sg.inputs.egress.map((e: any) => [e.protocol, e.cidrBlocks, e.ipv6CidrBlocks]),
                [["-1", ["0.0.0.0/0"], ["::/0"]]]);
            assert.deepEqual(outputs.securityGroupIds, ["sg-0aaaabbbbccccdddd"]);
            const lt = oneResource("dflt", "aws:ec2/launchTemplate:LaunchTemplate");
            assert.deepEqual(lt.inputs.vpcSecurityGroupIds, ["sg-0aaaabbbbccccdddd"]);
        });

        it("builds a mixed Spot/On-Demand group with one override per type and the explicit template version", () => {
            const asg = oneResource("dflt", "aws:autoscaling/group:Group");
            const policy = asg.inputs.mixedInstancesPolicy;
            assert.deepEqual(policy.instancesDistribution, {
                onDemandBaseCapacity: 0,
                onDemandPercentageAboveBaseCapacity: 0,
                spotAllocationStrategy: "price-capacity-optimized",
            });
            assert.deepEqual(policy.launchTemplate.overrides, [{ instanceType: "m6i.large" }, { instanceType: "m5.large" }]);
            assert.deepEqual(policy.launchTemplate.launchTemplateSpecification,
                { launchTemplateId: "lt-0abc1234def567890", version: "3" });
            assert.equal(outputs.launchTemplateVersion, "3");
            assert.equal(outputs.launchTemplateId, "lt-0abc1234def567890");
            assert.deepEqual(asg.inputs.vpcZoneIdentifiers, SUBNETS);
            assert.equal(asg.inputs.minSize, 2);
            assert.equal(asg.inputs.maxSize, 10);
            assert.equal(asg.inputs.desiredCapacity, 2, "desired starts at minSize");
            assert.equal(asg.inputs.capacityRebalance, true);
            assert.deepEqual(asg.inputs.suspendedProcesses, ["AZRebalance"]);
            assert.deepEqual(asg.inputs.tags, [{ key: "Name", value: "dflt", propagateAtLaunch: true }]);
        });

        it("creates two reservation alarms on the cluster with the default high thresholds, and none for scale-in", () => {
            const alarms = resourcesOf("dflt", "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.namespace === "AWS/ECS");
            const summary = alarms.map((a) => [a.inputs.metricName, a.inputs.comparisonOperator, a.inputs.threshold,
                a.inputs.namespace, a.inputs.dimensions.ClusterName, a.inputs.statistic, a.inputs.period,
                a.inputs.evaluationPeriods]).sort();
            assert.deepEqual(summary, [
                ["CPUReservation", "GreaterThanThreshold", 88, "AWS/ECS", "dflt", "Average", 60, 2],
                ["MemoryReservation", "GreaterThanThreshold", 88, "AWS/ECS", "dflt", "Average", 60, 2],
            ]);
            assert.deepEqual(Object.keys(outputs.alarmArns).sort(), ["cpuHigh", "memoryHigh"]);
            assert.match(outputs.alarmArns.cpuHigh, /alarm:dflt-cpu-high$/);
        });

        it("lets the high alarms act, through a step policy adding scaleOutStep instances", () => {
            const policy = oneResource("dflt", "aws:autoscaling/policy:Policy");
            assert.equal(policy.inputs.policyType, "StepScaling");
            assert.equal(policy.inputs.adjustmentType, "ChangeInCapacity");
            assert.deepEqual(policy.inputs.stepAdjustments, [{ metricIntervalLowerBound: "0", scalingAdjustment: 2 }]);
            assert.equal(policy.inputs.autoscalingGroupName, outputs.autoScalingGroupName);
            for (const a of resourcesOf("dflt", "aws:cloudwatch/metricAlarm:MetricAlarm")) {
                const high = a.inputs.comparisonOperator === "GreaterThanThreshold";
                assert.ok(a.inputs.namespace !== "AWS/ECS" || high, `${a.name} is a high alarm`);
                if (high) assert.equal((a.inputs.alarmActions ?? []).length, 1, `${a.name} actions`);
            }
        });
    });

    describe("with instance types by attribute", () => {
        const requirements = { vcpuCount: { min: 2, max: 8 }, memoryMiB: { min: 4096 }, excludedInstanceTypes: ["t*", "*.metal"], acceleratorCount: { max: 0 } };
        before(async () => {
            await outputsOf(new SpotEcsCluster("attrs", { ...base, instanceTypes: undefined, instanceRequirements: requirements }));
        });

        it("gives the group one override with Auto Scaling's InstanceRequirements and the On-Demand strategy it allows with them", () => {
            const asg = oneResource("attrs", "aws:autoscaling/group:Group");
            const policy = asg.inputs.mixedInstancesPolicy;
            assert.deepEqual(policy.launchTemplate.overrides, [{ instanceRequirements: {
                vcpuCount: { min: 2, max: 8 }, memoryMib: { min: 4096 }, excludedInstanceTypes: ["t*", "*.metal"], acceleratorCount: { max: 0 },
            } }]);
            assert.equal(policy.instancesDistribution.onDemandAllocationStrategy, "lowest-price");
            assert.equal(policy.instancesDistribution.spotAllocationStrategy, "price-capacity-optimized");
            const lt = oneResource("attrs", "aws:ec2/launchTemplate:LaunchTemplate");
            assert.equal(lt.inputs.instanceType, undefined, "the launch template names no type: the overrides choose");
        });

        it("passes the requirements to the scaler, which replaces instances whose type lacks them", () => {
            const scaler = oneResource("attrs", "pulumi-nodejs:dynamic/spot-ecs:Scaler");
            assert.deepEqual(scaler.inputs.instanceRequirements, requirements);
            assert.equal(scaler.inputs.instanceTypes, undefined);
        });
    });

    describe("its scaler", () => {
        let c: SpotEcsCluster;
        before(async () => {
            c = new SpotEcsCluster("scaled", { ...base, targetGroupArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"],
                draining: { batchSize: 3, standaloneTasks: "stop" } });
            await outputsOf(c);
        });

        it("is a dynamic resource fed from the component's own resources, with every policy value resolved", () => {
            const scaler = oneResource("scaled", "pulumi-nodejs:dynamic/spot-ecs:Scaler");
            const { __provider, ...inputs } = scaler.inputs;
            assert.equal(typeof __provider, "string");
            assert.match(__provider, /^exports\.handler = /);
            assert.deepEqual(inputs, {
                region: "eu-west-1",
                clusterName: "scaled",
                autoScalingGroupName: "scaled-asg-7654321",
                launchTemplateId: "lt-0abc1234def567890",
                launchTemplateVersion: "3",
                targetGroupArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"],
                minSize: 2,
                maxSize: 10,
                instanceTypes: ["m6i.large", "m5.large"],
                onDemandBaseCapacity: 0,
                scaling: { ...DEFAULTS.scaling },
                draining: { ...DEFAULTS.draining, batchSize: 3, standaloneTasks: "stop" },
                leaseTable: "scaled-spot-ecs-lease",
                runner: { functionName: "scaled-spot-ecs-runner", schedule: "rate(1 minute)", actions: ["scale-out", "scale-in", "spot", "replace"] },
            });
        });

        it("exposes the scaler's plan and last run", async () => {
            assert.deepEqual(await valueOf(c.plan), ["scale out 2 → 3: CPUReservation 90% > 88% over 2 min"]);
            assert.equal(await valueOf(c.lastRun), null);
        });

        it("hides the run record's diff from previews", async () => {
            let hidden: string[] | undefined;
            const h = new SpotEcsCluster("hidden", base, { transformations: [(a) => {
                if (a.type === "pulumi-nodejs:dynamic/spot-ecs:Scaler") hidden = (a.opts as pulumi.CustomResourceOptions).hideDiffs;
                return undefined;
            }] });
            await outputsOf(h);
            assert.deepEqual(hidden, ["lastRun"]);
        });

        it("exposes the scaler's URN for a targeted `pulumi up --target`", async () => {
            const urn = await valueOf(c.scalerUrn);
            assert.equal(urn, "urn:pulumi:test::spot-ecs-test::spot-ecs:index:SpotEcsCluster$pulumi-nodejs:dynamic/spot-ecs:Scaler::scaled-scaler");
        });

        it("is left out with enableScaler: false, and the plan is empty", async () => {
            const off = new SpotEcsCluster("unscaled", { ...base, enableScaler: false });
            await outputsOf(off);
            assert.equal(resourcesOf("unscaled", "pulumi-nodejs:dynamic/spot-ecs:Scaler").length, 0);
            assert.deepEqual(await valueOf(off.plan), []);
            assert.equal(await valueOf(off.scalerUrn), undefined);
        });
    });

    describe("with every option set", () => {
        before(async () => {
            await outputsOf(new SpotEcsCluster("full", {
                ...base,
                clusterName: "prod_cluster",
                containerInsights: false,
                securityGroupIds: ["sg-0123456789abcdef0"],
                desiredCapacity: 4,
                onDemandBaseCapacity: 1,
                onDemandPercentageAboveBaseCapacity: 25,
                spotAllocationStrategy: "capacity-optimized",
                capacityRebalance: false,
                amiFamily: "al2023-arm64",
                instanceTypes: ["m7g.large"],
                rootVolumeSizeGiB: 100,
                keyName: "ops",
                instanceAttributes: { team: "payments", tier: "web" },
                ecsConfig: { ECS_RESERVED_MEMORY: "256", ECS_ENABLE_TASK_IAM_ROLE: "true" },
                extraUserData: "echo hello > /tmp/hello",
                containerStopTimeoutSeconds: 60,
                metadataHopLimit: 2,
                enableSsm: false,
                targetGroupArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"],
                tags: { team: "payments" },
                scaling: { cpuHighPercent: 80, scaleInTargetPercent: 70, evaluationMinutes: 3, scaleOutStep: 3 },
            }));
        });

        it("names the cluster as given and turns Container Insights off", () => {
            const cluster = oneResource("full", "aws:ecs/cluster:Cluster");
            assert.equal(cluster.inputs.name, "prod_cluster");
            assert.deepEqual(cluster.inputs.settings, [{ name: "containerInsights", value: "disabled" }]);
            assert.deepEqual(cluster.inputs.tags, { team: "payments" });
        });

        it("uses the given security groups and creates none", () => {
            assert.equal(resourcesOf("full", "aws:ec2/securityGroup:SecurityGroup").length, 0);
            const lt = oneResource("full", "aws:ec2/launchTemplate:LaunchTemplate");
            assert.deepEqual(lt.inputs.vpcSecurityGroupIds, ["sg-0123456789abcdef0"]);
        });

        it("attaches only the ECS policy when SSM is off", () => {
            const arns = resourcesOf("full", "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => r.inputs.policyArn);
            assert.deepEqual(arns, ["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"]);
        });

        it("writes attributes, extra config and the stop timeout, then the extra user data", () => {
            const lines = decodedUserData("full");
            assert.ok(lines.includes("ECS_CLUSTER=prod_cluster"));
            assert.ok(lines.includes("ECS_CONTAINER_STOP_TIMEOUT=60s"));
            assert.ok(lines.includes('ECS_INSTANCE_ATTRIBUTES={"team":"payments","tier":"web"}'));
            assert.ok(lines.includes("ECS_RESERVED_MEMORY=256"));
            assert.ok(lines.includes("ECS_ENABLE_TASK_IAM_ROLE=true"));
            assert.ok(lines.indexOf("echo hello > /tmp/hello") > lines.indexOf("SPOT_ECS_CONFIG_END"));
        });

        it("passes the launch settings through", () => {
            const lt = oneResource("full", "aws:ec2/launchTemplate:LaunchTemplate");
            assert.equal(lt.inputs.keyName, "ops");
            assert.equal(lt.inputs.metadataOptions.httpPutResponseHopLimit, 2);
            assert.equal(lt.inputs.blockDeviceMappings[0].ebs.volumeSize, 100);
            assert.ok(calls.some((c) => c.token === "aws:ssm/getParameter:getParameter" && c.inputs.name === AMI_PARAMETERS["al2023-arm64"]));
            assert.deepEqual(lt.inputs.tagSpecifications.map((t: any) => [t.resourceType, t.tags]), [
                ["instance", { Name: "full", team: "payments" }],
                ["volume", { Name: "full", team: "payments" }],
            ]);
        });

        it("configures the Spot split, target groups and tags on the group", () => {
            const asg = oneResource("full", "aws:autoscaling/group:Group");
            assert.deepEqual(asg.inputs.mixedInstancesPolicy.instancesDistribution, {
                onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 25, spotAllocationStrategy: "capacity-optimized",
            });
            assert.equal(asg.inputs.desiredCapacity, 4);
            assert.equal(asg.inputs.capacityRebalance, false);
            assert.deepEqual(asg.inputs.targetGroupArns,
                ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"]);
            assert.deepEqual(asg.inputs.tags, [
                { key: "Name", value: "full", propagateAtLaunch: true },
                { key: "team", value: "payments", propagateAtLaunch: true },
            ]);
        });

        it("sets alarm thresholds and the scale-out step from scaling, defaults for the rest", () => {
            const alarms = Object.fromEntries(resourcesOf("full", "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.namespace === "AWS/ECS")
                .map((a) => [a.name, [a.inputs.threshold, a.inputs.evaluationPeriods]]));
            assert.deepEqual(alarms, {
                "full-cpu-high": [80, 3],
                "full-memory-high": [DEFAULTS.scaling.memoryHighPercent, 3],
            });
            const policy = oneResource("full", "aws:autoscaling/policy:Policy");
            assert.equal(policy.inputs.stepAdjustments[0].scalingAdjustment, 3);
        });
    });

    describe("joining an existing cluster", () => {
        it("creates no cluster, looks up its ARN and writes its name to ecs.config", async () => {
            const c = new SpotEcsCluster("joined", {
                ...base,
                existingClusterName: pulumi.output("shared-cluster"),
                imageId: "ami-0fedcba9876543210",
            });
            const outputs = await outputsOf(c);
            assert.equal(resourcesOf("joined", "aws:ecs/cluster:Cluster").length, 0);
            assert.equal(outputs.clusterName, "shared-cluster");
            assert.equal(outputs.clusterArn, "arn:aws:ecs:us-east-1:123456789012:cluster/shared-cluster");
            assert.ok(decodedUserData("joined").includes("ECS_CLUSTER=shared-cluster"));
            assert.equal(oneResource("joined", "aws:ec2/launchTemplate:LaunchTemplate").inputs.imageId, "ami-0fedcba9876543210");
            for (const a of resourcesOf("joined", "aws:cloudwatch/metricAlarm:MetricAlarm")) {
                assert.deepEqual(a.inputs.dimensions, { ClusterName: "shared-cluster" });
            }
        });
    });

    describe("construction errors", () => {
        it("throws before registering anything when the arguments are invalid", () => {
            assert.throws(() => new SpotEcsCluster("bad", { ...base, minSize: 5, maxSize: 2 }), {
                message: 'Invalid arguments for SpotEcsCluster "bad":\n  - `minSize` (5) must not be greater than `maxSize` (2)',
            });
            assert.equal(resourcesOf("bad", "aws:ecs/cluster:Cluster").length, 0);
        });

        it("throws Pulumi's InputPropertiesError, each problem with its property path", () => {
            const error = (() => {
                try {
                    new SpotEcsCluster("bad2", { ...base, minSize: 5, maxSize: 2, scaling: { cpuHighPercent: 500 } });
                    return undefined;
                } catch (e) {
                    return e;
                }
            })();
            assert.ok(pulumi.InputPropertiesError.isInstance(error), String(error));
            assert.deepEqual((error as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath), ["minSize", "scaling.cpuHighPercent"]);
        });
    });
    describe("under mocks", () => it("calls only the functions README lists for unit tests with mocks", async () => {
        calls.length = 0;
        await outputsOf(new SpotEcsCluster("listed", base));
        await outputsOf(new SpotEcsCluster("listed-existing", { ...base, existingClusterName: "shared" }));
        const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
        const section = readme.slice(readme.indexOf("## Unit-testing a program that uses it"), readme.indexOf("## Develop and test"));
        const listed = [...section.matchAll(/^\| `(aws:[^`]+)` \|/gm)].map((m) => m[1]).sort();
        assert.deepEqual([...new Set(calls.map((c) => c.token))].sort(), listed);
    }));
});
