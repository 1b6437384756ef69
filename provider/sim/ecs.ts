// Simulated ECS: container instances (registration, status, deregistration), tasks (placement on an
// instance, the life of a task from PENDING to STOPPED, stop requests) and what an instance offers a
// task, and the ECS calls of the Cloud port over them. The service scheduler is ecsServices.ts.
import { ClusterContainerInstance, Cloud } from "../cloud";
import { DRAIN_MARK_ATTRIBUTE, drainMarkValue, ObservedTask, parseDrainMark, ServiceFacts, taskGroup } from "../model";
import { awsvpcEnis } from "../instanceTypes";
import { InstanceOffer, TaskNeeds, unplacedNeeds } from "../placement";
import { SIM_TYPE_FACTS } from "./instanceTypeFacts";
import { AWS_WIRE } from "./network";
import { Actor, registeredSize, meantToRun, SimCall, SimContainer, SimInstance, SimState, SimTask, StopCause } from "./state";

/** The target group of a load-balanced simulated service (an `ip` target group ECS registers its tasks in). */
export function serviceTargetGroupArn(service: string): string {
    return `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/svc-${service}/sim`;
}

/** Host ports ECS reserves on every container instance (the agent's default ECS_RESERVED_PORTS). */
export const RESERVED_PORTS = ["tcp:22", "tcp:2375", "tcp:2376", "tcp:51678", "tcp:51679"];

/**
 * The agent of a booted instance registers it ACTIVE; the group puts it in service and registers it in
 * the group's target groups at the same moment.
 */
