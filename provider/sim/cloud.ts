// The Cloud port over the simulated world, with optional seeded fault injection
// (throttling, 5xx errors and calls that never answer).
import { ClusterContainerInstance, Cloud, Deps, FALLBACK_TAG, SURGE_TAG, TargetState } from "../cloud";
import { DRAIN_MARK_ATTRIBUTE, ObservedTask, taskGroup } from "../model";
import { AWS_WIRE, Network, NetworkModel, Wire } from "./network";
import { seededRandom } from "./random";
import { SimContainer, SimTask, SimWorld } from "./world";

export interface FaultConfig {
    seed: number;
    /** Share of calls answered with ThrottlingException. */
    throttleRate?: number;
    /** Share of calls answered with an HTTP 500. */
    serverErrorRate?: number;
    /** Share of calls that never answer (the caller's timeout must fire). */
    hangRate?: number;
}

export interface SimCloud extends Cloud {
    /** Requests made, by operation. */
    readonly requests: Record<string, number>;
    /** Faults injected, by kind. */
    readonly faults: Record<"throttle" | "serverError" | "hang", number>;
    /** With a network model: the AWS requests behind the calls, their latency and throttling. */
    readonly network?: Network;
}

function taskView(world: SimWorld, t: SimTask, arn: string): ObservedTask {
    const daemon = t.service !== undefined && world.services.get(t.service)?.daemon === true;
    return {
        ...(t.needs === undefined ? {} : { needs: t.needs }),
        ...(daemon ? { daemon } : {}),
        arn: t.arn,
        containerInstanceArn: arn,
        group: taskGroup(t.service, t.family),
        cpu: t.cpu,
        memory: t.memory,
        desiredStatus: SimWorld.meantToRun(t) ? "RUNNING" : "STOPPED",
        lastStatus: t.status,
    };
}

/** How long ListTasks keeps listing a stopped task (at least an hour, as ECS says; the simulator takes exactly that). */
export const STOPPED_LISTED_MS = 3600_000;

/**
 * A Cloud acting on `world` as the scaler. With `network`, every call costs the AWS requests the AWS
 * Cloud sends for it (pages and batches, one after another), each with a latency and a token from its
 * throttling bucket, on the world's clock.
 */
