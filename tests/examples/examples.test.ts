import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { installMocks, recorded, RecordedResource, settle, valueOf } from "../helpers/pulumiMocks";

/** Runs an example program under the mocks and returns the resources it registered and its exports. */
async function runExample(dir: string): Promise<{ resources: RecordedResource[]; exports: Record<string, unknown> }> {
    const before = recorded.length;
    const program = require(path.join(__dirname, "../../examples", dir, "index.ts"));
    const exports: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) exports[key] = await valueOf(value as any);
    await settle();
    return { resources: recorded.slice(before), exports };
}

const byType = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);

describe("examples", () => {
    before(installMocks);

    it("basic: creates a cluster in the default VPC's subnets and exports its names", async () => {
        const { resources, exports } = await runExample("basic");
        const [cluster] = byType(resources, "aws:ecs/cluster:Cluster");
        assert.equal(cluster.inputs.name, "web");
        const [asg] = byType(resources, "aws:autoscaling/group:Group");
        assert.deepEqual(asg.inputs.vpcZoneIdentifiers, ["subnet-0a1b2c3d4e5f607a1", "subnet-0a1b2c3d4e5f607b2"]);
        assert.equal(byType(resources, "aws:ec2/securityGroup:SecurityGroup")[0].inputs.vpcId, "vpc-0a1b2c3d4e5f60718");
        assert.deepEqual(exports, { clusterName: "web", autoScalingGroupName: "web-asg-7654321", launchTemplateVersion: "3",
            scalerUrn: "urn:pulumi:test::spot-ecs-test::spot-ecs:index:SpotEcsCluster$pulumi-nodejs:dynamic/spot-ecs:Scaler::web-scaler" });
    });

    it("existing-cluster-alb: joins the existing cluster and registers instances in the target group", async () => {
        const { resources, exports } = await runExample("existing-cluster-alb");
        assert.equal(byType(resources, "aws:ecs/cluster:Cluster").length, 0, "no cluster is created");
        const [asg] = byType(resources, "aws:autoscaling/group:Group");
        assert.deepEqual(asg.inputs.targetGroupArns,
            ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"]);
        assert.equal(asg.inputs.mixedInstancesPolicy.instancesDistribution.onDemandBaseCapacity, 1);
        const [lt] = byType(resources, "aws:ec2/launchTemplate:LaunchTemplate");
        const userData = Buffer.from(lt.inputs.userData, "base64").toString("utf8");
        assert.match(userData, /^ECS_CLUSTER=shared$/m);
        assert.match(userData, /^ECS_INSTANCE_ATTRIBUTES=\{"pool":"spot-web"\}$/m);
        const cpuHigh = byType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.name === "shared-spot-cpu-high")!;
        assert.equal(cpuHigh.inputs.threshold, 80);
        assert.equal(cpuHigh.inputs.evaluationPeriods, 10);
        assert.equal(exports.url, "http://web.elb.amazonaws.com");
    });

    it("private-subnets: puts the instances in private subnets with the VPC endpoints ECS, ECR, logs and SSM need", async () => {
        const { resources, exports } = await runExample("private-subnets");
        const subnets = byType(resources, "aws:ec2/subnet:Subnet");
        assert.deepEqual(subnets.map((s) => [s.inputs.availabilityZone, s.inputs.mapPublicIpOnLaunch]), [["eu-west-1a", false], ["eu-west-1b", false]]);
        assert.equal(byType(resources, "aws:ec2/internetGateway:InternetGateway").length + byType(resources, "aws:ec2/natGateway:NatGateway").length, 0,
            "no route to the internet");
        const endpoints = byType(resources, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => `${e.inputs.vpcEndpointType} ${e.inputs.serviceName}`).sort();
        assert.deepEqual(endpoints, [
            "Gateway com.amazonaws.eu-west-1.s3",
            ...["ec2messages", "ecr.api", "ecr.dkr", "ecs", "ecs-agent", "ecs-telemetry", "logs", "ssm", "ssmmessages"].map((s) => `Interface com.amazonaws.eu-west-1.${s}`),
        ]);
        const [asg] = byType(resources, "aws:autoscaling/group:Group");
        assert.equal(asg.inputs.vpcZoneIdentifiers.length, 2);
        assert.equal(exports.clusterName, "private");
    });

    it("instance-requirements: passes the attributes to the group, for the arm64 AMI, and the scaler checks instances against them", async () => {
        const { resources, exports } = await runExample("instance-requirements");
        const [asg] = byType(resources, "aws:autoscaling/group:Group");
        const requirements = asg.inputs.mixedInstancesPolicy.launchTemplate.overrides[0].instanceRequirements;
        assert.deepEqual(requirements.vcpuCount, { min: 2, max: 8 });
        assert.deepEqual(requirements.memoryMib, { min: 8192 });
        assert.deepEqual(requirements.cpuManufacturers, ["amazon-web-services"]);
        assert.equal(asg.inputs.mixedInstancesPolicy.instancesDistribution.onDemandAllocationStrategy, "lowest-price");
        const [scaler] = byType(resources, "pulumi-nodejs:dynamic/spot-ecs:Scaler");
        assert.deepEqual(scaler.inputs.instanceRequirements.networkInterfaceCount, { min: 3 });
        assert.equal(exports.clusterName, "graviton");
    });

    it("each example is a project of its own that depends on the package by name", () => {
        for (const dir of ["basic", "existing-cluster-alb", "private-subnets", "instance-requirements"]) {
            const root = path.join(__dirname, "../../examples", dir);
            const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
            assert.ok(pkg.dependencies["pulumi-spot-ecs"] !== undefined, `${dir} depends on pulumi-spot-ecs`);
            assert.ok(fs.existsSync(path.join(root, "Pulumi.yaml")) && fs.existsSync(path.join(root, "tsconfig.json")), dir);
            const source = fs.readFileSync(path.join(root, "index.ts"), "utf8");
            assert.match(source, /from "pulumi-spot-ecs"/);
            assert.doesNotMatch(source, /from "\.\.\//, `${dir} imports nothing from the repository by path`);
        }
    });
});
