// What one reconcile (observe + plan, no action) costs in AWS requests, counted against moto behind
// the proxy that enforces ECS page and batch limits: once with reservation mid-range (no task details
// needed) and once with both reservations low (the planner needs task sizes to check a scale-in).
import * as asg from "@aws-sdk/client-auto-scaling";
import * as ecs from "@aws-sdk/client-ecs";
import { awsCloud } from "../provider/aws/cloud";
import { realDeps } from "../provider/cloud";
import { DEFAULT_DRAINING, DEFAULT_SCALING } from "../provider/settings";
import { previewPlan } from "../provider/reconcile";
import { startLimitsProxy } from "../tests/helpers/awsLimits";
import { awsEnv } from "../tests/helpers/env";
import { clientsFor, putReservations, REGION } from "../tests/helpers/motoCluster";
import { startMoto } from "../tests/helpers/moto";

export interface ApiCallsRow {
    instances: number;
    tasks: number;
    /** Requests of a reconcile with nothing to decide from task details. */
    requests: number;
    byOperation: Record<string, number>;
    /** The same reconcile when both reservations are low and task sizes are read for the bin-packing check. */
    withTaskDetails: { requests: number; byOperation: Record<string, number> };
    /** The target: 5 + 3 × ceil(instances / 100) + 2 × ceil(tasks / 100). */
    budget: number;
}

export function requestBudget(instances: number, tasks: number): number {
    return 5 + 3 * Math.ceil(instances / 100) + 2 * Math.ceil(tasks / 100);
}

const total = (byOp: Record<string, number>) => Object.values(byOp).reduce((a, b) => a + b, 0);

/** Builds an n-instance cluster in moto quickly: one group, container instances, tasks started ten instances at a time. */
async function seed(endpoint: string, name: string, instances: number, tasksPerInstance: number) {
    const c = clientsFor(endpoint);
    const { EC2Client, DescribeSubnetsCommand, CreateLaunchTemplateCommand } = await import("@aws-sdk/client-ec2");
    const ec2 = new EC2Client({ region: REGION, endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    const subnet = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets![0].SubnetId!;
    const lt = await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `${name}-lt`, LaunchTemplateData: { ImageId: "ami-1e749f67", InstanceType: "m6i.large" } }));
    const launchTemplateId = lt.LaunchTemplate!.LaunchTemplateId!;
    const autoScalingGroupName = `${name}-asg`;
    await c.asg.send(new asg.CreateAutoScalingGroupCommand({
        AutoScalingGroupName: autoScalingGroupName, MinSize: 1, MaxSize: instances * 2, DesiredCapacity: instances,
        VPCZoneIdentifier: subnet, LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: "1" },
    }));
    const g = await c.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroupName] }));
    const ids = g.AutoScalingGroups![0].Instances!.map((i) => i.InstanceId!);
    await c.ecs.send(new ecs.CreateClusterCommand({ clusterName: name }));
    await c.ecs.send(new ecs.RegisterTaskDefinitionCommand({ family: "app", cpu: "64", memory: "128",
        containerDefinitions: [{ name: "app", image: "nginx", cpu: 64, memory: 128 }] }));
    const arns: string[] = [];
    for (const id of ids) {
        const r = await c.ecs.send(new ecs.RegisterContainerInstanceCommand({
            cluster: name, instanceIdentityDocument: JSON.stringify({ instanceId: id, region: REGION }) }));
        arns.push(r.containerInstance!.containerInstanceArn!);
    }
    for (let i = 0; i < arns.length; i += 10) {
        for (let k = 0; k < tasksPerInstance; k++) {
            await c.ecs.send(new ecs.StartTaskCommand({ cluster: name, taskDefinition: "app", containerInstances: arns.slice(i, i + 10), group: "service:app" }));
        }
    }
    return { c, launchTemplateId, autoScalingGroupName };
}

/** Requests of one reconcile (observe + plan) for each fleet size, 10 tasks per instance. */
export async function apiCallRows(sizes: number[], tasksPerInstance = 10): Promise<ApiCallsRow[]> {
    const moto = await startMoto();
    const proxy = await startLimitsProxy(moto.endpoint);
    const restore = awsEnv(proxy.endpoint);
    const rows: ApiCallsRow[] = [];
    try {
        for (const n of sizes) {
            const measured: { requests: number; byOperation: Record<string, number> }[] = [];
            for (const [cpu, memory] of [[80, 80], [20, 20]]) {
                await moto.reset();
                const name = `cost${n}`;
                const { c, launchTemplateId, autoScalingGroupName } = await seed(moto.endpoint, name, n, tasksPerInstance);
                await putReservations(c, name, cpu, memory, DEFAULT_SCALING.scaleInAfterMinutes + 2);
                const settings = {
                    region: REGION, clusterName: name, autoScalingGroupName, launchTemplateId, launchTemplateVersion: "1",
                    targetGroupArns: [], scaling: { ...DEFAULT_SCALING }, draining: { ...DEFAULT_DRAINING },
                };
                const cloud = awsCloud(settings);
                await previewPlan(cloud, realDeps(() => undefined), settings);
                measured.push({ requests: total(cloud.requests), byOperation: { ...cloud.requests } });
            }
            rows.push({
                instances: n, tasks: n * tasksPerInstance, ...measured[0], withTaskDetails: measured[1],
                budget: requestBudget(n, n * tasksPerInstance),
            });
        }
    } finally {
        restore();
        await proxy.close();
        await moto.stop();
    }
    return rows;
}
