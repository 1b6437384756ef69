// Builds an ECS cluster on an Auto Scaling group in moto: launch template (two versions), group,
// container instances for its instances, tasks on them, an optional target group and metric data.
import * as asg from "@aws-sdk/client-auto-scaling";
import * as ddb from "@aws-sdk/client-dynamodb";
import * as cw from "@aws-sdk/client-cloudwatch";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecs from "@aws-sdk/client-ecs";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";

export const REGION = "us-east-1";
/** A Linux AMI moto knows (its first "amazon" AMIs are Windows). */
const LINUX_AMI = "ami-1e749f67";

export interface MotoClusterOpts {
    name: string;
    instances: number;
    tasksPerInstance?: number;
    /** Launch template version the group and its instances use. */
    version?: "1" | "2";
    maxSize?: number;
    minSize?: number;
    targetGroup?: boolean;
    /** Families of standalone tasks started on the first instance. */
    standalone?: string[];
    /** The group protects new instances from scale-in, as the component sets it up. @default true */
    protectNew?: boolean;
    /** Static host port (bridge networking) the service's tasks bind, as ECS reports in their network bindings. @default none */
    hostPort?: number;
    /** ECS's managed-draining termination hook on the group, as on a group the component creates. @default true */
    terminationHook?: boolean;
    /** The fixture's credentials, for a moto that enforces IAM. @default any */
    credentials?: Credentials;
    /** Network mode of the service's task definition. @default "bridge" */
    networkMode?: "bridge" | "awsvpc";
    /**
     * Creates the service `web` with these placement constraints (moto runs none of its tasks: the fixture starts them;
     * and moto drops the constraints: tell the limits proxy, `servicePlacement`, to report them).
     */
    serviceConstraints?: ecs.PlacementConstraint[];
}

export interface MotoCluster {
    clusterName: string;
    autoScalingGroupName: string;
    launchTemplateId: string;
    targetGroupArn?: string;
    instanceIds: string[];
    containerArns: Record<string, string>;
    taskArns: string[];
    clients: Clients;
}

export interface Clients {
    ec2: ec2.EC2Client;
    asg: asg.AutoScalingClient;
    ecs: ecs.ECSClient;
    cw: cw.CloudWatchClient;
    elb: elb.ElasticLoadBalancingV2Client;
    ddb: ddb.DynamoDBClient;
}

/** The credentials the fixture sends with; any pair does unless moto enforces IAM. */
export interface Credentials {
    accessKeyId: string;
    secretAccessKey: string;
}

const TESTING: Credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

export function clientsFor(endpoint: string, credentials: Credentials = TESTING): Clients {
    // A request moto never answers fails after 10 s instead of stalling the fixture's loops.
    const config = { region: REGION, endpoint, credentials, requestHandler: { requestTimeout: 10_000, connectionTimeout: 5_000 } };
    return {
        ec2: new ec2.EC2Client(config),
        asg: new asg.AutoScalingClient(config),
        ecs: new ecs.ECSClient(config),
        cw: new cw.CloudWatchClient({ ...config, disableRequestCompression: true }),
        elb: new elb.ElasticLoadBalancingV2Client(config),
        ddb: new ddb.DynamoDBClient(config),
    };
}

