// An ECS cluster of 2 to 10 Spot instances in the account's default VPC.
import * as aws from "@pulumi/aws";
import { SpotEcsCluster } from "pulumi-spot-ecs";

const vpc = aws.ec2.getVpcOutput({ default: true });
const subnets = aws.ec2.getSubnetsOutput({ filters: [{ name: "vpc-id", values: [vpc.id] }] });

const cluster = new SpotEcsCluster("web", {
    vpcId: vpc.id,
    subnetIds: subnets.ids,
    instanceTypes: ["m6i.large", "m5.large", "m5a.large"],
    minSize: 2,
    maxSize: 10,
});

export const clusterName = cluster.clusterName;
export const autoScalingGroupName = cluster.autoScalingGroupName;
export const launchTemplateVersion = cluster.launchTemplateVersion;
export const scalerUrn = cluster.scalerUrn;
