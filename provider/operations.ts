// Every AWS operation the scaler may send, in one list: the IAM action that authorizes it, whether a
// preview needs it or only an up, how far IAM lets it be scoped, and the throttling bucket it counts
// against. The rate buckets (quotas.ts), the IAM policies (permissions.ts), the README's permissions
// and the test that records what the suite really sends all read this list.

/**
 * How far IAM lets an action be scoped, as AWS's Service Authorization Reference lists its resource
 * types and condition keys:
 * - `cluster`: the cluster's ARN;
 * - `in-cluster`: container instances, tasks and services of the cluster, by the condition `ecs:cluster`;
 * - `group`: the Auto Scaling group's ARN;
 * - `target-groups`: the target groups' ARNs;
 * - `namespace`: any resource, in the scaler's metric namespace only (condition `cloudwatch:namespace`);
 * - `lease-table`: the DynamoDB table of the cluster's lease;
 * - `any`: the action takes no resource-level permission (`*`).
 */
export type Scope = "cluster" | "in-cluster" | "group" | "target-groups" | "namespace" | "lease-table" | "any";

/** `preview`: every observation (a preview, `spot-ecs plan`); `up`: only an up that acts; `command`: only the `spot-ecs` command. */
export type Need = "preview" | "up" | "command";

export interface AwsOperation {
    /** The API operation, as the SDK names its command. */
    operation: string;
    /** The IAM action that authorizes it. */
    action: string;
    need: Need;
    scope: Scope;
    /** The throttling bucket of quotas.ts it counts against; unpaced when absent. */
    bucket?: string;
    /** What the scaler sends it for. */
    use: string;
    /** Needed only with this setting. */
    onlyWith?: "standaloneTasks: \"stop\"" | "leaseTable";
}

const ecs = (operation: string, need: Need, scope: Scope, bucket: string, use: string, onlyWith?: AwsOperation["onlyWith"]): AwsOperation =>
    ({ operation, action: `ecs:${operation}`, need, scope, bucket, use, ...(onlyWith === undefined ? {} : { onlyWith }) });
const asg = (operation: string, need: Need, use: string): AwsOperation =>
    ({ operation, action: `autoscaling:${operation}`, need, scope: need === "up" ? "group" : "any",
        bucket: need === "up" ? "Auto Scaling modify" : "Auto Scaling describe", use });
const elb = (operation: string, need: Need, use: string): AwsOperation =>
    ({ operation, action: `elasticloadbalancing:${operation}`, need, scope: need === "up" ? "target-groups" : "any",
        bucket: need === "up" ? "ELB modify" : "ELB describe", use });

