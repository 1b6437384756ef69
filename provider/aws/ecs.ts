// The Cloud port's ECS calls through SDK v3: container instances, tasks and what each needs of an
// instance, services, the drain mark, container instance state, stopping tasks and deregistering.
// Every list follows its pagination token and every batch call stays within its API limit.
import type * as ECS from "@aws-sdk/client-ecs";
import { Cloud, CloudTarget, ClusterContainerInstance, ServiceHealth, UNPLACEABLE_EVENT } from "../cloud";
import { forEachLimit } from "../limit";
import { DEFAULT_STOP_TIMEOUT_SECONDS, DRAIN_MARK_ATTRIBUTE, DrainPurpose, drainMarkValue, ObservedTask, parseDrainMark, ServiceFacts, serviceNames,
    serviceOf } from "../model";
import { TaskNeeds, unplacedNeeds } from "../placement";
import { LIMITS, REQUEST_CONCURRENCY } from "../quotas";
import { AwsClients, eachBatch, inBatches } from "./clients";

/**
 * The task desired statuses ListTasks filters by that ECS sets; together they cover every task it still
 * knows (it never sets PENDING as a desired status, so that filter lists nothing).
 */
const DESIRED_STATUSES = ["RUNNING", "STOPPED"] as const;

/** The ECS calls of the AWS Cloud, and the cluster's status. */
export type EcsCalls = Pick<Cloud, "listContainerInstances" | "describeContainerInstances" | "listTasks" | "listTasksOn" | "stoppingTasks"
    | "managedDrainingProviders" | "unplacedServices" | "serviceHealth" | "serviceFacts" | "markDrain" | "clearDrainMark" | "setContainerInstanceState"
    | "stopTask" | "deregisterContainerInstance"> & {
    /** The cluster's status (ACTIVE, INACTIVE, …), or undefined when ECS does not know it. */
    clusterStatus(): Promise<string | undefined>;
};

/** What the ECS calls of one Cloud share: its clients, the cluster and group, and the task definitions read so far. */
interface EcsSession {
    k: AwsClients;
    cluster: string;
    autoScalingGroupName: string;
    /** A task definition revision never changes once registered: each is read once per Cloud (one run). */
    definitions: Map<string, ECS.TaskDefinition>;
}

/** The ECS calls on `target.clusterName`. */
export function ecsCalls(k: AwsClients, target: CloudTarget): EcsCalls {
    const s: EcsSession = { k, cluster: target.clusterName, autoScalingGroupName: target.autoScalingGroupName, definitions: new Map() };
    return { ...containerInstanceCalls(s), ...taskCalls(s), ...serviceCalls(s) };
}

