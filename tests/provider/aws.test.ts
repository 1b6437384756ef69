// The AWS implementation of the Cloud port against moto, through a proxy that enforces the ECS
// page and batch limits moto leaves out. Every operation of the port is exercised.
import { strict as assert } from "node:assert";
import * as ecs from "@aws-sdk/client-ecs";
import * as asg from "@aws-sdk/client-auto-scaling";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import * as cw from "@aws-sdk/client-cloudwatch";
import { awsCloud, AwsCloud } from "../../provider/aws/cloud";
import { startMoto, Moto } from "../helpers/moto";
import { startLimitsProxy, LimitsProxy } from "../helpers/awsLimits";
import { createMotoCluster, MotoCluster, putReservations, REGION } from "../helpers/motoCluster";
import { awsEnv } from "../helpers/env";
import { Cloud } from "../../provider/cloud";
import { simCloud } from "../../provider/sim/cloud";
import { SIM_TYPE_FACTS } from "../../provider/sim/instanceTypeFacts";
import { AWS_NETWORK } from "../../provider/sim/network";
import { buildCluster } from "../../provider/sim/scenario";
import { assertListedOperations } from "../helpers/operations";
import { playEcs } from "../helpers/motoCluster";
import { HOOK_WAIT_STATE, TERMINATION_HOOK_NAME } from "../../provider/model";
import { previewPlan, reconcile } from "../../provider/reconcile";
import { isForecastLine } from "../../provider/render";
import { realDeps } from "../../provider/cloud";
import { DEFAULT_DRAINING, DEFAULT_SCALING, ScalerSettings } from "../../provider/settings";