/** Every AWS operation the scaler and the `spot-ecs` command send. */
export const AWS_OPERATIONS: readonly AwsOperation[] = [
    ecs("DescribeClusters", "preview", "cluster", "ECS cluster read", "the capacity providers attached to the cluster (managed draining)"),
    ecs("ListContainerInstances", "preview", "cluster", "ECS cluster resource read", "every observation"),
    ecs("DescribeContainerInstances", "preview", "in-cluster", "ECS cluster resource read", "every observation; each look at a draining instance"),
    ecs("ListTasks", "preview", "in-cluster", "ECS cluster resource read", "task details for a scale-in or replacement; each look at a draining instance"),
    ecs("DescribeTasks", "preview", "in-cluster", "ECS cluster resource read", "with ListTasks"),
    ecs("DescribeTaskDefinition", "preview", "any", "ECS task definition read", "what a task needs of an instance (ports, ENIs, GPUs, constraints); a service's stop timeout (the plan's forecast)"),
    ecs("ListServices", "preview", "any", "ECS service read", "services with tasks ECS cannot place"),
    ecs("DescribeServices", "preview", "in-cluster", "ECS service read", "services ECS cannot place; the service gate before a batch and a termination; the deployment configuration of services a plan drains (its forecast)"),
    ecs("DescribeCapacityProviders", "preview", "any", "ECS capacity provider read", "whether managed draining is attached to the group"),
    ecs("PutAttributes", "up", "in-cluster", "ECS cluster resource modify", "the drain mark on an instance the scaler drains"),
    ecs("DeleteAttributes", "up", "in-cluster", "ECS cluster resource modify", "clearing the drain mark"),
    ecs("UpdateContainerInstancesState", "up", "in-cluster", "ECS cluster resource modify", "DRAINING, and ACTIVE again"),
    ecs("StopTask", "up", "in-cluster", "ECS cluster resource modify", "standalone tasks at the drain timeout", "standaloneTasks: \"stop\""),
    ecs("DeregisterContainerInstance", "up", "cluster", "ECS cluster resource modify", "a drained instance whose agent is disconnected"),
    { operation: "DescribeInstances", action: "ec2:DescribeInstances", need: "preview", scope: "any", bucket: "EC2 DescribeInstances",
        use: "each instance's lifecycle (Spot or On-Demand) and launch time" },
    { operation: "DescribeSpotInstanceRequests", action: "ec2:DescribeSpotInstanceRequests", need: "preview", scope: "any",
        bucket: "EC2 DescribeSpotInstanceRequests", use: "Spot interruption notices of instances the scaler drains" },
    { operation: "DescribeInstanceTypes", action: "ec2:DescribeInstanceTypes", need: "preview", scope: "any", bucket: "EC2 DescribeInstanceTypes",
        use: "the network interfaces, vCPUs, memory and accelerators of the instance types in the group" },
    { operation: "DescribeLaunchTemplates", action: "ec2:DescribeLaunchTemplates", need: "command", scope: "any",
        use: "the launch template version the group uses (`spot-ecs plan`)" },
    asg("DescribeAutoScalingGroups", "preview", "every observation; each look during a run"),
    asg("DescribeScalingActivities", "preview", "the last scaling activity (cooldown) and failed Spot launches"),
    asg("DescribeLifecycleHooks", "preview", "whether a termination lifecycle hook holds the instances the group terminates on its own"),
    asg("SetDesiredCapacity", "up", "scale-out and the surge of a replacement"),
    asg("SetInstanceProtection", "up", "protecting instances launched before the group protected new ones"),
    asg("TerminateInstanceInAutoScalingGroup", "up", "terminating a drained instance"),
    asg("RecordLifecycleActionHeartbeat", "up", "keeping an instance the group terminates in the scaler's termination hook while it drains"),
    asg("CompleteLifecycleAction", "up", "letting an instance the scaler's termination hook holds go once drained (or ABANDON at the drain timeout)"),
    asg("UpdateAutoScalingGroup", "up", "the On-Demand base: falling back to On-Demand and back, the declared base"),
    asg("CreateOrUpdateTags", "up", "the surge and fallback records on the group"),
    asg("DeleteTags", "up", "clearing those records"),
    elb("DescribeTargetGroups", "preview", "each target group's type and port"),
    elb("DescribeTargetGroupAttributes", "preview", "each target group's deregistration delay (the drain's timeouts, the plan's estimate)"),
    elb("DescribeTargetHealth", "preview", "each look at a draining instance's targets"),
    elb("DeregisterTargets", "up", "taking a draining instance out of its target groups"),
    elb("RegisterTargets", "up", "putting an instance whose drain is undone back"),
    { operation: "GetMetricData", action: "cloudwatch:GetMetricData", need: "preview", scope: "any", bucket: "CloudWatch",
        use: "CPUReservation and MemoryReservation over the evaluation window" },
    { operation: "DescribeAlarms", action: "cloudwatch:DescribeAlarms", need: "preview", scope: "any", bucket: "CloudWatch",
        use: "the alarms of draining.haltOnAlarms, before a rollout and after each batch" },
    { operation: "PutMetricData", action: "cloudwatch:PutMetricData", need: "up", scope: "namespace", bucket: "CloudWatch",
        use: "the scaler's metrics after an up that acted" },
    { operation: "GetItem", action: "dynamodb:GetItem", need: "preview", scope: "lease-table", onlyWith: "leaseTable",
        use: "who holds the cluster's lease, and the runner's last outcome" },
    { operation: "PutItem", action: "dynamodb:PutItem", need: "up", scope: "lease-table", onlyWith: "leaseTable",
        use: "taking the cluster's lease (a conditional write); the runner's outcome" },
    { operation: "DeleteItem", action: "dynamodb:DeleteItem", need: "up", scope: "lease-table", onlyWith: "leaseTable",
        use: "giving the lease back (only if still its holder's)" },
];

/** The operation `name` of the list, or undefined. */
export function awsOperation(name: string): AwsOperation | undefined {
    return AWS_OPERATIONS.find((o) => o.operation === name);
}
