// The Cloud port on AWS, through SDK v3. Clients are created per call of `awsCloud` from bare
// package names (never captured from module scope, so the provider serializes cleanly); credentials
// come from the default chain at run time; AWS_ENDPOINT_URL is honoured by the SDK itself.
// Every list follows its pagination token and every batch call stays within its API limit.
import type * as ASG from "@aws-sdk/client-auto-scaling";
import type * as CW from "@aws-sdk/client-cloudwatch";
import type * as EC2 from "@aws-sdk/client-ec2";
import type * as ECS from "@aws-sdk/client-ecs";
import type * as ELB from "@aws-sdk/client-elastic-load-balancing-v2";
import { ClusterContainerInstance, Cloud, CloudTarget, FALLBACK_TAG, GroupState, InstanceFacts, LaunchFailure, ServiceHealth, SPOT_CAPACITY_CODES,
    SURGE_TAG, TargetGroupInfo, TargetState } from "../cloud";
import { Datapoint, DRAIN_MARK_ATTRIBUTE, DrainPurpose, ObservedTask, serviceNames, serviceOf } from "../model";
import type { TaskNeeds } from "../placement";
import { forEachLimit } from "../limit";
import { pacer } from "../pacer";
import { AWS_RATE_LIMITS, LIMITS, REQUEST_CONCURRENCY } from "../quotas";
import { SCALER_NAMESPACE } from "../scalerMetrics";

/**
 * The task desired statuses ListTasks filters by that ECS sets; together they cover every task it still
 * knows (it never sets PENDING as a desired status, so that filter lists nothing).
 */
const DESIRED_STATUSES = ["RUNNING", "STOPPED"] as const;

/**
 * Instance ids an `InvalidInstanceID.NotFound` error names ("The instance ID 'i-1' does not exist",
 * "The instance IDs 'i-1, i-2' do not exist").
 */
export function missingInstanceIds(message: string): string[] {
    const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
    return quoted.split(/[,\s]+/).filter((id) => /^i-[0-9a-f]+$/.test(id));
}

/** `send` for each batch of `size` among `items`, up to REQUEST_CONCURRENCY at a time; the results in the items' order. */
export async function inBatches<T, R>(items: T[], size: number, send: (batch: T[]) => Promise<R[]>): Promise<R[]> {
    const batches = chunks(items, size);
    const results: R[][] = batches.map(() => []);
    await forEachLimit(batches.map((batch, index) => ({ batch, index })), REQUEST_CONCURRENCY, async ({ batch, index }) => {
        results[index] = await send(batch);
    });
    return results.flat();
}

/** `send` for each batch of `size` among `items`, up to REQUEST_CONCURRENCY at a time. */
export async function eachBatch<T>(items: T[], size: number, send: (batch: T[]) => Promise<unknown>): Promise<void> {
    await forEachLimit(chunks(items, size), REQUEST_CONCURRENCY, async (batch) => { await send(batch); });
}

export function chunks<T>(items: T[], size: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
}

export interface AwsCloud extends Cloud {
    /** Requests sent, by operation name. */
    readonly requests: Record<string, number>;
    /** The last request sent: its operation and the endpoint it went to. */
    readonly lastRequest: { operation: string; endpoint: string } | undefined;
    /** The cluster's status (ACTIVE, INACTIVE, …), or undefined when ECS does not know it. */
    clusterStatus(): Promise<string | undefined>;
    /** The launch template and version the group launches with, `$Latest` and `$Default` resolved. */
    launchTemplateTarget(): Promise<{ launchTemplateId: string; version: string }>;
}