export async function createMotoCluster(endpoint: string, o: MotoClusterOpts): Promise<MotoCluster> {
    const c = clientsFor(endpoint, o.credentials);
    const subnets = await c.ec2.send(new ec2.DescribeSubnetsCommand({}));
    const subnet = subnets.Subnets![0];
    const lt = await c.ec2.send(new ec2.CreateLaunchTemplateCommand({
        LaunchTemplateName: `${o.name}-lt`, LaunchTemplateData: { ImageId: LINUX_AMI, InstanceType: "m6i.large" },
    }));
    const launchTemplateId = lt.LaunchTemplate!.LaunchTemplateId!;
    await c.ec2.send(new ec2.CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: launchTemplateId, LaunchTemplateData: { ImageId: LINUX_AMI, InstanceType: "m6i.large" },
    }));

    let targetGroupArn: string | undefined;
    if (o.targetGroup) {
        const tg = await c.elb.send(new elb.CreateTargetGroupCommand({
            Name: `${o.name}-tg`, Protocol: "HTTP", Port: 80, VpcId: subnet.VpcId, TargetType: "instance",
        }));
        targetGroupArn = tg.TargetGroups![0].TargetGroupArn!;
    }

    const autoScalingGroupName = `${o.name}-asg`;
    await c.asg.send(new asg.CreateAutoScalingGroupCommand({
        AutoScalingGroupName: autoScalingGroupName,
        MinSize: o.minSize ?? 1,
        MaxSize: o.maxSize ?? o.instances * 2,
        DesiredCapacity: o.instances,
        VPCZoneIdentifier: subnet.SubnetId,
        // A plain launch template reference: moto keeps a mixed instances policy's version fixed on update.
        LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: o.version ?? "1" },
        NewInstancesProtectedFromScaleIn: o.protectNew ?? true,
        ...(targetGroupArn === undefined ? {} : { TargetGroupARNs: [targetGroupArn] }),
    }));
    // The termination hook ECS's managed draining puts on a group the component creates.
    if (o.terminationHook ?? true) {
        await c.asg.send(new asg.PutLifecycleHookCommand({ AutoScalingGroupName: autoScalingGroupName, LifecycleHookName: "ecs-managed-draining-termination-hook",
            LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", HeartbeatTimeout: 3600, DefaultResult: "CONTINUE" }));
    }
    const group = await c.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroupName] }));
    const instanceIds = group.AutoScalingGroups![0].Instances!.map((i) => i.InstanceId!).sort();
    if (targetGroupArn !== undefined) {
        await c.elb.send(new elb.RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: instanceIds.map((Id) => ({ Id })) }));
    }

    const clusterName = o.name;
    await c.ecs.send(new ecs.CreateClusterCommand({ clusterName }));
    await c.ecs.send(new ecs.RegisterTaskDefinitionCommand({
        family: "web", cpu: "128", memory: "256", networkMode: o.networkMode ?? "bridge",
        containerDefinitions: [{ name: "web", image: "nginx", cpu: 128, memory: 256,
            ...(o.hostPort === undefined ? {} : { portMappings: [{ containerPort: 8080, hostPort: o.hostPort, protocol: "tcp" }] }) }],
    }));
    if (o.serviceConstraints !== undefined) {
        await c.ecs.send(new ecs.CreateServiceCommand({ cluster: clusterName, serviceName: "web", taskDefinition: "web",
            desiredCount: instanceIds.length * (o.tasksPerInstance ?? 0), placementConstraints: o.serviceConstraints }));
    }
    const containerArns: Record<string, string> = {};
    for (const id of instanceIds) {
        const r = await c.ecs.send(new ecs.RegisterContainerInstanceCommand({
            cluster: clusterName, instanceIdentityDocument: JSON.stringify({ instanceId: id, region: REGION }),
        }));
        containerArns[id] = r.containerInstance!.containerInstanceArn!;
    }
    const taskArns: string[] = [];
    // moto's StartTask cannot start an awsvpc task (it drops the network configuration) and its RunTask
    // fills the first ACTIVE instance it finds: every other instance is set DRAINING for the while.
    for (const id of o.networkMode === "awsvpc" ? instanceIds : []) {
        const others = instanceIds.filter((x) => x !== id).map((x) => containerArns[x]);
        const setOthers = (status: "ACTIVE" | "DRAINING") => c.ecs.send(new ecs.UpdateContainerInstancesStateCommand({
            cluster: clusterName, containerInstances: others, status }));
        await setOthers("DRAINING");
        const r = await c.ecs.send(new ecs.RunTaskCommand({ cluster: clusterName, taskDefinition: "web", count: o.tasksPerInstance ?? 0,
            group: "service:web", networkConfiguration: { awsvpcConfiguration: { subnets: [subnet.SubnetId!], securityGroups: [] } } }));
        await setOthers("ACTIVE");
        if (r.tasks!.some((t) => t.containerInstanceArn !== containerArns[id])) throw new Error(`RunTask placed off ${id}`);
        taskArns.push(...r.tasks!.map((t) => t.taskArn!));
    }
    for (const id of o.networkMode === "awsvpc" ? [] : instanceIds) {
        for (let k = 0; k < (o.tasksPerInstance ?? 0); k++) {
            const r = await c.ecs.send(new ecs.StartTaskCommand({
                cluster: clusterName, taskDefinition: "web", containerInstances: [containerArns[id]], group: "service:web",
            }));
            taskArns.push(...r.tasks!.map((t) => t.taskArn!));
        }
    }
    if ((o.standalone ?? []).length > 0) {
        await c.ecs.send(new ecs.RegisterTaskDefinitionCommand({
            family: "batch", cpu: "64", memory: "64", containerDefinitions: [{ name: "batch", image: "busybox", cpu: 64, memory: 64 }],
        }));
        for (const family of o.standalone!) {
            const r = await c.ecs.send(new ecs.StartTaskCommand({
                cluster: clusterName, taskDefinition: "batch", containerInstances: [containerArns[instanceIds[0]]], group: `family:${family}`,
            }));
            taskArns.push(...r.tasks!.map((t) => t.taskArn!));
        }
    }
    return { clusterName, autoScalingGroupName, launchTemplateId, targetGroupArn, instanceIds, containerArns, taskArns, clients: c };
}