export function simCloud(world: SimWorld, faults?: FaultConfig, network?: NetworkModel): SimCloud {
    const requests: Record<string, number> = {};
    const wire = network === undefined ? undefined : new Network(network, () => world.now, (ms) => world.clock.sleep(ms));
    // The AWS Cloud reads each task definition once per Cloud.
    const definitionsRead = new Set<string>();
    const injected = { throttle: 0, serverError: 0, hang: 0 };
    const roll = faults === undefined ? () => 1 : seededRandom(faults.seed);

    function containerView(c: SimContainer): ClusterContainerInstance {
        const reserved = world.reserved(c.instanceId);
        const tasks = world.tasksOn(c.instanceId);
        const mark = world.drainMarkOf(c);
        const offer = world.offerOf(c.instanceId);
        return {
            arn: c.arn,
            ec2InstanceId: c.instanceId,
            status: c.status as "ACTIVE" | "DRAINING",
            agentConnected: c.agentConnected,
            registered: { ...c.registered },
            remaining: { cpu: c.registered.cpu - reserved.cpu, memory: c.registered.memory - reserved.memory },
            // As in ECS, the counters leave out tasks whose desired status is already STOPPED.
            runningTasks: tasks.filter((t) => SimWorld.meantToRun(t) && t.status === "RUNNING").length,
            pendingTasks: tasks.filter((t) => SimWorld.meantToRun(t) && t.status === "PENDING").length,
            ...(mark === undefined ? {} : { drainMark: mark }),
            portsInUse: offer.portsInUse,
            freeGpus: offer.freeGpus ?? 0,
            attributes: offer.attributes ?? {},
        };
    }

    function registered(): SimContainer[] {
        return [...world.instances.values()].flatMap((i) => i.container !== undefined && i.container.status !== "INACTIVE" ? [i.container] : []);
    }

    /**
     * Counts the request, then maybe fails it before it reaches the world; with a network model, sends
     * the AWS requests `aws` (default: one `op`) first.
     */
    async function call<T>(op: string, body: () => T, aws?: () => Wire): Promise<T> {
        requests[op] = (requests[op] ?? 0) + 1;
        if (faults !== undefined) {
            const r = roll();
            const t = faults.throttleRate ?? 0;
            const e = t + (faults.serverErrorRate ?? 0);
            const h = e + (faults.hangRate ?? 0);
            if (r < t) {
                injected.throttle++;
                throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
            }
            if (r < e) {
                injected.serverError++;
                throw Object.assign(new Error("We encountered an internal error. Please try again."), { name: "InternalFailure", $metadata: { httpStatusCode: 500 } });
            }
            if (r < h) {
                injected.hang++;
                return new Promise<T>(() => undefined);
            }
        }
        if (wire !== undefined) await wire.send(aws === undefined ? [op] : aws());
        return body();
    }

    /**
     * The tasks ListTasks lists under desired status STOPPED (on `instanceId`, or in the cluster): those
     * ECS is stopping and those stopped within the hour (ECS shows stopped tasks for at least an hour).
     */
    function listedAsStopped(instanceId?: string): SimTask[] {
        const since = world.now - STOPPED_LISTED_MS;
        return [...world.tasks.values()].filter((t) => (instanceId === undefined || t.instanceId === instanceId) && !SimWorld.meantToRun(t)
            && (t.status !== "STOPPED" || (t.stoppedAt ?? 0) >= since));
    }

    /** What reading the placement needs of `tasks` takes: the task definitions not read yet in this run, and their services. */
    function needsOf(tasks: SimTask[]): { newDefinitions: number; services: number } {
        const families = [...new Set(tasks.map((t) => t.family))].filter((f) => !definitionsRead.has(f));
        for (const f of families) definitionsRead.add(f);
        return { newDefinitions: families.length, services: new Set(tasks.flatMap((t) => t.service === undefined ? [] : [t.service])).size };
    }

    return {
        requests,
        faults: injected,
        ...(wire === undefined ? {} : { network: wire, answered: () => wire.answered }),
        describeGroup: () => call("DescribeAutoScalingGroups", () => ({
            name: world.group.name,
            desired: world.group.desired,
            minSize: world.group.minSize,
            maxSize: world.group.maxSize,
            targetGroupArns: [...world.group.targetGroupArns],
            instances: [...world.instances.values()].filter((i) => i.asgState !== "Terminated").map((i) => ({
                instanceId: i.id,
                instanceType: i.type,
                asgState: i.asgState === "Terminating" ? "Terminating:Wait" : i.asgState,
                launchTemplateId: world.group.launchTemplateId,
                launchTemplateVersion: i.ltVersion,
                protectedFromScaleIn: i.protectedFromScaleIn,
            })),
            capacityRebalance: world.capacityRebalance,
            onDemandBase: world.group.onDemandBaseCapacity,
            ...(world.group.tags[FALLBACK_TAG] === undefined ? {} : { fallbackBaseline: Number(world.group.tags[FALLBACK_TAG]) }),
            ...(world.group.tags[SURGE_TAG] === undefined ? {} : { surgeBaseline: Number(world.group.tags[SURGE_TAG]) }),
        })),
        describeInstances: (ids) => call("DescribeInstances", () =>
            Object.fromEntries(ids.flatMap((id) => {
                const i = world.instances.get(id);
                return i === undefined ? [] : [[id, { lifecycle: i.lifecycle, launchTime: i.launchedAt }]];
            })), () => AWS_WIRE.describeInstances(ids.length)),
        listContainerInstances: () => call("ListContainerInstances", () => registered().map(containerView),
            () => AWS_WIRE.listContainerInstances(registered().length)),
        describeContainerInstances: (arns) => call("DescribeContainerInstances", () => {
            const wanted = new Set(arns);
            return registered().filter((c) => wanted.has(c.arn)).map(containerView);
        }, () => AWS_WIRE.describeContainerInstances(arns.length)),
        listTasks: () => call("ListTasks", () => registered().flatMap((c) =>
            world.tasksOn(c.instanceId).filter(SimWorld.meantToRun).map((t) => taskView(world, t, c.arn))), () => {
            const tasks = registered().flatMap((c) => world.tasksOn(c.instanceId).filter(SimWorld.meantToRun));
            const needs = needsOf(tasks);
            return AWS_WIRE.listTasks(tasks.length, needs.newDefinitions, needs.services);
        }),
        listTasksOn: (arn, withNeeds) => call("ListTasks", () => {
            const c = world.containerByArn(arn);
            return c === undefined ? [] : world.tasksOn(c.instanceId).map((t) => taskView(world, t, arn));
        }, () => {
            // One list per desired status (RUNNING, then STOPPED), each page described.
            const c = world.containerByArn(arn);
            const tasks = c === undefined ? [] : world.tasksOn(c.instanceId);
            const running = tasks.filter(SimWorld.meantToRun).length;
            const stopped = c === undefined ? 0 : listedAsStopped(c.instanceId).length;
            const needs = withNeeds === true ? needsOf(tasks) : undefined;
            return [...AWS_WIRE.listTasksOn(running, stopped), ...(needs === undefined ? [] : AWS_WIRE.needs(needs.newDefinitions, needs.services))];
        }),
        stoppingTasks: (arns) => call("ListTasks", () => Object.fromEntries(arns.map((arn) => {
            const c = world.containerByArn(arn);
            const stopping = c === undefined ? [] : world.tasksOn(c.instanceId).filter((t) => !SimWorld.meantToRun(t));
            return [arn, stopping.map((t) => taskView(world, t, arn))];
        })), () => {
            const listed = listedAsStopped();
            return AWS_WIRE.stoppingTasks(arns.length, arns.length > 1 ? listed.length : Infinity, () => {
                // One pass over what the cluster lists, by instance, rather than one per instance asked about.
                const perInstance = new Map<string, number>();
                for (const t of listed) perInstance.set(t.instanceId, (perInstance.get(t.instanceId) ?? 0) + 1);
                return arns.map((arn) => perInstance.get(world.containerByArn(arn)?.instanceId ?? "") ?? 0);
            });
        }),
        reservationMetrics: (start, end) => call("GetMetricData", () => ({
            cpu: world.metrics.cpu.filter((p) => p.time >= start && p.time <= end),
            memory: world.metrics.memory.filter((p) => p.time >= start && p.time <= end),
        })),
        lastScalingActivity: () => call("DescribeScalingActivities", () =>
            world.activities.length === 0 ? undefined : Math.max(...world.activities)),
        managedDrainingProviders: () => call("DescribeCapacityProviders", () => [...world.managedDrainingProviders],
            () => AWS_WIRE.managedDrainingProviders()),
        targetStates: (tg, ids) => call("DescribeTargetHealth", () => {
            const targets = world.targetGroups.get(tg);
            return Object.fromEntries(ids.map((id) => [id, targets?.get(id)?.state as TargetState | undefined]));
        }, () => AWS_WIRE.targetStates(ids.length)),
        targetGroups: (arns) => call("DescribeTargetGroups", () => Object.fromEntries(arns.map((arn) =>
            [arn, { targetType: "instance", port: 80, deregistrationDelaySeconds: world.timings.deregistrationDelaySeconds }])),
            () => AWS_WIRE.targetGroups(arns.length)),
        unplacedServices: () => call("ListServices", () => [...world.services.values()].flatMap((s) => {
            if (s.daemon || s.lastEvent === undefined) return [];
            const placed = world.serviceTasks(s.name).filter(SimWorld.meantToRun).length;
            return s.desired - placed > 0 ? [{ name: s.name, missing: s.desired - placed, event: s.lastEvent }] : [];
        }), () => AWS_WIRE.unplacedServices(world.services.size)),
        serviceHealth: (names) => call("DescribeServices", () => Object.fromEntries(names.flatMap((name) => {
            const s = world.services.get(name);
            if (s === undefined) return [];
            const running = world.serviceTasks(name).filter((t) => t.status === "RUNNING").length;
            return [[name, { desired: s.desired, running, daemon: s.daemon === true, ...(s.lastEvent === undefined ? {} : { event: s.lastEvent }) }]];
        })), () => AWS_WIRE.serviceHealth(names.length)),
        spotInterruptions: (ids) => call("DescribeSpotInstanceRequests", () => ids.filter((id) => {
            const i = world.instances.get(id);
            return i !== undefined && i.interruptAt !== undefined && i.asgState !== "Terminated";
        }), () => AWS_WIRE.spotInterruptions(ids.length)),
        setDesiredCapacity: (n) => call("SetDesiredCapacity", () => world.setDesired(n, "scaler")),
        setInstanceProtection: (ids, protect) => call("SetInstanceProtection", () => world.setInstanceProtection(ids, protect, "scaler"),
            () => AWS_WIRE.setInstanceProtection(ids.length)),
        spotLaunchFailures: (since) => call("DescribeScalingActivities", () =>
            world.launchFailures.filter((f) => f.at >= since).reverse().map((f) => ({ ...f }))),
        setOnDemandBase: (base) => call("UpdateAutoScalingGroup", () => {
            world.log("scaler", `On-Demand base ${world.group.onDemandBaseCapacity} → ${base}`);
            world.group.onDemandBaseCapacity = base;
        }, () => AWS_WIRE.setOnDemandBase()),
        recordFallback: (baseline) => call("CreateOrUpdateTags", () => {
            if (baseline === undefined) delete world.group.tags[FALLBACK_TAG];
            else world.group.tags[FALLBACK_TAG] = String(baseline);
        }, () => AWS_WIRE.recordTag(baseline === undefined)),
        recordSurge: (baseline) => call("CreateOrUpdateTags", () => {
            if (baseline === undefined) delete world.group.tags[SURGE_TAG];
            else world.group.tags[SURGE_TAG] = String(baseline);
        }, () => AWS_WIRE.recordTag(baseline === undefined)),
        markDrain: (arns, purpose) => call("PutAttributes", () => {
            for (const arn of arns) {
                const c = world.containerByArn(arn);
                if (c !== undefined) c.attributes[DRAIN_MARK_ATTRIBUTE] = purpose;
            }
        }, () => AWS_WIRE.markDrain(arns.length)),
        clearDrainMark: (arns) => call("DeleteAttributes", () => {
            for (const arn of arns) {
                const c = world.containerByArn(arn);
                if (c !== undefined) delete c.attributes[DRAIN_MARK_ATTRIBUTE];
            }
        }, () => {
            // The marks are read first: DeleteAttributes matches on the value.
            const marked = arns.filter((arn) => world.containerByArn(arn)?.attributes[DRAIN_MARK_ATTRIBUTE] !== undefined).length;
            return AWS_WIRE.clearDrainMark(arns.length, marked);
        }),
        setContainerInstanceState: (arns, status) => call("UpdateContainerInstancesState", () => {
            for (const arn of arns) world.setContainerStatus(arn, status, "scaler");
        }, () => AWS_WIRE.setContainerInstanceState(arns.length)),
        deregisterTargets: (tg, ids) => call("DeregisterTargets", () => {
            for (const id of ids) world.deregisterTarget(tg, id, "scaler");
        }, () => AWS_WIRE.deregisterTargets(ids.length)),
        registerTargets: (tg, ids) => call("RegisterTargets", () => {
            for (const id of ids) world.registerTarget(tg, id, "scaler");
        }, () => AWS_WIRE.registerTargets(ids.length)),
        stopTask: (arn) => call("StopTask", () => {
            const t = world.tasks.get(arn);
            if (t !== undefined) world.requestStop(t, "stop-task", "scaler");
        }),
        deregisterContainerInstance: (arn) => call("DeregisterContainerInstance", () => world.deregisterContainer(arn, "scaler")),
        terminateInstance: (id, decrement) => call("TerminateInstanceInAutoScalingGroup", () => world.terminateInGroup(id, decrement, "scaler")),
        publishMetrics: (metrics) => call("PutMetricData", () => {
            world.published.push({ at: world.now, metrics: metrics.map((m) => ({ ...m })) });
        }),
    };
}

/** Deps on the world's virtual clock with seeded randomness. */
export function simDeps(world: SimWorld, seed = 1, log: (line: string) => void = () => undefined): Deps {
    const random = seededRandom(seed);
    return {
        now: () => world.now,
        sleep: (ms, signal) => world.clock.sleep(ms, signal),
        random,
        log,
    };
}