describe("AWS Cloud port against moto @moto", function () {
    this.timeout(180_000);
    let moto: Moto;
    let proxy: LimitsProxy;
    let restoreEnv: () => void;

    before(async () => {
        moto = await startMoto();
        proxy = await startLimitsProxy(moto.endpoint);
        restoreEnv = awsEnv(proxy.endpoint);
    });

    after(async () => {
        restoreEnv?.();
        const sent = proxy?.scalerOperations();
        await proxy?.close();
        await moto?.stop();
        // After every test, the nested suites' included: each AWS operation the scaler sent is one its permissions list.
        if (sent !== undefined) assertListedOperations(sent);
    });

    const cloudFor = (m: MotoCluster): AwsCloud =>
        awsCloud({ region: REGION, clusterName: m.clusterName, autoScalingGroupName: m.autoScalingGroupName });

    describe("reading a cluster of 120 instances and 150 tasks", () => {
        let m: MotoCluster;
        before(async () => {
            await moto.reset();
            m = await createMotoCluster(moto.endpoint, { name: "big", instances: 120, targetGroup: true });
            // 150 tasks: one on each of the first 120 instances, a second on the first 30.
            for (const [i, id] of m.instanceIds.entries()) {
                for (let k = 0; k < (i < 30 ? 2 : 1); k++) {
                    await m.clients.ecs.send(new ecs.StartTaskCommand({
                        cluster: m.clusterName, taskDefinition: "web", containerInstances: [m.containerArns[id]], group: "service:web",
                    }));
                }
            }
        });

        it("describes the group: sizes, instances with their template version, target groups", async () => {
            const g = await cloudFor(m).describeGroup();
            assert.deepEqual([g.name, g.desired, g.minSize, g.maxSize], ["big-asg", 120, 1, 240]);
            assert.equal(g.instances.length, 120);
            assert.deepEqual(g.instances[0].launchTemplateId, m.launchTemplateId);
            assert.equal(g.instances[0].launchTemplateVersion, "1");
            assert.equal(g.instances[0].asgState, "InService");
            assert.deepEqual(g.targetGroupArns, [m.targetGroupArn]);
            assert.equal(g.surgeBaseline, undefined);
        });

        it("pages through 120 container instances and describes them in batches of 100", async () => {
            const cloud = cloudFor(m);
            const cis = await cloud.listContainerInstances();
            assert.equal(cis.length, 120);
            assert.deepEqual(new Set(cis.map((c) => c.ec2InstanceId)), new Set(m.instanceIds));
            assert.deepEqual(cloud.requests, { ListContainerInstances: 2, DescribeContainerInstances: 2 });
            const first = cis.find((c) => c.ec2InstanceId === m.instanceIds[0])!;
            assert.deepEqual([first.status, first.agentConnected, first.registered], ["ACTIVE", true, { cpu: 4096, memory: 7482 }]);
            assert.deepEqual(first.remaining, { cpu: 4096 - 256, memory: 7482 - 512 });
            assert.equal(first.runningTasks, 2);
        });

        it("pages through 150 tasks and describes them in batches of 100, with group and size", async () => {
            const cloud = cloudFor(m);
            const tasks = await cloud.listTasks();
            assert.equal(tasks.length, 150);
            // The placement needs cost one DescribeTaskDefinition per task definition and one DescribeServices per ten services.
            assert.deepEqual(cloud.requests, { ListTasks: 2, DescribeTasks: 2, DescribeTaskDefinition: 1, DescribeServices: 1 });
            assert.deepEqual([tasks[0].group, tasks[0].cpu, tasks[0].memory, tasks[0].needs], ["service:web", 128, 256, {}]);
            assert.ok(tasks.every((t) => Object.values(m.containerArns).includes(t.containerInstanceArn)));
        });

        it("lists the tasks of one container instance", async () => {
            const tasks = await cloudFor(m).listTasksOn(m.containerArns[m.instanceIds[0]]);
            assert.equal(tasks.length, 2);
        });

        it("reads a task definition once per run, however many instances' tasks need it", async () => {
            const cloud = cloudFor(m);
            for (const id of m.instanceIds.slice(0, 3)) await cloud.listTasksOn(m.containerArns[id], true);
            assert.equal(cloud.requests.DescribeTaskDefinition, 1);
            assert.equal(cloud.requests.DescribeServices, 3, "services change, so they are read each time");
        });

        it("is what the simulator charges with a network model: the same requests, by operation, for the same cluster", async () => {
            // The simulated Cloud's latency and throttling stand on this: it charges the requests this code sends.
            const world = buildCluster({ instances: 120, services: [{ name: "web", count: 150, cpu: 128, memory: 256 }] });
            const occupied = [...world.instances.values()].find((i) => world.tasksOn(i.id).length > 0)!;
            const calls: [string, (c: Cloud, arn: string) => Promise<unknown>][] = [
                ["listContainerInstances", (c) => c.listContainerInstances()],
                ["listTasks", (c) => c.listTasks()],
                ["listTasksOn", (c, arn) => c.listTasksOn(arn)],
                ["describeContainerInstances", (c, arn) => c.describeContainerInstances([arn])],
            ];
            for (const [name, callOn] of calls) {
                const aws = cloudFor(m);
                await callOn(aws, m.containerArns[m.instanceIds[0]]);
                const sim = simCloud(world, undefined, { ...AWS_NETWORK, buckets: [] });
                await world.clock.run(callOn(sim, occupied.container!.arn));
                assert.deepEqual(sim.network!.requests, aws.requests, name);
            }
        });

        it("reads instance lifecycles and launch times in one request", async () => {
            const cloud = cloudFor(m);
            const facts = await cloud.describeInstances(m.instanceIds.slice(0, 150));
            assert.equal(Object.keys(facts).length, 120);
            assert.ok(Object.values(facts).every((f) => f.lifecycle === "on-demand"), "moto launches On-Demand instances");
            assert.ok(Object.values(facts).every((f) => typeof f.launchTime === "number" && f.launchTime <= Date.now() + 60_000));
            assert.deepEqual(cloud.requests, { DescribeInstances: 1 });
        });

        it("drains 12 instances with two UpdateContainerInstancesState calls of at most 10", async () => {
            const cloud = cloudFor(m);
            const arns = m.instanceIds.slice(100, 112).map((id) => m.containerArns[id]);
            await cloud.setContainerInstanceState(arns, "DRAINING");
            assert.deepEqual(cloud.requests, { UpdateContainerInstancesState: 2 });
            const after = await cloud.describeContainerInstances(arns);
            assert.deepEqual([...new Set(after.map((c) => c.status))], ["DRAINING"]);
            await cloud.setContainerInstanceState(arns, "ACTIVE");
            assert.deepEqual([...new Set((await cloud.describeContainerInstances(arns)).map((c) => c.status))], ["ACTIVE"]);
        });

        it("marks 12 instances with two PutAttributes calls, the drain's start in the mark, and clears the marks", async () => {
            const cloud = cloudFor(m);
            const arns = m.instanceIds.slice(100, 112).map((id) => m.containerArns[id]);
            await cloud.markDrain(arns, "replace", 1_765_000_000_500);
            assert.equal(cloud.requests.PutAttributes, 2);
            assert.deepEqual([...new Set((await cloud.describeContainerInstances(arns)).map((c) => c.drainMark))], ["replace"]);
            assert.deepEqual([...new Set((await cloud.describeContainerInstances(arns)).map((c) => c.drainSince))], [1_765_000_000_000], "to the second");
            await cloud.clearDrainMark(arns);
            assert.equal(cloud.requests.DeleteAttributes, 2);
            assert.deepEqual([...new Set((await cloud.describeContainerInstances(arns)).map((c) => c.drainMark))], [undefined]);
        });
    });

    describe("acting on a small cluster", () => {
        let m: MotoCluster;
        beforeEach(async () => {
            await moto.reset();
            m = await createMotoCluster(moto.endpoint, { name: "small", instances: 3, tasksPerInstance: 2, targetGroup: true });
        });

        it("reads the reservation metrics of the window in one GetMetricData request", async () => {
            const now = Date.now();
            await putReservations(m.clients, m.clusterName, 81.5, 42, 8, now);
            const cloud = cloudFor(m);
            const start = Math.floor(now / 60_000) * 60_000 - 5 * 60_000;
            const r = await cloud.reservationMetrics(start, now);
            assert.deepEqual(cloud.requests, { GetMetricData: 1 });
            assert.equal(r.cpu.length, 5, "the five minutes inside the window, not the three before it");
            assert.ok(r.cpu.every((p) => p.value === 81.5));
            assert.ok(r.memory.every((p) => p.value === 42));
            assert.ok(r.cpu.every((p) => p.time >= start && p.time <= now));
        });

        it("reads the group's termination lifecycle hooks, with the API's defaults where none was given", async () => {
            const cloud = cloudFor(m);
            const ecsHook = { name: "ecs-managed-draining-termination-hook", defaultResult: "CONTINUE", heartbeatTimeoutSeconds: 3600 };
            assert.deepEqual(await cloud.terminationHooks(), [ecsHook], "the fixture's group has ECS's hook, as the component's has");
            await m.clients.asg.send(new asg.PutLifecycleHookCommand({ AutoScalingGroupName: m.autoScalingGroupName, LifecycleHookName: "drain",
                LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", HeartbeatTimeout: 900, DefaultResult: "CONTINUE" }));
            await m.clients.asg.send(new asg.PutLifecycleHookCommand({ AutoScalingGroupName: m.autoScalingGroupName, LifecycleHookName: "boot",
                LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING" }));
            await m.clients.asg.send(new asg.PutLifecycleHookCommand({ AutoScalingGroupName: m.autoScalingGroupName, LifecycleHookName: "plain",
                LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING" }));
            const hooks = (await cloud.terminationHooks()).sort((a, b) => a.name.localeCompare(b.name));
            assert.deepEqual(hooks, [
                { name: "drain", defaultResult: "CONTINUE", heartbeatTimeoutSeconds: 900 },
                ecsHook,
                { name: "plain", defaultResult: "ABANDON", heartbeatTimeoutSeconds: 3600 },
            ], "termination hooks only; ABANDON and 3600 s where none was given (PutLifecycleHook's defaults)");
        });

        it("reads what the plan's forecast needs of a service: its deployment configuration, its target groups, the stop timeout of its task definition; and when each container instance registered", async () => {
            const cloud = cloudFor(m);
            await m.clients.ecs.send(new ecs.RegisterTaskDefinitionCommand({ family: "api", containerDefinitions: [
                { name: "api", image: "nginx", cpu: 128, memory: 256, stopTimeout: 45, portMappings: [{ containerPort: 8080 }] },
                { name: "sidecar", image: "busybox", cpu: 64, memory: 64, stopTimeout: 10 }] }));
            await m.clients.ecs.send(new ecs.CreateServiceCommand({ cluster: m.clusterName, serviceName: "api", taskDefinition: "api", desiredCount: 2,
                deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 },
                loadBalancers: [{ targetGroupArn: m.targetGroupArn!, containerName: "api", containerPort: 8080 }] }));
            await m.clients.ecs.send(new ecs.CreateServiceCommand({ cluster: m.clusterName, serviceName: "plain", taskDefinition: "web", desiredCount: 1 }));
            // moto keeps no deployment configuration: the proxy reports the one given, as ECS would.
            proxy.serviceDeployment("api", { minimumHealthyPercent: 50, maximumPercent: 150 });
            const facts = await cloud.serviceFacts(["api", "plain", "absent"]);
            assert.deepEqual(Object.keys(facts).sort(), ["api", "plain"], "a service ECS does not know is left out");
            assert.deepEqual({ ...facts.api, running: undefined }, { desired: 2, running: undefined, daemon: false, minimumHealthyPercent: 50, maximumPercent: 150,
                targetGroupArns: [m.targetGroupArn!], stopTimeoutSeconds: 45 });
            assert.equal(facts.plain.stopTimeoutSeconds, 30, "no stopTimeout in the task definition: the agent's default");
            assert.deepEqual([facts.plain.minimumHealthyPercent, facts.plain.maximumPercent], [100, 200], "ECS's defaults for a replica service");
            assert.equal(cloud.requests.DescribeServices, 1);
            const registered = (await cloud.listContainerInstances()).map((c) => c.registeredAt);
            assert.ok(registered.length === 3 && registered.every((t) => t !== undefined && Math.abs(t - Date.now()) < 3_600_000), JSON.stringify(registered));
        });

        it("reads the guard alarms' states, a missing one as missing, in one request; records, reads and clears a stopped rollout on the group", async () => {
            const cloud = cloudFor(m);
            const alarm = (AlarmName: string) => new cw.PutMetricAlarmCommand({ AlarmName, Namespace: "App", MetricName: "Errors", Statistic: "Sum", Period: 60,
                EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
            await m.clients.cw.send(alarm("web-5xx"));
            await m.clients.cw.send(alarm("api-latency"));
            await m.clients.cw.send(new cw.SetAlarmStateCommand({ AlarmName: "web-5xx", StateValue: "ALARM", StateReason: "test" }));
            // moto has no PutCompositeAlarm: composite alarms, which DescribeAlarms lists only when asked for their type, are not exercised here.
            const states = await cloud.alarmStates(["web-5xx", "api-latency", "nowhere"]);
            assert.equal(states["web-5xx"], "ALARM");
            assert.ok(["OK", "INSUFFICIENT_DATA"].includes(states["api-latency"]), states["api-latency"]);
            assert.equal(states.nowhere, "missing");
            assert.equal(cloud.requests.DescribeAlarms, 1);
            const halt = { version: "7", at: Date.UTC(2026, 11, 7, 3, 0, 0), alarm: "web-5xx", after: "replace batch 2 of 5" };
            await cloud.recordHalt(halt);
            assert.deepEqual((await cloud.describeGroup()).halted, halt);
            await cloud.recordHalt(undefined);
            assert.equal((await cloud.describeGroup()).halted, undefined);
        });

        it("sets desired capacity and records, reads and clears the surge baseline", async () => {
            const cloud = cloudFor(m);
            await cloud.recordSurge(3);
            await cloud.setDesiredCapacity(5);
            let g = await cloud.describeGroup();
            assert.equal(g.desired, 5);
            assert.equal(g.instances.length, 5);
            assert.equal(g.surgeBaseline, 3);
            await cloud.recordSurge(undefined);
            g = await cloud.describeGroup();
            assert.equal(g.surgeBaseline, undefined);
        });

        it("reads target states and deregisters targets", async () => {
            const cloud = cloudFor(m);
            const [a, b] = m.instanceIds;
            assert.deepEqual(await cloud.targetStates(m.targetGroupArn!, [a, b]), { [a]: "healthy", [b]: "healthy" });
            await cloud.deregisterTargets(m.targetGroupArn!, [a]);
            const after = await cloud.targetStates(m.targetGroupArn!, [a, b]);
            assert.ok(after[a] === undefined || after[a] === "unused" || after[a] === "draining", `deregistered target is ${after[a]}`);
            assert.equal(after[b], "healthy");
        });

        it("registers a target again at the group's port", async () => {
            const cloud = cloudFor(m);
            const [a] = m.instanceIds;
            await cloud.registerTargets(m.targetGroupArn!, [a], 80);
            assert.deepEqual(await cloud.targetStates(m.targetGroupArn!, [a], 80), { [a]: "healthy" });
        });

        it("leaves a task's target on another port of the same instance out of the instance's target state", async () => {
            const cloud = cloudFor(m);
            const [, b] = m.instanceIds;
            await cloud.deregisterTargets(m.targetGroupArn!, [b], 80);
            await m.clients.elb.send(new elb.RegisterTargetsCommand({ TargetGroupArn: m.targetGroupArn!, Targets: [{ Id: b, Port: 32768 }] }));
            const states = await cloud.targetStates(m.targetGroupArn!, [b], 80);
            assert.ok(states[b] !== "healthy", `the instance target at port 80 is gone; the task's target at 32768 is not ours, got ${states[b]}`);
            assert.equal((await cloud.targetStates(m.targetGroupArn!, [b], 32768))[b], "healthy");
            await cloud.registerTargets(m.targetGroupArn!, [b], 80);
        });

        it("reads each target group's type, port and deregistration delay", async () => {
            const cloud = cloudFor(m);
            assert.deepEqual(await cloud.targetGroups([m.targetGroupArn!]),
                { [m.targetGroupArn!]: { targetType: "instance", port: 80, deregistrationDelaySeconds: 300 } });
            await m.clients.elb.send(new elb.ModifyTargetGroupAttributesCommand({
                TargetGroupArn: m.targetGroupArn!, Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "45" }],
            }));
            assert.equal((await cloud.targetGroups([m.targetGroupArn!]))[m.targetGroupArn!].deregistrationDelaySeconds, 45);
        });

        it("describes the instances EC2 knows and leaves out an id it does not know yet", async () => {
            const cloud = cloudFor(m);
            const facts = await cloud.describeInstances([...m.instanceIds, "i-0123456789abcdef0"]);
            assert.deepEqual(Object.keys(facts).sort(), [...m.instanceIds].sort());
        });

        it("reads EC2's facts about instance types: what the simulator knows of each type is what DescribeInstanceTypes says, and a type EC2 does not know is left out", async () => {
            const cloud = cloudFor(m);
            const types = Object.keys(SIM_TYPE_FACTS);
            const before = cloud.requests.DescribeInstanceTypes ?? 0;
            const facts = await cloud.instanceTypeFacts([...types, "x2iezn.large"]);
            assert.deepEqual(facts, { ...SIM_TYPE_FACTS });
            // One request for the known types, one again without the type EC2 refused.
            assert.equal((cloud.requests.DescribeInstanceTypes ?? 0) - before, 2);
            assert.deepEqual(facts["m6i.large"], { vcpus: 2, memoryMiB: 8192, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0,
                manufacturer: "intel", currentGeneration: false, burstable: false, bareMetal: false });
            assert.equal(facts["g4dn.12xlarge"].gpus, 4);
            assert.equal(facts["inf2.xlarge"].inference, 1);
            assert.equal(facts["m7g.large"].manufacturer, "amazon-web-services");
            assert.equal(facts["t3.large"].burstable, true);
            // Read once per Cloud: asking again sends nothing.
            await cloud.instanceTypeFacts(["m6i.large", "t3.large"]);
            assert.equal((cloud.requests.DescribeInstanceTypes ?? 0) - before, 2);
        });

        it("finds no Spot interruption for instances without a Spot request", async () => {
            assert.deepEqual(await cloudFor(m).spotInterruptions(m.instanceIds), []);
        });

        it("lists a task that ECS is still stopping on its instance, and leaves it out once STOPPED", async () => {
            const cloud = cloudFor(m);
            const arn = m.containerArns[m.instanceIds[1]];
            const tasks = await cloud.listTasksOn(arn);
            assert.deepEqual(tasks.map((t) => [t.desiredStatus, t.lastStatus]), [["RUNNING", "RUNNING"], ["RUNNING", "RUNNING"]]);
            const [task, other] = tasks;
            proxy.holdStopping(task.arn, Date.now() + 60_000);
            await cloud.stopTask(task.arn, "test");
            const [c] = await cloud.describeContainerInstances([arn]);
            assert.equal(c.runningTasks, 1, "the counters leave a task being stopped out");
            const listed = (await cloud.listTasksOn(arn)).map((t) => [t.arn, t.desiredStatus, t.lastStatus]).sort();
            assert.deepEqual(listed, [[task.arn, "STOPPED", "STOPPING"], [other.arn, "RUNNING", "RUNNING"]].sort());
            proxy.holdStopping(task.arn, 0);
            assert.deepEqual((await cloud.listTasksOn(arn)).map((t) => t.arn), [other.arn]);
        });

        it("reads the tasks still stopping on several instances from one cluster list, and on one instance from its own", async () => {
            const cloud = cloudFor(m);
            const [a, b, c] = m.instanceIds.map((id) => m.containerArns[id]);
            const [held, done] = await cloud.listTasksOn(a);
            const [onB] = await cloud.listTasksOn(b);
            proxy.holdStopping(held.arn, Date.now() + 60_000);
            proxy.holdStopping(onB.arn, Date.now() + 60_000);
            for (const t of [held, done, onB]) await cloud.stopTask(t.arn, "test");
            const before = { ...cloud.requests };
            const all = await cloud.stoppingTasks([a, b, c]);
            assert.deepEqual(Object.fromEntries(Object.entries(all).map(([arn, ts]) => [arn, ts.map((t) => [t.arn, t.lastStatus])])),
                { [a]: [[held.arn, "STOPPING"]], [b]: [[onB.arn, "STOPPING"]], [c]: [] }, "the STOPPED task is left out");
            // Three stopped tasks in the cluster: one page and one description for all three instances.
            assert.equal(cloud.requests.ListTasks - (before.ListTasks ?? 0), 1);
            const one = await cloudFor(m).stoppingTasks([b]);
            assert.deepEqual(one[b].map((t) => t.arn), [onB.arn]);
            proxy.holdStopping(held.arn, 0);
            proxy.holdStopping(onB.arn, 0);
            assert.deepEqual(await cloud.stoppingTasks([a, b]), { [a]: [], [b]: [] });
        });

        it("stops a task, deregisters the emptied container instance and terminates the instance, lowering desired", async () => {
            const cloud = cloudFor(m);
            const id = m.instanceIds[0];
            const arn = m.containerArns[id];
            await assert.rejects(cloud.deregisterContainerInstance(arn), /running tasks/i, "refused while tasks run");
            for (const t of await cloud.listTasksOn(arn)) await cloud.stopTask(t.arn, "test");
            assert.deepEqual(await cloud.listTasksOn(arn), []);
            await cloud.deregisterContainerInstance(arn);
            assert.deepEqual(await cloud.describeContainerInstances([arn]), []);
            await cloud.terminateInstance(id, true);
            const g = await cloud.describeGroup();
            assert.equal(g.desired, 2);
            assert.ok(!g.instances.some((i) => i.instanceId === id));
        });

        it("finds no managed draining without capacity providers, and finds one attached to the group", async () => {
            const cloud = cloudFor(m);
            assert.deepEqual(await cloud.managedDrainingProviders(), []);
            const g = await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }));
            await m.clients.ecs.send(new ecs.CreateCapacityProviderCommand({
                name: "cp-small",
                autoScalingGroupProvider: { autoScalingGroupArn: g.AutoScalingGroups![0].AutoScalingGroupARN!, managedDraining: "ENABLED" },
            }));
            await m.clients.ecs.send(new ecs.PutClusterCapacityProvidersCommand({
                cluster: m.clusterName, capacityProviders: ["cp-small"], defaultCapacityProviderStrategy: [],
            }));
            assert.deepEqual(await cloud.managedDrainingProviders(), ["cp-small"]);
        });

        it("reads no scaling activity where the group records none (moto records none)", async () => {
            const cloud = cloudFor(m);
            assert.equal(await cloud.lastScalingActivity(), undefined);
            assert.deepEqual(cloud.requests, { DescribeScalingActivities: 1 });
        });

        it("reads failed launches from the group's scaling activities, newest first, within the window, those for lack of Spot capacity with their code", async () => {
            const cloud = cloudFor(m);
            const now = Date.now();
            proxy.addActivities(m.autoScalingGroupName, [
                { start: new Date(now - 30_000), statusCode: "Failed", message: "Launching a new EC2 instance. Status Reason: The image id '[ami-1]' does not exist." },
                { start: new Date(now - 60_000), statusCode: "Failed", message: "Launching a new EC2 instance. Status Reason: There is no Spot capacity available that matches your request. Launching EC2 instance failed. UnfulfillableCapacity" },
                { start: new Date(now - 120_000), statusCode: "Successful", message: "" },
                { start: new Date(now - 180_000), statusCode: "Failed", message: "We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (us-east-1a). InsufficientInstanceCapacity" },
                { start: new Date(now - 3_600_000), statusCode: "Failed", message: "old. InsufficientInstanceCapacity" },
            ]);
            try {
                const failures = await cloud.spotLaunchFailures(now - 600_000);
                assert.deepEqual(failures.map((f) => f.code), [undefined, "UnfulfillableCapacity", "InsufficientInstanceCapacity"]);
                assert.ok(failures[0].at > failures[1].at && failures[1].at > failures[2].at);
            } finally {
                proxy.addActivities(m.autoScalingGroupName, []);
            }
        });

        it("sets the On-Demand base in the group's mixed instances policy and records and clears the declared base", async () => {
            const group = `${m.clusterName}-mixed`;
            await m.clients.asg.send(new asg.CreateAutoScalingGroupCommand({
                AutoScalingGroupName: group, MinSize: 0, MaxSize: 2, DesiredCapacity: 0,
                VPCZoneIdentifier: (await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }))).AutoScalingGroups![0].VPCZoneIdentifier,
                MixedInstancesPolicy: {
                    LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: m.launchTemplateId, Version: "1" }, Overrides: [{ InstanceType: "m6i.large" }] },
                    InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: "price-capacity-optimized" },
                },
            }));
            const cloud = awsCloud({ region: REGION, clusterName: m.clusterName, autoScalingGroupName: group });
            assert.equal((await cloud.describeGroup()).onDemandBase, 0);
            await cloud.recordFallback(0);
            await cloud.setOnDemandBase(2);
            let g = await cloud.describeGroup();
            assert.deepEqual([g.onDemandBase, g.fallbackBaseline], [2, 0]);
            await cloud.setOnDemandBase(0);
            await cloud.recordFallback(undefined);
            g = await cloud.describeGroup();
            assert.deepEqual([g.onDemandBase, g.fallbackBaseline], [0, undefined]);
        });

        it("says which group it could not find", async () => {
            const cloud = awsCloud({ region: REGION, clusterName: "missing", autoScalingGroupName: "missing-asg" });
            await assert.rejects(cloud.describeGroup(), { message: "Auto Scaling group missing-asg not found in us-east-1" });
        });
    });

    describe("the scaler's termination hook (moto lacks CompleteLifecycleAction and RecordLifecycleActionHeartbeat: the proxy plays the hook)", () => {
        let m: MotoCluster;
        const settingsOf = (c: MotoCluster): ScalerSettings => ({ region: REGION, clusterName: c.clusterName, autoScalingGroupName: c.autoScalingGroupName,
            launchTemplateId: c.launchTemplateId, launchTemplateVersion: "1", targetGroupArns: [], scaling: { ...DEFAULT_SCALING }, draining: { ...DEFAULT_DRAINING } });
        beforeEach(async () => {
            await moto.reset();
            m = await createMotoCluster(moto.endpoint, { name: "hook", instances: 3, tasksPerInstance: 1, terminationHook: false });
            await m.clients.asg.send(new asg.PutLifecycleHookCommand({ AutoScalingGroupName: m.autoScalingGroupName, LifecycleHookName: TERMINATION_HOOK_NAME,
                LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", HeartbeatTimeout: 300, DefaultResult: "ABANDON" }));
            proxy.playHook(TERMINATION_HOOK_NAME);
            proxy.lifecycleActions.length = 0;
        });
        afterEach(() => proxy.playHook(undefined));

        it("records heartbeats and completes the action of an instance waiting in the hook, refused for one that is not", async () => {
            const cloud = cloudFor(m);
            const [waiting, other] = m.instanceIds;
            proxy.groupTerminates(waiting);
            assert.deepEqual(await cloud.terminationHooks(), [{ name: TERMINATION_HOOK_NAME, defaultResult: "ABANDON", heartbeatTimeoutSeconds: 300 }]);
            assert.equal((await cloud.describeGroup()).instances.find((i) => i.instanceId === waiting)?.asgState, HOOK_WAIT_STATE);
            await cloud.recordHookHeartbeat(waiting, TERMINATION_HOOK_NAME);
            await assert.rejects(cloud.recordHookHeartbeat(other, TERMINATION_HOOK_NAME),
                { name: "ValidationError", message: `No active Lifecycle Action found with instance ID ${other}` });
            await cloud.completeHookAction(waiting, TERMINATION_HOOK_NAME, "CONTINUE");
            assert.ok(!(await cloud.describeGroup()).instances.some((i) => i.instanceId === waiting), "terminated once let go");
            assert.deepEqual(proxy.lifecycleActions, [
                { action: "RecordLifecycleActionHeartbeat", instanceId: waiting, hook: TERMINATION_HOOK_NAME },
                { action: "RecordLifecycleActionHeartbeat", instanceId: other, hook: TERMINATION_HOOK_NAME },
                { action: "CompleteLifecycleAction", instanceId: waiting, hook: TERMINATION_HOOK_NAME, result: "CONTINUE" },
            ]);
        });

        it("drains an instance the group is terminating, then lets it go; the preview showed it first", async () => {
            const [waiting] = m.instanceIds;
            proxy.groupTerminates(waiting);
            await putReservations(m.clients, m.clusterName, 50, 40, 10);
            const preview = await previewPlan(cloudFor(m), realDeps(() => undefined), settingsOf(m));
            assert.deepEqual(preview.lines.filter((l) => !isForecastLine(l)).slice(0, 2), [`drain 1 instance the group is terminating, held in termination hook ${TERMINATION_HOOK_NAME}`,
                `  drain ${waiting} (1 task), then let its termination go on (CompleteLifecycleAction CONTINUE)`]);
            const ecsPlay = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
            try {
                const r = await reconcile(cloudFor(m), realDeps(() => undefined), settingsOf(m));
                assert.equal(r.report.instances[waiting], "terminated");
                assert.equal(ecsPlay.moved(), 1, "its service task was moved before the termination went on");
            } finally {
                await ecsPlay.stop();
            }
            assert.deepEqual(proxy.lifecycleActions.map((a) => [a.action, a.instanceId, a.result]),
                [["RecordLifecycleActionHeartbeat", waiting, undefined], ["CompleteLifecycleAction", waiting, "CONTINUE"]]);
            assert.ok(!(await cloudFor(m).describeGroup()).instances.some((i) => i.instanceId === waiting));
        });
    });

    it("honours AWS_ENDPOINT_URL: requests reach the endpoint the environment names", async () => {
        await moto.reset();
        const m = await createMotoCluster(moto.endpoint, { name: "ep", instances: 1 });
        const before = proxy.seen.ListContainerInstances ?? 0;
        await cloudFor(m).listContainerInstances();
        assert.equal(proxy.seen.ListContainerInstances, before + 1);
    });
});