/** Publishes CPUReservation and MemoryReservation, one datapoint a minute for `minutes` up to `endMs`. */
export async function putReservations(c: Clients, clusterName: string, cpu: number, memory: number, minutes: number, endMs = Date.now()): Promise<void> {
    const data: cw.MetricDatum[] = [];
    for (let m = 1; m <= minutes; m++) {
        const Timestamp = new Date(Math.floor(endMs / 60_000) * 60_000 - m * 60_000);
        const Dimensions = [{ Name: "ClusterName", Value: clusterName }];
        data.push({ MetricName: "CPUReservation", Dimensions, Timestamp, Value: cpu, Unit: "Percent" });
        data.push({ MetricName: "MemoryReservation", Dimensions, Timestamp, Value: memory, Unit: "Percent" });
    }
    for (let i = 0; i < data.length; i += 500) {
        await c.cw.send(new cw.PutMetricDataCommand({ Namespace: "AWS/ECS", MetricData: data.slice(i, i + 500) }));
    }
}

/** Holds a task in STOPPING, as ECS reports it while the task shuts down (see tests/helpers/awsLimits.ts). */
export interface StoppingHold {
    holdStopping(taskArn: string, untilMs: number): void;
}

/**
 * Plays the parts of ECS that moto lacks, as a background loop: the agent registers every instance
 * of the group that has no container instance yet, and the service scheduler stops the service
 * tasks of DRAINING instances (their replacements are not modelled). Standalone tasks stay. With
 * `stopping`, each task it stops is reported STOPPING for `ms` before it is STOPPED, as in ECS.
 */
export function playEcs(c: Clients, clusterName: string, autoScalingGroupName: string, everyMs = 300,
    stopping?: { hold: StoppingHold; ms: number }): { stop(): Promise<void>; moved: () => number; heldUntil: (instanceId: string) => number } {
    let moved = 0;
    const held = new Map<string, number>();
    let running = true;
    const turn = async () => {
            try {
                const g = await c.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroupName] }));
                const live = (g.AutoScalingGroups?.[0]?.Instances ?? []).filter((i) => i.LifecycleState === "InService").map((i) => i.InstanceId!);
                const list = await c.ecs.send(new ecs.ListContainerInstancesCommand({ cluster: clusterName }));
                const described = (list.containerInstanceArns ?? []).length === 0 ? [] : (await c.ecs.send(
                    new ecs.DescribeContainerInstancesCommand({ cluster: clusterName, containerInstances: list.containerInstanceArns }))).containerInstances ?? [];
                const registered = new Set(described.map((ci) => ci.ec2InstanceId));
                for (const id of live.filter((i) => !registered.has(i))) {
                    await c.ecs.send(new ecs.RegisterContainerInstanceCommand({
                        cluster: clusterName, instanceIdentityDocument: JSON.stringify({ instanceId: id, region: REGION }),
                    }));
                }
                for (const ci of described.filter((x) => x.status === "DRAINING")) {
                    const tasks = await c.ecs.send(new ecs.ListTasksCommand({ cluster: clusterName, containerInstance: ci.containerInstanceArn, desiredStatus: "RUNNING" }));
                    if ((tasks.taskArns ?? []).length === 0) continue;
                    const d = await c.ecs.send(new ecs.DescribeTasksCommand({ cluster: clusterName, tasks: tasks.taskArns }));
                    for (const t of (d.tasks ?? []).filter((x) => x.group?.startsWith("service:") && x.desiredStatus === "RUNNING")) {
                        if (stopping !== undefined) {
                            const until = Date.now() + stopping.ms;
                            stopping.hold.holdStopping(t.taskArn!, until);
                            held.set(ci.ec2InstanceId!, Math.max(held.get(ci.ec2InstanceId!) ?? 0, until));
                        }
                        await c.ecs.send(new ecs.StopTaskCommand({ cluster: clusterName, task: t.taskArn, reason: "moved by ECS (test)" }));
                        moved++;
                    }
                }
            } catch {
                // The cluster may be mid-change; the next turn sees it settled.
            }
    };
    const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    const loop = (async () => {
        while (running) {
            // A turn whose request never comes back must not stop the loop: the next one goes ahead.
            await Promise.race([turn(), pause(15_000)]);
            await pause(everyMs);
        }
    })();
    return {
        moved: () => moved,
        heldUntil: (instanceId) => held.get(instanceId) ?? 0,
        async stop() {
            running = false;
            await Promise.race([loop, pause(20_000)]);
        },
    };
}

/** The lease table as the component creates it (partition key `pk`, a string), in moto. */
export async function createLeaseTable(endpoint: string, name: string): Promise<void> {
    const client = new ddb.DynamoDBClient({ region: REGION, endpoint, credentials: TESTING });
    await client.send(new ddb.CreateTableCommand({ TableName: name, BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }] }));
}