export function registerAgent(w: SimState, inst: SimInstance): void {
    inst.asgState = "InService";
    inst.container = {
        arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/sim/${inst.id.slice(2)}`,
        instanceId: inst.id,
        status: "ACTIVE",
        agentConnected: true,
        registered: registeredSize(inst.type),
        attributes: {},
        registeredAt: w.now,
    };
    for (const targets of w.targetGroups.values()) targets.set(inst.id, { state: "healthy" });
    w.log("agent", `${inst.id} registered ACTIVE`);
}

export function place(w: SimState, instanceId: string, cpu: number, memory: number, family: string, service?: string, needs?: TaskNeeds): SimTask {
    const task: SimTask = {
        arn: `arn:aws:ecs:us-east-1:123456789012:task/sim/${w.nextId("")}`,
        service, family, instanceId, cpu, memory, status: "PENDING", placedAt: w.now,
        ...(needs === undefined ? {} : { needs }),
    };
    w.tasks.set(task.arn, task);
    w.index(task, true);
    w.log("ecs", `place ${family} on ${instanceId}`);
    return task;
}

/** What an instance offers a task besides CPU and memory, by the rules of placement.ts. */
export function offerOf(w: SimState, instanceId: string): InstanceOffer {
    const inst = w.instances.get(instanceId)!;
    const tasks = w.tasksOn(instanceId);
    const enis = awsvpcEnis(SIM_TYPE_FACTS[inst.type]);
    const custom = Object.entries(inst.container?.attributes ?? {}).filter(([name]) => name !== DRAIN_MARK_ATTRIBUTE);
    return {
        portsInUse: [...RESERVED_PORTS, ...tasks.flatMap((t) => t.needs?.hostPorts ?? [])],
        ...(enis === undefined ? {} : { freeEnis: enis - tasks.filter((t) => t.needs?.awsvpc).length }),
        freeGpus: (SIM_TYPE_FACTS[inst.type]?.gpus ?? 0) - tasks.reduce((n, t) => n + (t.needs?.gpus ?? 0), 0),
        groups: [...new Set(tasks.map((t) => taskGroup(t.service, t.family)))],
        // The attributes the agent reports, and any the user put on the container instance.
        attributes: { "ecs.instance-type": inst.type, "ecs.availability-zone": inst.zone, ...Object.fromEntries(custom) },
    };
}

/** StopTask, or a stop by the service scheduler: desired STOPPED now, STOPPED after its phases. */
export function requestStop(w: SimState, task: SimTask, cause: StopCause, actor: Actor): void {
    if (task.stopRequestedAt !== undefined || task.status === "STOPPED") return;
    task.stopRequestedAt = w.now;
    task.stopCause = cause;
    task.stoppedBy = actor;
    if (task.status === "PENDING") {
        finishStop(w, task, cause, actor);
        return;
    }
    const service = task.service === undefined ? undefined : w.services.get(task.service);
    if (service?.loadBalanced) {
        task.status = "DEACTIVATING";
    } else {
        task.status = "STOPPING";
        task.stoppingAt = w.now;
    }
}

export function finishStop(w: SimState, task: SimTask, cause: StopCause, actor: Actor): void {
    w.index(task, false);
    task.status = "STOPPED";
    task.stoppedAt = w.now;
    task.stopCause = task.stopCause ?? cause;
    task.stoppedBy = task.stoppedBy ?? actor;
    if (cause === "killed") {
        task.stopCause = "killed";
        task.stoppedBy = actor;
    }
}

/** Sets a container instance's status as UpdateContainerInstancesState does. */
export function setContainerStatus(w: SimState, arn: string, status: "ACTIVE" | "DRAINING", actor: Actor): void {
    const c = w.containerByArn(arn);
    if (c === undefined || c.status === "INACTIVE") {
        throw Object.assign(new Error(`container instance ${arn} is not registered`), { name: "InvalidParameterException" });
    }
    c.status = status;
    w.log(actor, `${c.instanceId} ${status}`);
}

/**
 * DeregisterContainerInstance without force: refused while a task ECS means to run is on it, as ECS
 * does. A task already being stopped does not stop the call, so deregistering then is our fault.
 */
export function deregisterContainer(w: SimState, arn: string, actor: Actor): void {
    const c = w.containerByArn(arn);
    if (c === undefined || c.status === "INACTIVE") {
        throw Object.assign(new Error(`container instance ${arn} is not registered`), { name: "InvalidParameterException" });
    }
    const alive = w.tasksOn(c.instanceId);
    const running = alive.filter(meantToRun);
    if (running.length > 0) {
        w.log(actor, `deregister ${c.instanceId} refused: ${running.length} running task(s)`);
        throw Object.assign(new Error("Found running tasks on the instance."), { name: "InvalidParameterException" });
    }
    if (actor === "scaler" && alive.length > 0) {
        w.violation(`scaler deregistered the container instance of ${c.instanceId} while ${alive.length} task(s) were still `
            + `${alive.map((t) => t.status).join(", ")}`);
    }
    c.status = "INACTIVE";
    w.log(actor, `deregistered container instance of ${c.instanceId}`);
}

/** One tick of every task's life: PENDING to RUNNING, DEACTIVATING to STOPPING, STOPPING to STOPPED. */
export function advanceTasks(w: SimState): void {
    const now = w.now;
    for (const task of w.liveTasks()) {
        // An agent that is disconnected neither starts nor stops a task: its containers go on as they were.
        if (w.instances.get(task.instanceId)?.container?.agentConnected === false) continue;
        if (task.status === "PENDING" && now - task.placedAt >= w.timings.taskStartSeconds * 1000) {
            task.status = "RUNNING";
            task.runningAt = now;
            const s = task.service === undefined ? undefined : w.services.get(task.service);
            if (s !== undefined && s.externalDebt > 0) s.externalDebt--;
        } else if (task.status === "DEACTIVATING" && now - task.stopRequestedAt! >= w.timings.deregistrationDelaySeconds * 1000) {
            task.status = "STOPPING";
            task.stoppingAt = now;
        } else if (task.status === "STOPPING" && !task.neverStops && now - task.stoppingAt! >= w.timings.taskStopSeconds * 1000) {
            finishStop(w, task, task.stopCause!, task.stoppedBy!);
        }
    }
}

/** How long ListTasks keeps listing a stopped task (at least an hour, as ECS says; the simulator takes exactly that). */
export const STOPPED_LISTED_MS = 3600_000;

/**
 * A task as ECS describes it. What it needs and whether it is a daemon's come from its task
 * definition and service, which the AWS client reads only when asked (`withNeeds`): without them,
 * the scaler must not rely on them, here as there.
 */
function taskView(world: SimState, t: SimTask, arn: string, withNeeds = true): ObservedTask {
    const daemon = withNeeds && t.service !== undefined && world.services.get(t.service)?.daemon === true;
    return {
        ...(t.needs === undefined || !withNeeds ? {} : { needs: t.needs }),
        ...(daemon ? { daemon } : {}),
        arn: t.arn,
        containerInstanceArn: arn,
        group: taskGroup(t.service, t.family),
        cpu: t.cpu,
        memory: t.memory,
        desiredStatus: meantToRun(t) ? "RUNNING" : "STOPPED",
        lastStatus: t.status,
    };
}

/** The ECS calls of the Cloud port on the simulated cluster. */
export type EcsApi = Pick<Cloud, "listContainerInstances" | "describeContainerInstances" | "listTasks" | "listTasksOn" | "stoppingTasks"
    | "managedDrainingProviders" | "unplacedServices" | "serviceHealth" | "serviceFacts" | "markDrain" | "clearDrainMark" | "setContainerInstanceState"
    | "stopTask" | "deregisterContainerInstance">;

/** The ECS calls, sent through `call`; like the AWS Cloud, it reads each task definition once. */
export function ecsApi(world: SimState, call: SimCall): EcsApi {
    // The AWS Cloud reads each task definition once per Cloud.
    const definitionsRead = new Set<string>();
    return { ...containerInstanceApi(world, call), ...taskApi(world, call, definitionsRead), ...serviceApi(world, call, definitionsRead) };
}

/** Container instances: listing, the drain mark, their state, deregistration, capacity providers. */
function containerInstanceApi(world: SimState, call: SimCall): Pick<EcsApi, "listContainerInstances" | "describeContainerInstances" | "markDrain"
    | "clearDrainMark" | "setContainerInstanceState" | "deregisterContainerInstance" | "managedDrainingProviders"> {
    return {
        listContainerInstances: () => call("ListContainerInstances", () => registered(world).map((c) => containerView(world, c)),
            () => AWS_WIRE.listContainerInstances(registered(world).length)),
        describeContainerInstances: (arns) => call("DescribeContainerInstances", () => {
            const wanted = new Set(arns);
            return registered(world).filter((c) => wanted.has(c.arn)).map((c) => containerView(world, c));
        }, () => AWS_WIRE.describeContainerInstances(arns.length)),
        markDrain: (arns, purpose, sinceMs) => call("PutAttributes", () => {
            for (const arn of arns) {
                const c = world.containerByArn(arn);
                if (c !== undefined) c.attributes[DRAIN_MARK_ATTRIBUTE] = drainMarkValue(purpose, sinceMs);
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
            for (const arn of arns) setContainerStatus(world, arn, status, "scaler");
        }, () => AWS_WIRE.setContainerInstanceState(arns.length)),
        deregisterContainerInstance: (arn) => call("DeregisterContainerInstance", () => deregisterContainer(world, arn, "scaler")),
        managedDrainingProviders: () => call("DescribeCapacityProviders", () => [...world.managedDrainingProviders],
            () => AWS_WIRE.managedDrainingProviders()),
    };
}

/** Tasks: those meant to run, those on one instance, those still stopping, and stopping one. */
function taskApi(world: SimState, call: SimCall, definitionsRead: Set<string>): Pick<EcsApi, "listTasks" | "listTasksOn" | "stoppingTasks" | "stopTask"> {
    return {
        listTasks: () => call("ListTasks", () => registered(world).flatMap((c) =>
            world.tasksOn(c.instanceId).filter(meantToRun).map((t) => taskView(world, t, c.arn))), () => {
            const tasks = registered(world).flatMap((c) => world.tasksOn(c.instanceId).filter(meantToRun));
            const needs = needsOf(definitionsRead, tasks);
            return AWS_WIRE.listTasks(tasks.length, needs.newDefinitions, needs.services);
        }),
        listTasksOn: (arn, withNeeds) => call("ListTasks", () => {
            const c = world.containerByArn(arn);
            return c === undefined ? [] : world.tasksOn(c.instanceId).map((t) => taskView(world, t, arn, withNeeds === true));
        }, () => {
            // One list per desired status (RUNNING, then STOPPED), each page described.
            const c = world.containerByArn(arn);
            const tasks = c === undefined ? [] : world.tasksOn(c.instanceId);
            const running = tasks.filter(meantToRun).length;
            const stopped = c === undefined ? 0 : listedAsStopped(world, c.instanceId).length;
            const needs = withNeeds === true ? needsOf(definitionsRead, tasks) : undefined;
            return [...AWS_WIRE.listTasksOn(running, stopped), ...(needs === undefined ? [] : AWS_WIRE.needs(needs.newDefinitions, needs.services))];
        }),
        stoppingTasks: (arns) => call("ListTasks", () => Object.fromEntries(arns.map((arn) => {
            const c = world.containerByArn(arn);
            const stopping = c === undefined ? [] : world.tasksOn(c.instanceId).filter((t) => !meantToRun(t));
            return [arn, stopping.map((t) => taskView(world, t, arn, false))];
        })), () => {
            const listed = listedAsStopped(world);
            return AWS_WIRE.stoppingTasks(arns.length, arns.length > 1 ? listed.length : Infinity, () => {
                // One pass over what the cluster lists, by instance, rather than one per instance asked about.
                const perInstance = new Map<string, number>();
                for (const t of listed) perInstance.set(t.instanceId, (perInstance.get(t.instanceId) ?? 0) + 1);
                return arns.map((arn) => perInstance.get(world.containerByArn(arn)?.instanceId ?? "") ?? 0);
            });
        }),
        stopTask: (arn) => call("StopTask", () => {
            const t = world.tasks.get(arn);
            if (t !== undefined) requestStop(world, t, "stop-task", "scaler");
        }),
    };
}

/** Services: those short of tasks ECS cannot place, and the desired and running counts of some. */
function serviceApi(world: SimState, call: SimCall, definitionsRead: Set<string>): Pick<EcsApi, "unplacedServices" | "serviceHealth" | "serviceFacts"> {
    const unplaced = () => [...world.services.values()].filter((s) => !s.daemon && s.lastEvent !== undefined
        && s.desired > world.serviceTasks(s.name).filter(meantToRun).length);
    return {
        unplacedServices: () => call("ListServices", () => unplaced().map((s) => ({
            name: s.name, missing: s.desired - world.serviceTasks(s.name).filter(meantToRun).length, event: s.lastEvent!,
            cpu: s.cpu, memory: s.memory, ...unplacedNeeds(s.needs),
        })), () => {
            // Each unplaced service's task definition is read once a run, as the AWS Cloud does.
            const families = unplaced().map((s) => s.name).filter((f) => !definitionsRead.has(f));
            for (const f of families) definitionsRead.add(f);
            return AWS_WIRE.unplacedServices(world.services.size, families.length);
        }),
        serviceHealth: (names) => call("DescribeServices", () => Object.fromEntries(names.flatMap((name) => {
            const s = world.services.get(name);
            if (s === undefined) return [];
            const running = world.serviceTasks(name).filter((t) => t.status === "RUNNING").length;
            return [[name, { desired: s.desired, running, daemon: s.daemon === true, ...(s.lastEvent === undefined ? {} : { event: s.lastEvent }) }]];
        })), () => AWS_WIRE.serviceHealth(names.length)),
        serviceFacts: (names) => call("DescribeServices", () => Object.fromEntries(names.flatMap((name): [string, ServiceFacts][] => {
            const s = world.services.get(name);
            if (s === undefined) return [];
            return [[name, {
                desired: s.desired,
                running: world.serviceTasks(name).filter((t) => t.status === "RUNNING").length,
                daemon: s.daemon === true,
                minimumHealthyPercent: s.minHealthyPercent,
                maximumPercent: s.maxPercent,
                targetGroupArns: s.loadBalanced === true ? [serviceTargetGroupArn(name)] : [],
                // A simulated task takes the stop timeout to stop, so its task definition says that much.
                stopTimeoutSeconds: world.timings.taskStopSeconds,
            }]];
        })), () => {
            const families = names.filter((f) => world.services.has(f) && !definitionsRead.has(f));
            for (const f of families) definitionsRead.add(f);
            return AWS_WIRE.serviceFacts(names.length, families.length);
        }),
    };
}

function containerView(world: SimState, c: SimContainer): ClusterContainerInstance {
    const reserved = world.reserved(c.instanceId);
    const tasks = world.tasksOn(c.instanceId);
    const mark = world.drainMarkOf(c);
    const offer = offerOf(world, c.instanceId);
    return {
        arn: c.arn,
        ec2InstanceId: c.instanceId,
        status: c.status as "ACTIVE" | "DRAINING",
        agentConnected: c.agentConnected,
        registered: { ...c.registered },
        remaining: { cpu: c.registered.cpu - reserved.cpu, memory: c.registered.memory - reserved.memory },
        // As in ECS: running counts the tasks ECS still means to run, pending those whose last status is PENDING.
        runningTasks: tasks.filter((t) => meantToRun(t) && t.status === "RUNNING").length,
        pendingTasks: tasks.filter((t) => t.status === "PENDING").length,
        ...(mark === undefined ? {} : { drainMark: mark }),
        ...(parseDrainMark(c.attributes[DRAIN_MARK_ATTRIBUTE])?.sinceMs === undefined ? {} : { drainSince: parseDrainMark(c.attributes[DRAIN_MARK_ATTRIBUTE])!.sinceMs }),
        portsInUse: offer.portsInUse,
        freeGpus: offer.freeGpus ?? 0,
        attributes: offer.attributes ?? {},
        ...(c.registeredAt === undefined ? {} : { registeredAt: c.registeredAt }),
    };
}

function registered(world: SimState): SimContainer[] {
    return [...world.instances.values()].flatMap((i) => i.container !== undefined && i.container.status !== "INACTIVE" ? [i.container] : []);
}

/**
 * The tasks ListTasks lists under desired status STOPPED (on `instanceId`, or in the cluster): those
 * ECS is stopping and those stopped within the hour (ECS shows stopped tasks for at least an hour).
 */
function listedAsStopped(world: SimState, instanceId?: string): SimTask[] {
    const since = world.now - STOPPED_LISTED_MS;
    return [...world.tasks.values()].filter((t) => (instanceId === undefined || t.instanceId === instanceId) && !meantToRun(t)
        && (t.status !== "STOPPED" || (t.stoppedAt ?? 0) >= since));
}

/** What reading the placement needs of `tasks` takes: the task definitions not read yet in this run, and their services. */
function needsOf(definitionsRead: Set<string>, tasks: SimTask[]): { newDefinitions: number; services: number } {
    const families = [...new Set(tasks.map((t) => t.family))].filter((f) => !definitionsRead.has(f));
    for (const f of families) definitionsRead.add(f);
    return { newDefinitions: families.length, services: new Set(tasks.flatMap((t) => t.service === undefined ? [] : [t.service])).size };
}