/** The cluster and its container instances: listing, the drain mark, their state, deregistration, capacity providers. */
function containerInstanceCalls(s: EcsSession): Omit<EcsCalls, keyof ReturnType<typeof taskCalls> | keyof ReturnType<typeof serviceCalls>> {
    return {
        async clusterStatus() {
            const r = await s.k.ecsClient.send(new s.k.ecs.DescribeClustersCommand({ clusters: [s.cluster] }));
            return r.clusters?.find((x) => x.clusterName === s.cluster)?.status;
        },

        async listContainerInstances(): Promise<ClusterContainerInstance[]> {
            // The pages follow one another; their descriptions then go several at a time.
            const arns: string[] = [];
            let nextToken: string | undefined;
            do {
                const page = await s.k.ecsClient.send(new s.k.ecs.ListContainerInstancesCommand({ cluster: s.cluster, maxResults: LIMITS.listPage, nextToken }));
                arns.push(...(page.containerInstanceArns ?? []));
                nextToken = page.nextToken;
            } while (nextToken);
            return (await describeContainers(s, arns)).filter((c) => c.status === "ACTIVE" || c.status === "DRAINING");
        },

        describeContainerInstances: async (arns) => arns.length === 0 ? [] : describeContainers(s, arns),

        async markDrain(arns: string[], purpose: DrainPurpose, sinceMs: number) {
            await eachBatch(arns, LIMITS.attributes, (batch) => s.k.ecsClient.send(new s.k.ecs.PutAttributesCommand({
                cluster: s.cluster, attributes: batch.map((targetId) => ({ name: DRAIN_MARK_ATTRIBUTE, value: drainMarkValue(purpose, sinceMs), targetId })),
            })));
        },

        async clearDrainMark(arns: string[]) {
            // DeleteAttributes matches on the value too, so read the current marks first.
            const marked = (await describeContainers(s, arns)).filter((c) => c.drainMark !== undefined);
            await eachBatch(marked, LIMITS.attributes, (batch) => s.k.ecsClient.send(new s.k.ecs.DeleteAttributesCommand({
                cluster: s.cluster, attributes: batch.map((c) => ({ name: DRAIN_MARK_ATTRIBUTE, value: c.drainSince === undefined ? c.drainMark : drainMarkValue(c.drainMark!, c.drainSince), targetId: c.arn })),
            })));
        },

        async setContainerInstanceState(arns: string[], status) {
            const failures = await inBatches(arns, LIMITS.updateContainerInstancesState, async (batch) =>
                (await s.k.ecsClient.send(new s.k.ecs.UpdateContainerInstancesStateCommand({ cluster: s.cluster, containerInstances: batch, status }))).failures ?? []);
            if (failures.length > 0) {
                throw new Error(`UpdateContainerInstancesState ${status} failed for ${failures.map((f) => `${f.arn}: ${f.reason}`).join(", ")}`);
            }
        },

        async deregisterContainerInstance(containerInstanceArn: string) {
            await s.k.ecsClient.send(new s.k.ecs.DeregisterContainerInstanceCommand({ cluster: s.cluster, containerInstance: containerInstanceArn, force: false }));
        },

        async managedDrainingProviders(): Promise<string[]> {
            const r = await s.k.ecsClient.send(new s.k.ecs.DescribeClustersCommand({ clusters: [s.cluster] }));
            const names = r.clusters?.[0]?.capacityProviders ?? [];
            const attached = names.filter((n) => n !== "FARGATE" && n !== "FARGATE_SPOT");
            if (attached.length === 0) return [];
            const g = await s.k.asgClient.send(new s.k.asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [s.autoScalingGroupName] }));
            const groupArn = g.AutoScalingGroups?.[0]?.AutoScalingGroupARN;
            const p = await s.k.ecsClient.send(new s.k.ecs.DescribeCapacityProvidersCommand({ capacityProviders: attached }));
            return (p.capacityProviders ?? [])
                .filter((c) => c.autoScalingGroupProvider?.managedDraining === "ENABLED"
                    && (c.autoScalingGroupProvider.autoScalingGroupArn === groupArn
                        || c.autoScalingGroupProvider.autoScalingGroupArn === s.autoScalingGroupName))
                .map((c) => c.name!);
        },
    };
}

/** Tasks: those meant to run, those on one instance, those still stopping, and stopping one. */
function taskCalls(s: EcsSession): Pick<EcsCalls, "listTasks" | "listTasksOn" | "stoppingTasks" | "stopTask"> {
    return {
        async listTasks() {
            const tasks = (await tasksWhere(s, { desiredStatus: "RUNNING" })).filter((t) => t.desiredStatus === "RUNNING");
            return withPlacementNeeds(s, tasks);
        },

        async listTasksOn(containerInstanceArn: string, withNeeds = false) {
            // ListTasks filters by desired status only; a task being stopped is listed under STOPPED
            // until it gets there, so both lists are read and what reached STOPPED is left out.
            const seen = new Set<string>();
            const out: ListedTask[] = [];
            for (const desiredStatus of DESIRED_STATUSES) {
                for (const t of await tasksWhere(s, { containerInstance: containerInstanceArn, desiredStatus })) {
                    if (seen.has(t.arn) || t.lastStatus === "STOPPED") continue;
                    seen.add(t.arn);
                    out.push(t);
                }
            }
            // Which are daemon tasks (and what each needs) costs a few reads more: only when asked.
            return withNeeds ? withPlacementNeeds(s, out) : out.map(withoutDefinition);
        },

        async stoppingTasks(containerInstanceArns: string[]) {
            const out: Record<string, ObservedTask[]> = Object.fromEntries(containerInstanceArns.map((arn) => [arn, []]));
            const keep = (t: ListedTask) => {
                if (t.lastStatus !== "STOPPED" && out[t.containerInstanceArn] !== undefined) out[t.containerInstanceArn].push(withoutDefinition(t));
            };
            if (containerInstanceArns.length > 1) {
                // The cluster's list holds the tasks stopped within about an hour too. While it has no more
                // than 100 per instance asked about, reading it all takes fewer requests than a list per instance.
                const arns = await taskArnsWhere(s, { desiredStatus: "STOPPED" }, LIMITS.listPage * containerInstanceArns.length);
                if (arns !== undefined) {
                    for (const t of await describeTasks(s, arns)) keep(t);
                    return out;
                }
            }
            for (const arn of containerInstanceArns) {
                for (const t of await tasksWhere(s, { containerInstance: arn, desiredStatus: "STOPPED" })) keep(t);
            }
            return out;
        },

        async stopTask(taskArn: string, reason: string) {
            await s.k.ecsClient.send(new s.k.ecs.StopTaskCommand({ cluster: s.cluster, task: taskArn, reason: reason.slice(0, 255) }));
        },
    };
}

