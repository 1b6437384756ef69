// Pulumi's own mocks: every resource the program registers is recorded with its inputs,
// and the provider-computed outputs the component reads are filled in.
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

export const recorded: RecordedResource[] = [];
export const calls: { token: string; inputs: Record<string, any> }[] = [];

export const MOCK_AMI = "ami-0123456789abcdef0";
const ACCOUNT = "123456789012";

function computedOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
    switch (type) {
        case "aws:ecs/cluster:Cluster":
            return { name: inputs.name ?? name, arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${inputs.name ?? name}` };
        case "aws:iam/role:Role":
            return { name: `${name}-1234567`, arn: `arn:aws:iam::${ACCOUNT}:role/${name}-1234567` };
        case "aws:iam/instanceProfile:InstanceProfile":
            return { name: `${name}-1234567`, arn: `arn:aws:iam::${ACCOUNT}:instance-profile/${name}-1234567` };
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { latestVersion: 3, arn: `arn:aws:ec2:us-east-1:${ACCOUNT}:launch-template/lt-0abc` };
        case "aws:autoscaling/group:Group":
            return { name: `${name}-7654321`, arn: `arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:x:autoScalingGroupName/${name}` };
        case "aws:autoscaling/policy:Policy":
            return { arn: `arn:aws:autoscaling:us-east-1:${ACCOUNT}:scalingPolicy:x:autoScalingGroupName/g:policyName/${name}` };
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return { arn: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${name}` };
        case "aws:lb/targetGroup:TargetGroup":
            return { arn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/${name}/0123456789abcdef` };
        case "aws:lb/loadBalancer:LoadBalancer":
            return { arn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/${name}/0123456789abcdef`, dnsName: `${name}.elb.amazonaws.com` };
        case "aws:ecs/capacityProvider:CapacityProvider":
            return { name: inputs.name, arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/${inputs.name}` };
        case "pulumi-nodejs:dynamic/spot-ecs:Scaler":
        case "spot-ecs:index:Scaler":
            return { plan: ["scale out 2 → 3: CPUReservation 90% > 88% over 2 min"], lastRun: null };
        case "aws:dynamodb/table:Table":
            return { name: inputs.name, arn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${inputs.name}` };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { name: inputs.name, arn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${inputs.name}` };
        case "aws:lambda/function:Function":
            return { name: inputs.name, arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${inputs.name}` };
        case "aws:cloudwatch/eventRule:EventRule":
            return { name: `${name}-1234567`, arn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/${name}-1234567` };
        case "aws:cloudwatch/dashboard:Dashboard":
            return { dashboardArn: `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${inputs.dashboardName}` };
        default:
            return {};
    }
}

function idFor(type: string, name: string): string {
    if (type === "aws:ec2/launchTemplate:LaunchTemplate") return "lt-0abc1234def567890";
    if (type === "aws:ec2/securityGroup:SecurityGroup") return "sg-0aaaabbbbccccdddd";
    // Ids in AWS's own formats, which the component validates.
    const hex = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7).toString(16).padStart(8, "0");
    if (type === "aws:ec2/vpc:Vpc") return `vpc-0${hex}abcdef01`;
    if (type === "aws:ec2/subnet:Subnet") return `subnet-0${hex}abcdef01`;
    return `${name}-id`;
}

let installed = false;

/** Installs the mocks once per process (the Pulumi runtime is global). */
/** What the mocks give a resource: its id and its state (inputs with the outputs AWS computes). */
export function mockResource(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, any> } {
    return { id: idFor(type, name), state: { ...inputs, ...computedOutputs(type, name, inputs) } };
}

/** What the mocks answer a function call (an invoke) with. */
export function mockCall(token: string, inputs: Record<string, any>): Record<string, any> {
    switch (token) {
        case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
        case "aws:index/getRegion:getRegion":
            return { region: "eu-west-1", name: "eu-west-1", id: "eu-west-1" };
        case "aws:ssm/getParameter:getParameter":
            return { name: inputs.name, value: MOCK_AMI, type: "String" };
        case "aws:ec2/getVpc:getVpc":
            return { id: "vpc-0a1b2c3d4e5f60718", cidrBlock: "172.31.0.0/16" };
        case "aws:ec2/getSubnets:getSubnets":
            return { id: "subnets", ids: ["subnet-0a1b2c3d4e5f607a1", "subnet-0a1b2c3d4e5f607b2"] };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { id: "eu-west-1", names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"], zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"] };
        case "aws:ecs/getCluster:getCluster":
            return { clusterName: inputs.clusterName, arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${inputs.clusterName}` };
        default:
            return inputs;
    }
}

export async function installMocks(): Promise<void> {
    if (installed) return;
    installed = true;
    await pulumi.runtime.setMocks({
        newResource(args: pulumi.runtime.MockResourceArgs) {
            recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
            return mockResource(args.type, args.name, args.inputs);
        },
        call(args: pulumi.runtime.MockCallArgs) {
            calls.push({ token: args.token, inputs: args.inputs });
            return mockCall(args.token, args.inputs);
        },
    }, "spot-ecs-test", "test", false);
}

/** Resolves an Output's value (the mocks run as `up`, so values are known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

/** Resources recorded for a component name prefix, of one type. */
export function resourcesOf(prefix: string, type: string): RecordedResource[] {
    return recorded.filter((r) => r.type === type && (r.name === prefix || r.name.startsWith(`${prefix}-`)));
}

/** The only resource of `type` recorded for `prefix`; fails when there is not exactly one. */
export function oneResource(prefix: string, type: string): RecordedResource {
    const found = resourcesOf(prefix, type);
    if (found.length !== 1) throw new Error(`expected one ${type} for ${prefix}, found ${found.length}`);
    return found[0];
}

/** Waits until no new resource has been registered for a few timer turns. */
export async function settle(): Promise<void> {
    let last = -1;
    let stable = 0;
    while (stable < 5) {
        await new Promise((r) => setTimeout(r, 5));
        stable = recorded.length === last ? stable + 1 : 0;
        last = recorded.length;
    }
}

/** The smallest arguments of a cluster in one subnet, for tests to vary. */
export const SMALL_CLUSTER_ARGS = {
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0aaa1111bbbb2222c"],
    instanceTypes: ["m6i.large"],
    minSize: 1,
    maxSize: 4,
};