/** A Cloud acting on one cluster and Auto Scaling group in `target.region`; `requestTimeoutMs` bounds each HTTP request. */
export function awsCloud(target: CloudTarget, options: { requestTimeoutMs?: number } = {}): AwsCloud {
    const ecs: typeof ECS = require("@aws-sdk/client-ecs");
    const asg: typeof ASG = require("@aws-sdk/client-auto-scaling");
    const ec2: typeof EC2 = require("@aws-sdk/client-ec2");
    const cw: typeof CW = require("@aws-sdk/client-cloudwatch");
    const elb: typeof ELB = require("@aws-sdk/client-elastic-load-balancing-v2");

    const requests: Record<string, number> = {};
    // Each request waits for a token of its throttling bucket, so the scaler's own requests stay within AWS's quotas.
    const pace = pacer(AWS_RATE_LIMITS, () => Date.now(), (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    let answered = 0;
    let lastRequest: { operation: string; endpoint: string } | undefined;
    // Retries are ours (bounded, jittered, tested), so the SDK makes one attempt per call.
    const config = { region: target.region, maxAttempts: 1,
        ...(options.requestTimeoutMs === undefined ? {} : { requestHandler: { requestTimeout: options.requestTimeoutMs, connectionTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true } }) };
    type Request = { request?: { protocol?: string; hostname?: string; port?: number } };
    const operationOf = (context: { commandName?: string }) => (context.commandName ?? "Unknown").replace(/Command$/, "");
    const count = <C extends { middlewareStack: { add: (...a: any[]) => void } }>(client: C): C => {
        client.middlewareStack.add((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
            const op = operationOf(context);
            await pace.take(op);
            requests[op] = (requests[op] ?? 0) + 1;
            try {
                return await next(args);
            } finally {
                answered++;
            }
        }, { step: "initialize", name: "spotEcsRequestCounter" });
        client.middlewareStack.add((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
            const r = (args as Request).request;
            if (r?.hostname !== undefined) {
                lastRequest = { operation: operationOf(context), endpoint: `${r.protocol ?? "https:"}//${r.hostname}${r.port === undefined ? "" : `:${r.port}`}` };
            }
            return next(args);
        }, { step: "finalizeRequest", name: "spotEcsLastRequest" });
        return client;
    };
    const ecsClient = count(new ecs.ECSClient(config));
    const asgClient = count(new asg.AutoScalingClient(config));
    const ec2Client = count(new ec2.EC2Client(config));
    const cwClient = count(new cw.CloudWatchClient(config));
    const elbClient = count(new elb.ElasticLoadBalancingV2Client(config));
    const cluster = target.clusterName;

    const resources = (list: ECS.Resource[] | undefined, name: string) =>
        list?.find((r) => r.name === name)?.integerValue ?? 0;

    const stringSet = (list: ECS.Resource[] | undefined, name: string) => list?.find((r) => r.name === name)?.stringSetValue ?? [];

    function toContainer(c: ECS.ContainerInstance): ClusterContainerInstance {
        const mark = c.attributes?.find((a) => a.name === DRAIN_MARK_ATTRIBUTE)?.value;
        const attributes = Object.fromEntries((c.attributes ?? [])
            .filter((a) => a.value !== undefined && a.name !== DRAIN_MARK_ATTRIBUTE).map((a) => [a.name!, a.value!]));
        return {
            arn: c.containerInstanceArn!,
            ec2InstanceId: c.ec2InstanceId!,
            status: c.status as ClusterContainerInstance["status"],
            agentConnected: c.agentConnected ?? false,
            registered: { cpu: resources(c.registeredResources, "CPU"), memory: resources(c.registeredResources, "MEMORY") },
            remaining: { cpu: resources(c.remainingResources, "CPU"), memory: resources(c.remainingResources, "MEMORY") },
            runningTasks: c.runningTasksCount ?? 0,
            pendingTasks: c.pendingTasksCount ?? 0,
            ...(mark === "scale-in" || mark === "replace" ? { drainMark: mark as DrainPurpose } : {}),
            // The remaining PORTS and PORTS_UDP resources list the host ports in use, reserved ones included.
            portsInUse: [...stringSet(c.remainingResources, "PORTS").map((p) => `tcp:${p}`),
                ...stringSet(c.remainingResources, "PORTS_UDP").map((p) => `udp:${p}`)],
            freeGpus: stringSet(c.remainingResources, "GPU").length,
            attributes,
        };
    }

    function toTask(t: ECS.Task): ObservedTask & { taskDefinitionArn?: string } {
        const sum = (pick: (c: ECS.Container) => string | undefined) =>
            (t.containers ?? []).reduce((acc, c) => acc + Number(pick(c) ?? 0), 0);
        return {
            arn: t.taskArn!,
            containerInstanceArn: t.containerInstanceArn ?? "",
            group: t.group ?? "",
            cpu: t.cpu !== undefined ? Number(t.cpu) : sum((c) => c.cpu),
            memory: t.memory !== undefined ? Number(t.memory) : sum((c) => c.memory ?? c.memoryReservation),
            desiredStatus: t.desiredStatus ?? "UNKNOWN",
            lastStatus: t.lastStatus ?? "UNKNOWN",
            ...(t.taskDefinitionArn === undefined ? {} : { taskDefinitionArn: t.taskDefinitionArn }),
        };
    }

    // A task definition revision never changes once registered: each is read once per Cloud (one run).
    const definitions = new Map<string, ECS.TaskDefinition>();

    /**
     * Adds what each task needs of an instance besides CPU and memory, read once per task definition
     * and once per ten services: host ports, awsvpc, GPUs, `memberOf` and `distinctInstance`, daemon.
     */
    async function withPlacementNeeds(tasks: (ObservedTask & { taskDefinitionArn?: string })[]): Promise<ObservedTask[]> {
        const unread = [...new Set(tasks.flatMap((t) => t.taskDefinitionArn === undefined ? [] : [t.taskDefinitionArn]))]
            .filter((arn) => !definitions.has(arn));
        await forEachLimit(unread, REQUEST_CONCURRENCY, async (arn) => {
            const r = await ecsClient.send(new ecs.DescribeTaskDefinitionCommand({ taskDefinition: arn }));
            if (r.taskDefinition !== undefined) definitions.set(arn, r.taskDefinition);
        });
        const services = new Map((await describeServices(serviceNames(tasks.map((t) => t.group)))).map((svc) => [svc.serviceName!, svc]));
        return tasks.map(({ taskDefinitionArn, ...t }) => {
            const def = taskDefinitionArn === undefined ? undefined : definitions.get(taskDefinitionArn);
            const name = serviceOf(t.group);
            const svc = name === undefined ? undefined : services.get(name);
            if (def === undefined) return t;
            const needs = placementNeedsOf(def, svc, t.group);
            return { ...t, needs, ...(svc?.schedulingStrategy === "DAEMON" ? { daemon: true } : {}) };
        });
    }

    /** Services by name, ten to a request; names ECS does not know are left out. */
    async function describeServices(names: string[]): Promise<ECS.Service[]> {
        return inBatches(names, LIMITS.describeServices, async (batch) =>
            (await ecsClient.send(new ecs.DescribeServicesCommand({ cluster, services: batch }))).services ?? []);
    }

    /** Records `value` in the group tag `key`, or with undefined removes the tag. */
    async function recordTag(key: string, value: number | undefined): Promise<void> {
        const tag = { ResourceId: target.autoScalingGroupName, ResourceType: "auto-scaling-group", Key: key, PropagateAtLaunch: false };
        if (value === undefined) await asgClient.send(new asg.DeleteTagsCommand({ Tags: [tag] }));
        else await asgClient.send(new asg.CreateOrUpdateTagsCommand({ Tags: [{ ...tag, Value: String(value) }] }));
    }

    async function describeContainers(arns: string[]): Promise<ClusterContainerInstance[]> {
        return inBatches(arns, LIMITS.describeContainerInstances, async (batch) =>
            ((await ecsClient.send(new ecs.DescribeContainerInstancesCommand({ cluster, containerInstances: batch }))).containerInstances ?? [])
                .map(toContainer));
    }

    async function describeTasks(arns: string[]): Promise<(ObservedTask & { taskDefinitionArn?: string })[]> {
        return inBatches(arns, LIMITS.describeTasks, async (batch) =>
            ((await ecsClient.send(new ecs.DescribeTasksCommand({ cluster, tasks: batch }))).tasks ?? []).map(toTask));
    }

    /** A task as described, with its task definition until its placement needs are read. */
    type ListedTask = ObservedTask & { taskDefinitionArn?: string };

    /** The task ARNs of a list, or undefined once it holds more than `cap`. */
    async function taskArnsWhere(filter: { containerInstance?: string; desiredStatus: (typeof DESIRED_STATUSES)[number] }, cap: number): Promise<string[] | undefined> {
        const out: string[] = [];
        let nextToken: string | undefined;
        do {
            const page = await ecsClient.send(new ecs.ListTasksCommand({ cluster, maxResults: LIMITS.listPage, nextToken, ...filter }));
            out.push(...(page.taskArns ?? []));
            if (out.length > cap) return undefined;
            nextToken = page.nextToken;
        } while (nextToken);
        return out;
    }

    const withoutDefinition = ({ taskDefinitionArn: _, ...t }: ListedTask): ObservedTask => t;

    /** The tasks of a list: its pages one after another, then their descriptions several at a time. */
    async function tasksWhere(filter: { containerInstance?: string; desiredStatus: (typeof DESIRED_STATUSES)[number] }): Promise<ListedTask[]> {
        return describeTasks((await taskArnsWhere(filter, Infinity))!);
    }

    return {
        requests,
        answered: () => answered,
        get lastRequest() {
            return lastRequest;
        },

        async clusterStatus() {
            const r = await ecsClient.send(new ecs.DescribeClustersCommand({ clusters: [cluster] }));
            return r.clusters?.find((x) => x.clusterName === cluster)?.status;
        },

        async launchTemplateTarget() {
            const r = await asgClient.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.autoScalingGroupName] }));
            const g = r.AutoScalingGroups?.[0];
            if (g === undefined) throw new Error(`Auto Scaling group ${target.autoScalingGroupName} not found in ${target.region}`);
            const spec = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
            if (spec === undefined) throw new Error(`Auto Scaling group ${target.autoScalingGroupName} uses no launch template`);
            const lt = await ec2Client.send(new ec2.DescribeLaunchTemplatesCommand(spec.LaunchTemplateId !== undefined
                ? { LaunchTemplateIds: [spec.LaunchTemplateId] } : { LaunchTemplateNames: [spec.LaunchTemplateName!] }));
            const template = lt.LaunchTemplates?.[0];
            if (template === undefined) throw new Error(`launch template ${spec.LaunchTemplateId ?? spec.LaunchTemplateName} not found`);
            const version = spec.Version === undefined || spec.Version === "$Default" ? String(template.DefaultVersionNumber)
                : spec.Version === "$Latest" ? String(template.LatestVersionNumber) : spec.Version;
            return { launchTemplateId: template.LaunchTemplateId!, version };
        },

        async describeGroup(): Promise<GroupState> {
            const r = await asgClient.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.autoScalingGroupName] }));
            const g = r.AutoScalingGroups?.[0];
            if (g === undefined) throw new Error(`Auto Scaling group ${target.autoScalingGroupName} not found in ${target.region}`);
            const surge = g.Tags?.find((t) => t.Key === SURGE_TAG)?.Value;
            const fallback = g.Tags?.find((t) => t.Key === FALLBACK_TAG)?.Value;
            const base = g.MixedInstancesPolicy?.InstancesDistribution?.OnDemandBaseCapacity;
            return {
                name: g.AutoScalingGroupName!,
                desired: g.DesiredCapacity ?? 0,
                minSize: g.MinSize ?? 0,
                maxSize: g.MaxSize ?? 0,
                targetGroupArns: g.TargetGroupARNs ?? [],
                instances: (g.Instances ?? []).map((i) => ({
                    instanceId: i.InstanceId!,
                    instanceType: i.InstanceType ?? "",
                    asgState: i.LifecycleState ?? "",
                    launchTemplateId: i.LaunchTemplate?.LaunchTemplateId,
                    launchTemplateVersion: i.LaunchTemplate?.Version,
                    protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
                })),
                capacityRebalance: g.CapacityRebalance ?? false,
                ...(surge !== undefined && /^\d+$/.test(surge) ? { surgeBaseline: Number(surge) } : {}),
                ...(fallback !== undefined && /^\d+$/.test(fallback) ? { fallbackBaseline: Number(fallback) } : {}),
                ...(base === undefined ? {} : { onDemandBase: base }),
            };
        },

        async describeInstances(instanceIds: string[]): Promise<Record<string, InstanceFacts>> {
            const out: Record<string, InstanceFacts> = {};
            for (const batch of chunks(instanceIds, LIMITS.describeInstances)) {
                let ids = batch;
                let NextToken: string | undefined;
                while (ids.length > 0) {
                    let r: EC2.DescribeInstancesCommandOutput;
                    try {
                        r = await ec2Client.send(new ec2.DescribeInstancesCommand({ InstanceIds: ids, NextToken }));
                    } catch (error) {
                        // EC2 is eventually consistent: an instance the group just launched may not be
                        // describable yet, and one unknown id fails the whole request. Leave those out.
                        const missing = error instanceof Error && error.name === "InvalidInstanceID.NotFound" ? missingInstanceIds(error.message) : [];
                        if (missing.length === 0 || !missing.some((id) => ids.includes(id))) throw error;
                        ids = ids.filter((id) => !missing.includes(id));
                        NextToken = undefined;
                        continue;
                    }
                    for (const i of (r.Reservations ?? []).flatMap((x) => x.Instances ?? [])) {
                        out[i.InstanceId!] = {
                            lifecycle: i.InstanceLifecycle === "spot" ? "spot" : "on-demand",
                            ...(i.LaunchTime === undefined ? {} : { launchTime: new Date(i.LaunchTime).getTime() }),
                        };
                    }
                    NextToken = r.NextToken;
                    if (NextToken === undefined) break;
                }
            }
            return out;
        },

        async listContainerInstances(): Promise<ClusterContainerInstance[]> {
            // The pages follow one another; their descriptions then go several at a time.
            const arns: string[] = [];
            let nextToken: string | undefined;
            do {
                const page = await ecsClient.send(new ecs.ListContainerInstancesCommand({ cluster, maxResults: LIMITS.listPage, nextToken }));
                arns.push(...(page.containerInstanceArns ?? []));
                nextToken = page.nextToken;
            } while (nextToken);
            return (await describeContainers(arns)).filter((c) => c.status === "ACTIVE" || c.status === "DRAINING");
        },

        describeContainerInstances: async (arns) => arns.length === 0 ? [] : describeContainers(arns),

        async listTasks() {
            const tasks = (await tasksWhere({ desiredStatus: "RUNNING" })).filter((t) => t.desiredStatus === "RUNNING");
            return withPlacementNeeds(tasks);
        },

        async listTasksOn(containerInstanceArn: string, withNeeds = false) {
            // ListTasks filters by desired status only; a task being stopped is listed under STOPPED
            // until it gets there, so both lists are read and what reached STOPPED is left out.
            const seen = new Set<string>();
            const out: ListedTask[] = [];
            for (const desiredStatus of DESIRED_STATUSES) {
                for (const t of await tasksWhere({ containerInstance: containerInstanceArn, desiredStatus })) {
                    if (seen.has(t.arn) || t.lastStatus === "STOPPED") continue;
                    seen.add(t.arn);
                    out.push(t);
                }
            }
            // Which are daemon tasks (and what each needs) costs a few reads more: only when asked.
            return withNeeds ? withPlacementNeeds(out) : out.map(withoutDefinition);
        },

        async stoppingTasks(containerInstanceArns: string[]) {
            const out: Record<string, ObservedTask[]> = Object.fromEntries(containerInstanceArns.map((arn) => [arn, []]));
            const keep = (t: ListedTask) => {
                if (t.lastStatus !== "STOPPED" && out[t.containerInstanceArn] !== undefined) out[t.containerInstanceArn].push(withoutDefinition(t));
            };
            if (containerInstanceArns.length > 1) {
                // The cluster's list holds the tasks stopped within about an hour too. While it has no more
                // than 100 per instance asked about, reading it all takes fewer requests than a list per instance.
                const arns = await taskArnsWhere({ desiredStatus: "STOPPED" }, LIMITS.listPage * containerInstanceArns.length);
                if (arns !== undefined) {
                    for (const t of await describeTasks(arns)) keep(t);
                    return out;
                }
            }
            for (const arn of containerInstanceArns) {
                for (const t of await tasksWhere({ containerInstance: arn, desiredStatus: "STOPPED" })) keep(t);
            }
            return out;
        },

        async reservationMetrics(startMs: number, endMs: number) {
            const query = (id: string, metric: string): CW.MetricDataQuery => ({
                Id: id,
                MetricStat: {
                    Metric: { Namespace: "AWS/ECS", MetricName: metric, Dimensions: [{ Name: "ClusterName", Value: cluster }] },
                    Period: 60,
                    Stat: "Average",
                },
                ReturnData: true,
            });
            const series: Record<string, Datapoint[]> = { cpu: [], memory: [] };
            let NextToken: string | undefined;
            do {
                const r = await cwClient.send(new cw.GetMetricDataCommand({
                    MetricDataQueries: [query("cpu", "CPUReservation"), query("memory", "MemoryReservation")],
                    StartTime: new Date(startMs),
                    EndTime: new Date(endMs),
                    NextToken,
                }));
                for (const result of r.MetricDataResults ?? []) {
                    const times = result.Timestamps ?? [];
                    const values = result.Values ?? [];
                    series[result.Id!]?.push(...times.map((t, i) => ({ time: new Date(t).getTime(), value: values[i] })));
                }
                NextToken = r.NextToken;
            } while (NextToken);
            return { cpu: series.cpu, memory: series.memory };
        },

        async lastScalingActivity(): Promise<number | undefined> {
            const r = await asgClient.send(new asg.DescribeScalingActivitiesCommand({ AutoScalingGroupName: target.autoScalingGroupName, MaxRecords: 1 }));
            const start = r.Activities?.[0]?.StartTime;
            return start === undefined ? undefined : new Date(start).getTime();
        },

        async managedDrainingProviders(): Promise<string[]> {
            const r = await ecsClient.send(new ecs.DescribeClustersCommand({ clusters: [cluster] }));
            const names = r.clusters?.[0]?.capacityProviders ?? [];
            const attached = names.filter((n) => n !== "FARGATE" && n !== "FARGATE_SPOT");
            if (attached.length === 0) return [];
            const g = await asgClient.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.autoScalingGroupName] }));
            const groupArn = g.AutoScalingGroups?.[0]?.AutoScalingGroupARN;
            const p = await ecsClient.send(new ecs.DescribeCapacityProvidersCommand({ capacityProviders: attached }));
            return (p.capacityProviders ?? [])
                .filter((c) => c.autoScalingGroupProvider?.managedDraining === "ENABLED"
                    && (c.autoScalingGroupProvider.autoScalingGroupArn === groupArn
                        || c.autoScalingGroupProvider.autoScalingGroupArn === target.autoScalingGroupName))
                .map((c) => c.name!);
        },

        async targetStates(targetGroupArn: string, instanceIds: string[], port?: number) {
            const out: Record<string, TargetState | undefined> = Object.fromEntries(instanceIds.map((id) => [id, undefined]));
            const described = await inBatches(instanceIds, LIMITS.describeTargetHealth, async (batch) =>
                (await elbClient.send(new elb.DescribeTargetHealthCommand({
                    TargetGroupArn: targetGroupArn, Targets: batch.map((Id) => ({ Id, Port: port })),
                }))).TargetHealthDescriptions ?? []);
            for (const d of described) {
                const id = d.Target?.Id;
                // Another port on the same instance is a task's target, registered and removed by ECS.
                if (port !== undefined && d.Target?.Port !== undefined && d.Target.Port !== port) continue;
                if (id !== undefined && id in out) out[id] = d.TargetHealth?.State as TargetState | undefined;
            }
            return out;
        },

        async targetGroups(targetGroupArns: string[]) {
            const out: Record<string, TargetGroupInfo> = {};
            for (const batch of chunks(targetGroupArns, LIMITS.describeTargetGroups)) {
                const r = await elbClient.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: batch }));
                for (const tg of r.TargetGroups ?? []) {
                    const a = await elbClient.send(new elb.DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }));
                    const value = a.Attributes?.find((x) => x.Key === "deregistration_delay.timeout_seconds")?.Value;
                    out[tg.TargetGroupArn!] = {
                        targetType: tg.TargetType ?? "instance",
                        ...(tg.Port === undefined ? {} : { port: tg.Port }),
                        deregistrationDelaySeconds: value !== undefined && /^\d+$/.test(value) ? Number(value) : 300,
                    };
                }
            }
            return out;
        },

        async unplacedServices() {
            const names: string[] = [];
            let nextToken: string | undefined;
            do {
                const page = await ecsClient.send(new ecs.ListServicesCommand({ cluster, maxResults: LIMITS.listPage, nextToken }));
                names.push(...(page.serviceArns ?? []).map((arn) => arn.slice(arn.lastIndexOf("/") + 1)));
                nextToken = page.nextToken;
            } while (nextToken);
            return (await describeServices(names)).flatMap((svc) => {
                const missing = (svc.desiredCount ?? 0) - (svc.runningCount ?? 0) - (svc.pendingCount ?? 0);
                const event = svc.events?.[0]?.message;
                return svc.schedulingStrategy !== "DAEMON" && missing > 0 && event !== undefined && event.includes("was unable to place a task")
                    ? [{ name: svc.serviceName!, missing, event }] : [];
            });
        },

        async serviceHealth(names: string[]) {
            return Object.fromEntries((await describeServices(names)).map((svc): [string, ServiceHealth] => [svc.serviceName!, {
                desired: svc.desiredCount ?? 0,
                running: svc.runningCount ?? 0,
                daemon: svc.schedulingStrategy === "DAEMON",
                ...(svc.events?.[0]?.message === undefined ? {} : { event: svc.events[0].message }),
            }]));
        },

        async spotInterruptions(instanceIds: string[]) {
            const out: string[] = [];
            for (const batch of chunks(instanceIds, LIMITS.describeSpotInstanceRequests)) {
                let NextToken: string | undefined;
                do {
                    const r = await ec2Client.send(new ec2.DescribeSpotInstanceRequestsCommand({
                        Filters: [{ Name: "instance-id", Values: batch }], NextToken,
                    }));
                    for (const req of r.SpotInstanceRequests ?? []) {
                        // The request's status becomes marked-for-termination at the interruption notice.
                        if (req.InstanceId !== undefined && req.Status?.Code === "marked-for-termination") out.push(req.InstanceId);
                    }
                    NextToken = r.NextToken;
                } while (NextToken);
            }
            return out;
        },

        async setDesiredCapacity(desired: number) {
            await asgClient.send(new asg.SetDesiredCapacityCommand({
                AutoScalingGroupName: target.autoScalingGroupName, DesiredCapacity: desired, HonorCooldown: false,
            }));
        },

        async setInstanceProtection(instanceIds: string[], protect: boolean) {
            for (const batch of chunks(instanceIds, LIMITS.setInstanceProtection)) {
                await asgClient.send(new asg.SetInstanceProtectionCommand({
                    AutoScalingGroupName: target.autoScalingGroupName, InstanceIds: batch, ProtectedFromScaleIn: protect,
                }));
            }
        },

        async spotLaunchFailures(sinceMs: number) {
            const out: LaunchFailure[] = [];
            let NextToken: string | undefined;
            do {
                const r = await asgClient.send(new asg.DescribeScalingActivitiesCommand({ AutoScalingGroupName: target.autoScalingGroupName, MaxRecords: 100, NextToken }));
                for (const a of r.Activities ?? []) {
                    const at = a.StartTime === undefined ? 0 : new Date(a.StartTime).getTime();
                    if (at < sinceMs) return out;
                    const message = a.StatusMessage ?? "";
                    const code = SPOT_CAPACITY_CODES.find((c) => message.includes(c));
                    if (a.StatusCode === "Failed" && code !== undefined) out.push({ at, code, message });
                }
                NextToken = r.NextToken;
            } while (NextToken);
            return out;
        },

        async setOnDemandBase(base: number) {
            // The whole policy goes back with only the base changed, as the group holds it now.
            const g = (await asgClient.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.autoScalingGroupName] }))).AutoScalingGroups?.[0];
            const policy = g?.MixedInstancesPolicy;
            if (policy === undefined) throw new Error(`Auto Scaling group ${target.autoScalingGroupName} has no mixed instances policy to set an On-Demand base in`);
            // A launch template is named by its id or by its name, not both.
            const spec = policy.LaunchTemplate?.LaunchTemplateSpecification;
            await asgClient.send(new asg.UpdateAutoScalingGroupCommand({
                AutoScalingGroupName: target.autoScalingGroupName,
                MixedInstancesPolicy: {
                    LaunchTemplate: {
                        LaunchTemplateSpecification: spec?.LaunchTemplateId !== undefined
                            ? { LaunchTemplateId: spec.LaunchTemplateId, Version: spec.Version }
                            : { LaunchTemplateName: spec?.LaunchTemplateName, Version: spec?.Version },
                        Overrides: policy.LaunchTemplate?.Overrides,
                    },
                    InstancesDistribution: { ...policy.InstancesDistribution, OnDemandBaseCapacity: base },
                },
            }));
        },

        recordFallback: (baseline: number | undefined) => recordTag(FALLBACK_TAG, baseline),

        recordSurge: (baseline: number | undefined) => recordTag(SURGE_TAG, baseline),

        async markDrain(arns: string[], purpose: DrainPurpose) {
            await eachBatch(arns, LIMITS.attributes, (batch) => ecsClient.send(new ecs.PutAttributesCommand({
                cluster, attributes: batch.map((targetId) => ({ name: DRAIN_MARK_ATTRIBUTE, value: purpose, targetId })),
            })));
        },

        async clearDrainMark(arns: string[]) {
            // DeleteAttributes matches on the value too, so read the current marks first.
            const marked = (await describeContainers(arns)).filter((c) => c.drainMark !== undefined);
            await eachBatch(marked, LIMITS.attributes, (batch) => ecsClient.send(new ecs.DeleteAttributesCommand({
                cluster, attributes: batch.map((c) => ({ name: DRAIN_MARK_ATTRIBUTE, value: c.drainMark, targetId: c.arn })),
            })));
        },

        async setContainerInstanceState(arns: string[], status) {
            const failures = await inBatches(arns, LIMITS.updateContainerInstancesState, async (batch) =>
                (await ecsClient.send(new ecs.UpdateContainerInstancesStateCommand({ cluster, containerInstances: batch, status }))).failures ?? []);
            if (failures.length > 0) {
                throw new Error(`UpdateContainerInstancesState ${status} failed for ${failures.map((f) => `${f.arn}: ${f.reason}`).join(", ")}`);
            }
        },

        async deregisterTargets(targetGroupArn: string, instanceIds: string[], port?: number) {
            for (const batch of chunks(instanceIds, LIMITS.deregisterTargets)) {
                await elbClient.send(new elb.DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch.map((Id) => ({ Id, Port: port })) }));
            }
        },

        async registerTargets(targetGroupArn: string, instanceIds: string[], port?: number) {
            for (const batch of chunks(instanceIds, LIMITS.deregisterTargets)) {
                await elbClient.send(new elb.RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch.map((Id) => ({ Id, Port: port })) }));
            }
        },

        async stopTask(taskArn: string, reason: string) {
            await ecsClient.send(new ecs.StopTaskCommand({ cluster, task: taskArn, reason: reason.slice(0, 255) }));
        },

        async deregisterContainerInstance(containerInstanceArn: string) {
            await ecsClient.send(new ecs.DeregisterContainerInstanceCommand({ cluster, containerInstance: containerInstanceArn, force: false }));
        },

        async publishMetrics(metrics) {
            const now = new Date();
            await cwClient.send(new cw.PutMetricDataCommand({
                Namespace: SCALER_NAMESPACE,
                MetricData: metrics.map((m) => ({
                    MetricName: m.name, Value: m.value, Unit: m.unit, Timestamp: now,
                    Dimensions: [{ Name: "ClusterName", Value: cluster }],
                })),
            }));
        },

        async terminateInstance(instanceId: string, decrementDesired: boolean) {
            await asgClient.send(new asg.TerminateInstanceInAutoScalingGroupCommand({
                InstanceId: instanceId, ShouldDecrementDesiredCapacity: decrementDesired,
            }));
        },
    };
}