/** Services: those short of tasks ECS cannot place, and the desired and running counts of some. */
function serviceCalls(s: EcsSession): Pick<EcsCalls, "unplacedServices" | "serviceHealth" | "serviceFacts"> {
    return {
        async unplacedServices() {
            const names: string[] = [];
            let nextToken: string | undefined;
            do {
                const page = await s.k.ecsClient.send(new s.k.ecs.ListServicesCommand({ cluster: s.cluster, maxResults: LIMITS.listPage, nextToken }));
                names.push(...(page.serviceArns ?? []).map((arn) => arn.slice(arn.lastIndexOf("/") + 1)));
                nextToken = page.nextToken;
            } while (nextToken);
            const unplaced = (await describeServices(s, names)).flatMap((svc) => {
                const missing = (svc.desiredCount ?? 0) - (svc.runningCount ?? 0) - (svc.pendingCount ?? 0);
                const event = svc.events?.[0]?.message;
                return svc.schedulingStrategy !== "DAEMON" && missing > 0 && event !== undefined && event.includes(UNPLACEABLE_EVENT)
                    ? [{ svc, u: { name: svc.serviceName!, missing, event } }] : [];
            });
            // What each unplaced task reserves and needs, so that a scale-out is sized to them.
            await readDefinitions(s, unplaced.flatMap(({ svc }) => svc.taskDefinition === undefined ? [] : [svc.taskDefinition]));
            return unplaced.map(({ svc, u }) => {
                const def = svc.taskDefinition === undefined ? undefined : s.definitions.get(svc.taskDefinition);
                return def === undefined ? u : { ...u, ...taskSize(def), ...unplacedNeeds(placementNeedsOf(def, svc, `service:${u.name}`)) };
            });
        },

        async serviceHealth(names: string[]) {
            return Object.fromEntries((await describeServices(s, names)).map((svc): [string, ServiceHealth] => [svc.serviceName!, {
                desired: svc.desiredCount ?? 0,
                running: svc.runningCount ?? 0,
                daemon: svc.schedulingStrategy === "DAEMON",
                ...(svc.events?.[0]?.message === undefined ? {} : { event: svc.events[0].message }),
            }]));
        },

        async serviceFacts(names: string[]) {
            const services = await describeServices(s, names);
            await readDefinitions(s, services.flatMap((svc) => svc.taskDefinition === undefined ? [] : [svc.taskDefinition]));
            return Object.fromEntries(services.map((svc): [string, ServiceFacts] => {
                const daemon = svc.schedulingStrategy === "DAEMON";
                const def = svc.taskDefinition === undefined ? undefined : s.definitions.get(svc.taskDefinition);
                const timeouts = (def?.containerDefinitions ?? []).flatMap((c) => c.stopTimeout === undefined ? [] : [c.stopTimeout]);
                return [svc.serviceName!, {
                    desired: svc.desiredCount ?? 0,
                    running: svc.runningCount ?? 0,
                    daemon,
                    // ECS's defaults where the service sets none: 100/200 for a replica service, 0/100 for a daemon.
                    minimumHealthyPercent: svc.deploymentConfiguration?.minimumHealthyPercent ?? (daemon ? 0 : 100),
                    maximumPercent: svc.deploymentConfiguration?.maximumPercent ?? (daemon ? 100 : 200),
                    targetGroupArns: (svc.loadBalancers ?? []).flatMap((lb) => lb.targetGroupArn === undefined ? [] : [lb.targetGroupArn]),
                    stopTimeoutSeconds: timeouts.length === 0 ? DEFAULT_STOP_TIMEOUT_SECONDS : Math.max(...timeouts),
                }];
            }));
        },
    };
}

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
        ...(parseDrainMark(mark) === undefined ? {} : { drainMark: parseDrainMark(mark)!.purpose }),
        ...(parseDrainMark(mark)?.sinceMs === undefined ? {} : { drainSince: parseDrainMark(mark)!.sinceMs }),
        // The remaining PORTS and PORTS_UDP resources list the host ports in use, reserved ones included.
        portsInUse: [...stringSet(c.remainingResources, "PORTS").map((p) => `tcp:${p}`),
            ...stringSet(c.remainingResources, "PORTS_UDP").map((p) => `udp:${p}`)],
        freeGpus: stringSet(c.remainingResources, "GPU").length,
        attributes,
        ...(c.registeredAt === undefined ? {} : { registeredAt: new Date(c.registeredAt).getTime() }),
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

/**
 * Adds what each task needs of an instance besides CPU and memory, read once per task definition
 * and once per ten services: host ports, awsvpc, GPUs, `memberOf` and `distinctInstance`, daemon.
 */
