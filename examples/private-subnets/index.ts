// An ECS cluster on Spot capacity in private subnets with no route to the internet. The container
// instances reach AWS through VPC endpoints instead of a NAT gateway:
//   - ecs, ecs-agent, ecs-telemetry: the ECS agent registers, receives tasks and reports metrics;
//   - ecr.api, ecr.dkr and the S3 gateway: pulling images from ECR (layers are stored in S3);
//   - logs: the awslogs log driver;
//   - ssm, ssmmessages, ec2messages: Session Manager (the component's `enableSsm`, on by default).
// Images from outside AWS (Docker Hub) need a NAT gateway instead. The AMI id is resolved at deploy
// time from SSM by the deployer, and the scaler runs on the deployer's machine: neither needs a route
// from the instances.
import * as aws from "@pulumi/aws";
import { SpotEcsCluster } from "pulumi-spot-ecs";

const cidr = "10.40.0.0/16";
const vpc = new aws.ec2.Vpc("ecs", { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true });
const zones = aws.getAvailabilityZonesOutput({ state: "available" }).names;
const routes = new aws.ec2.RouteTable("private", { vpcId: vpc.id });
const subnets = [0, 1].map((k) => {
    const subnet = new aws.ec2.Subnet(`private-${k}`, {
        vpcId: vpc.id,
        cidrBlock: `10.40.${k * 16}.0/20`,
        availabilityZone: zones.apply((z) => z[k]),
        mapPublicIpOnLaunch: false,
    });
    new aws.ec2.RouteTableAssociation(`private-${k}`, { subnetId: subnet.id, routeTableId: routes.id });
    return subnet;
});

// HTTPS from inside the VPC to the interface endpoints.
const endpointSecurityGroup = new aws.ec2.SecurityGroup("endpoints", {
    vpcId: vpc.id,
    ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [cidr] }],
});
const region = aws.getRegionOutput().region;
const interfaceEndpoints = ["ecs", "ecs-agent", "ecs-telemetry", "ecr.api", "ecr.dkr", "logs", "ssm", "ssmmessages", "ec2messages"];
for (const service of interfaceEndpoints) {
    new aws.ec2.VpcEndpoint(service.replace(".", "-"), {
        vpcId: vpc.id,
        serviceName: region.apply((r) => `com.amazonaws.${r}.${service}`),
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: subnets.map((s) => s.id),
        securityGroupIds: [endpointSecurityGroup.id],
    });
}
new aws.ec2.VpcEndpoint("s3", {
    vpcId: vpc.id,
    serviceName: region.apply((r) => `com.amazonaws.${r}.s3`),
    vpcEndpointType: "Gateway",
    routeTableIds: [routes.id],
});

const cluster = new SpotEcsCluster("private", {
    vpcId: vpc.id,
    subnetIds: subnets.map((s) => s.id),
    instanceTypes: ["m6i.large", "m5.large", "m5a.large"],
    minSize: 2,
    maxSize: 10,
});

export const clusterName = cluster.clusterName;
export const autoScalingGroupName = cluster.autoScalingGroupName;
export const scalerUrn = cluster.scalerUrn;