/**
 * What a task of `def` (in service `svc`, task group `group`) needs of an instance besides CPU and
 * memory, as ECS places it: static host ports (bridge with a fixed hostPort, or host networking), an
 * ENI for awsvpc, GPUs, `distinctInstance` (a service's or RunTask's only) and `memberOf` (the task
 * definition's and the service's). A GPU shared by a sharing strategy, a Neuron device or an inference
 * accelerator is not modelled: the task then keeps its instance.
 */
export function placementNeedsOf(def: ECS.TaskDefinition, svc: ECS.Service | undefined, group: string): TaskNeeds {
    const mode = def.networkMode ?? "bridge";
    const hostPorts = mode === "awsvpc" ? [] : (def.containerDefinitions ?? []).flatMap((cd) => (cd.portMappings ?? []).flatMap((pm) => {
        const port = mode === "host" ? pm.hostPort ?? pm.containerPort : pm.hostPort;
        return port === undefined || port === 0 ? [] : [`${pm.protocol ?? "tcp"}:${port}`];
    }));
    const requirements = (def.containerDefinitions ?? []).flatMap((cd) => cd.resourceRequirements ?? []);
    const gpus = requirements.reduce((n, r) => n + (r.type === "GPU" && r.value !== undefined ? Number(r.value) : 0), 0);
    const other = requirements.find((r) => r.type !== "GPU" || r.value === undefined);
    const constraints = [...(def.placementConstraints ?? []), ...(svc?.placementConstraints ?? [])];
    const memberOf = constraints.filter((pc) => pc.type === "memberOf" && pc.expression !== undefined).map((pc) => pc.expression!);
    return {
        ...(hostPorts.length > 0 ? { hostPorts } : {}),
        ...(mode === "awsvpc" ? { awsvpc: true } : {}),
        ...(gpus > 0 ? { gpus } : {}),
        ...(constraints.some((pc) => pc.type === "distinctInstance") ? { distinctGroup: group } : {}),
        ...(memberOf.length > 0 ? { memberOf } : {}),
        ...(other === undefined ? {} : { unmodelled: other.type === "GPU" ? "a shared GPU (sharingStrategy)" : `a ${other.type} resource requirement` }),
    };
}