async function withPlacementNeeds(s: EcsSession, tasks: (ObservedTask & { taskDefinitionArn?: string })[]): Promise<ObservedTask[]> {
    await readDefinitions(s, tasks.flatMap((t) => t.taskDefinitionArn === undefined ? [] : [t.taskDefinitionArn]));
    const services = new Map((await describeServices(s, serviceNames(tasks.map((t) => t.group)))).map((svc) => [svc.serviceName!, svc]));
    return tasks.map(({ taskDefinitionArn, ...t }) => {
        const def = taskDefinitionArn === undefined ? undefined : s.definitions.get(taskDefinitionArn);
        const name = serviceOf(t.group);
        const svc = name === undefined ? undefined : services.get(name);
        if (def === undefined) return t;
        const needs = placementNeedsOf(def, svc, t.group);
        return { ...t, needs, ...(svc?.schedulingStrategy === "DAEMON" ? { daemon: true } : {}) };
    });
}

/** Reads the task definitions among `arns` not read yet in this session, several at a time. */
async function readDefinitions(s: EcsSession, arns: string[]): Promise<void> {
    const unread = [...new Set(arns)].filter((arn) => !s.definitions.has(arn));
    await forEachLimit(unread, REQUEST_CONCURRENCY, async (arn) => {
        const r = await s.k.ecsClient.send(new s.k.ecs.DescribeTaskDefinitionCommand({ taskDefinition: arn }));
        if (r.taskDefinition !== undefined) s.definitions.set(arn, r.taskDefinition);
    });
}

/** What one task of `def` reserves: the task-level size, else the sum of its containers'. */
function taskSize(def: ECS.TaskDefinition): { cpu: number; memory: number } {
    const sum = (pick: (c: ECS.ContainerDefinition) => number | undefined) => (def.containerDefinitions ?? []).reduce((acc, c) => acc + (pick(c) ?? 0), 0);
    return {
        cpu: def.cpu !== undefined ? Number(def.cpu) : sum((c) => c.cpu),
        memory: def.memory !== undefined ? Number(def.memory) : sum((c) => c.memory ?? c.memoryReservation),
    };
}

/** Services by name, ten to a request; names ECS does not know are left out. */
async function describeServices(s: EcsSession, names: string[]): Promise<ECS.Service[]> {
    return inBatches(names, LIMITS.describeServices, async (batch) =>
        (await s.k.ecsClient.send(new s.k.ecs.DescribeServicesCommand({ cluster: s.cluster, services: batch }))).services ?? []);
}

async function describeContainers(s: EcsSession, arns: string[]): Promise<ClusterContainerInstance[]> {
    return inBatches(arns, LIMITS.describeContainerInstances, async (batch) =>
        ((await s.k.ecsClient.send(new s.k.ecs.DescribeContainerInstancesCommand({ cluster: s.cluster, containerInstances: batch }))).containerInstances ?? [])
            .map(toContainer));
}

async function describeTasks(s: EcsSession, arns: string[]): Promise<(ObservedTask & { taskDefinitionArn?: string })[]> {
    return inBatches(arns, LIMITS.describeTasks, async (batch) =>
        ((await s.k.ecsClient.send(new s.k.ecs.DescribeTasksCommand({ cluster: s.cluster, tasks: batch }))).tasks ?? []).map(toTask));
}

/** A task as described, with its task definition until its placement needs are read. */
type ListedTask = ObservedTask & { taskDefinitionArn?: string };

/** The task ARNs of a list, or undefined once it holds more than `cap`. */
async function taskArnsWhere(s: EcsSession, filter: { containerInstance?: string; desiredStatus: (typeof DESIRED_STATUSES)[number] }, cap: number): Promise<string[] | undefined> {
    const out: string[] = [];
    let nextToken: string | undefined;
    do {
        const page = await s.k.ecsClient.send(new s.k.ecs.ListTasksCommand({ cluster: s.cluster, maxResults: LIMITS.listPage, nextToken, ...filter }));
        out.push(...(page.taskArns ?? []));
        if (out.length > cap) return undefined;
        nextToken = page.nextToken;
    } while (nextToken);
    return out;
}

const withoutDefinition = ({ taskDefinitionArn: _, ...t }: ListedTask): ObservedTask => t;

/** The tasks of a list: its pages one after another, then their descriptions several at a time. */
async function tasksWhere(s: EcsSession, filter: { containerInstance?: string; desiredStatus: (typeof DESIRED_STATUSES)[number] }): Promise<ListedTask[]> {
    return describeTasks(s, (await taskArnsWhere(s, filter, Infinity))!);
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
