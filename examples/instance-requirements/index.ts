// An ECS cluster on Graviton Spot instances chosen by their attributes rather than a list: any current
// type with 2 to 8 vCPUs and at least 4 GiB per vCPU, no burstable, bare-metal or accelerated type.
// Every matching type in every zone is a Spot pool the group may launch into, and new generations join
// as AWS releases them. An instance whose type no longer matches (after a change to these attributes)
// is replaced, drained first, and the preview names it.
import * as aws from "@pulumi/aws";
import { SpotEcsCluster } from "pulumi-spot-ecs";

const vpc = aws.ec2.getVpcOutput({ default: true });
const subnets = aws.ec2.getSubnetsOutput({ filters: [{ name: "vpc-id", values: [vpc.id] }] });

const cluster = new SpotEcsCluster("graviton", {
    vpcId: vpc.id,
    subnetIds: subnets.ids,
    amiFamily: "al2023-arm64",
    instanceRequirements: {
        vcpuCount: { min: 2, max: 8 },
        memoryMiB: { min: 8192 },
        cpuManufacturers: ["amazon-web-services"],
        instanceGenerations: ["current"],
        acceleratorCount: { max: 0 },
        // awsvpc tasks take a network interface each: at least three (two for tasks) per instance.
        networkInterfaceCount: { min: 3 },
    },
    minSize: 2,
    maxSize: 20,
});

export const clusterName = cluster.clusterName;
export const autoScalingGroupName = cluster.autoScalingGroupName;
