// Spot capacity for an existing ECS cluster whose instances serve an ALB target group.
// Instances are deregistered from the target group and drained before they are terminated.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SpotEcsCluster } from "pulumi-spot-ecs";

const config = new pulumi.Config();
const existingClusterName = config.get("clusterName") ?? "shared";

const vpc = aws.ec2.getVpcOutput({ default: true });
const subnets = aws.ec2.getSubnetsOutput({ filters: [{ name: "vpc-id", values: [vpc.id] }] });

const albSecurityGroup = new aws.ec2.SecurityGroup("alb", {
    vpcId: vpc.id,
    ingress: [{ protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] }],
    egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
});
const instancesSecurityGroup = new aws.ec2.SecurityGroup("instances", {
    vpcId: vpc.id,
    ingress: [{ protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: [albSecurityGroup.id] }],
    egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
});
const alb = new aws.lb.LoadBalancer("web", { securityGroups: [albSecurityGroup.id], subnets: subnets.ids });
const targetGroup = new aws.lb.TargetGroup("web", {
    vpcId: vpc.id,
    port: 8080,
    protocol: "HTTP",
    targetType: "instance",
    deregistrationDelay: 60,
    healthCheck: { path: "/healthz" },
});
new aws.lb.Listener("web", {
    loadBalancerArn: alb.arn,
    port: 80,
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
});

const capacity = new SpotEcsCluster("shared-spot", {
    existingClusterName,
    subnetIds: subnets.ids,
    securityGroupIds: [instancesSecurityGroup.id],
    targetGroupArns: [targetGroup.arn],
    instanceTypes: ["c6i.xlarge", "c5.xlarge", "c5a.xlarge"],
    minSize: 3,
    maxSize: 30,
    onDemandBaseCapacity: 1,
    instanceAttributes: { pool: "spot-web" },
    scaling: { cpuHighPercent: 80, scaleInTargetPercent: 70, evaluationMinutes: 10, scaleOutStep: 2, maxScaleInPercent: 20 },
    draining: { timeoutSeconds: 1200, batchSize: 2, minHealthyPercent: 90, standaloneTasks: "stop", maxUpdateSeconds: 5400 },
    tags: { team: "web" },
});

export const url = pulumi.interpolate`http://${alb.dnsName}`;
export const autoScalingGroupName = capacity.autoScalingGroupName;
export const scalerUrn = capacity.scalerUrn;
