// The simulated ECS service scheduler: services and standalone tasks seeded at the start, spread
// placement by ECS's placement rules, tasks moved off DRAINING instances within each service's
// minimum healthy and maximum percent, DAEMON services, and the invariant that no service falls below
// its minimum healthy count but for losses outside the scaler.
import { blockedBy } from "../placement";
import { offerOf, place, requestStop } from "./ecs";
import { meantToRun, SimService, SimState, SimTask } from "./state";

/**
 * Adds a service and places its tasks RUNNING at once (spread over ACTIVE instances). With
 * `fitOnly`, a service whose tasks do not all fit starts with those that do, as its desired count.
 */
export function addService(w: SimState, spec: Omit<SimService, "externalDebt">, fitOnly = false): SimService {
    const service: SimService = { ...spec, externalDebt: 0 };
    w.services.set(service.name, service);
    if (service.daemon) {
        for (const inst of w.liveInstances()) {
            if (inst.container?.status !== "ACTIVE") continue;
            const task = place(w, inst.id, service.cpu, service.memory, service.name, service.name, service.needs);
            task.status = "RUNNING";
            task.runningAt = w.now;
        }
        return service;
    }
    for (let i = 0; i < service.desired; i++) {
        const host = placementFor(w, service.cpu, service.memory, service.name);
        if (host === undefined && fitOnly) {
            service.desired = i;
            break;
        }
        if (host === undefined) throw new Error(`no room to seed task ${i + 1} of service ${service.name}`);
        const task = place(w, host, service.cpu, service.memory, service.name, service.name, service.needs);
        task.status = "RUNNING";
        task.runningAt = w.now;
    }
    return service;
}

/**
 * Adds a service whose tasks start RUNNING spread evenly over the instances in turn, skipping those
 * without room: a quick way to seed a large cluster (placing each task by ECS's rules scans every
 * instance). Placement needs are not checked.
 */
export function addServiceEvenly(w: SimState, spec: Omit<SimService, "externalDebt">): SimService {
    const service: SimService = { ...spec, externalDebt: 0 };
    w.services.set(service.name, service);
    const hosts = w.liveInstances().filter((i) => i.container?.status === "ACTIVE");
    for (let i = 0, tried = 0; i < service.desired; tried++) {
        if (tried >= hosts.length * (service.desired + 1)) throw new Error(`no room to seed task ${i + 1} of service ${service.name}`);
        const host = hosts[w.evenCursor++ % hosts.length];
        const r = w.reserved(host.id);
        if (r.cpu + service.cpu > host.container!.registered.cpu || r.memory + service.memory > host.container!.registered.memory) continue;
        const task = place(w, host.id, service.cpu, service.memory, service.name, service.name, service.needs);
        task.status = "RUNNING";
        task.runningAt = w.now;
        i++;
    }
    return service;
}

/** Starts a standalone task (RunTask) on a given instance or wherever it fits. */
export function runTask(w: SimState, family: string, cpu: number, memory: number, instanceId?: string): SimTask {
    const host = instanceId ?? placementFor(w, cpu, memory, undefined);
    if (host === undefined) throw new Error(`no room for standalone task ${family}`);
    const task = place(w, host, cpu, memory, family, undefined);
    task.status = "RUNNING";
    task.runningAt = w.now;
    return task;
}

export function setServiceDesired(w: SimState, name: string, desired: number): void {
    const s = w.services.get(name)!;
    if (desired > s.desired) s.externalDebt += desired - s.desired;
    s.desired = desired;
}

/** Spread placement: the ACTIVE instance with room and the fewest tasks of the service, by ECS's placement rules. */
function placementFor(w: SimState, cpu: number, memory: number, service: string | undefined): string | undefined {
    let best: { id: string; count: number; free: number } | undefined;
    const needs = service === undefined ? undefined : w.services.get(service)?.needs;
    w.lastMiss = undefined;
    for (const inst of w.liveInstances()) {
        const c = inst.container;
        if (c === undefined || c.status !== "ACTIVE" || !c.agentConnected || inst.asgState !== "InService") continue;
        const r = w.reserved(inst.id);
        const free = { cpu: c.registered.cpu - r.cpu, memory: c.registered.memory - r.memory };
        if (free.cpu < cpu || free.memory < memory) {
            w.lastMiss = w.lastMiss ?? `The closest matching container-instance ${c.arn} has insufficient ${free.cpu < cpu ? "CPU" : "memory"} units available.`;
            continue;
        }
        const blocked = needs === undefined ? undefined : blockedBy(needs, offerOf(w, inst.id));
        if (blocked !== undefined) {
            w.lastMiss = blocked.startsWith("port")
                ? `The closest matching container-instance ${c.arn} is already using a port required by your task.`
                : `The closest matching container-instance ${c.arn} does not meet the requirements of your task (${blocked}).`;
            continue;
        }
        const count = service === undefined ? 0 : w.tasksOn(inst.id).filter((t) => t.service === service).length;
        if (best === undefined || count < best.count || (count === best.count && free.cpu > best.free)) {
            best = { id: inst.id, count, free: free.cpu };
        }
    }
    return best?.id;
}

/** The ECS service scheduler: replace tasks of DRAINING instances within min healthy / max percent. */
export function schedule(w: SimState): void {
    w.unplaceable = 0;
    for (const s of w.services.values()) {
        if (s.daemon) {
            scheduleDaemon(w, s);
            continue;
        }
        const live = w.serviceTasks(s.name);
        const onDraining = (t: SimTask) => w.instances.get(t.instanceId)?.container?.status !== "ACTIVE";
        const minHealthy = Math.ceil(s.desired * s.minHealthyPercent / 100);
        const maxTotal = Math.floor(s.desired * s.maxPercent / 100);
        // Tasks still stopping count against maximumPercent until they are STOPPED, as in ECS.
        let counted = live.length;
        let healthy = live.filter((t) => t.status === "RUNNING").length;
        let settled = live.filter((t) => (t.status === "RUNNING" || t.status === "PENDING") && !onDraining(t)).length;

        // Pending tasks on draining instances stop at once.
        for (const t of live.filter((x) => x.status === "PENDING" && onDraining(x))) {
            requestStop(w, t, "drain", "ecs");
            counted--;
        }
        // Start replacements and missing tasks while under maximumPercent.
        while (settled < s.desired && counted < maxTotal) {
            const host = placementFor(w, s.cpu, s.memory, s.name);
            if (host === undefined) {
                w.unplaceable += s.desired - settled;
                s.lastEvent = `(service ${s.name}) was unable to place a task because no container instance met all of its requirements. `
                    + (w.lastMiss ?? "No container instances were found in your cluster.");
                break;
            }
            place(w, host, s.cpu, s.memory, s.name, s.name, s.needs);
            settled++;
            counted++;
        }
        if (settled >= s.desired) s.lastEvent = undefined;
        // Stop tasks on draining instances while min healthy allows.
        for (const t of live.filter((x) => x.status === "RUNNING" && onDraining(x))) {
            if (healthy - 1 < minHealthy) break;
            requestStop(w, t, "drain", "ecs");
            healthy--;
        }
        // Scale a service down: stop the newest tasks beyond desired.
        const extra = settled - s.desired;
        if (extra > 0) {
            const stoppable = live.filter((t) => (t.status === "RUNNING" || t.status === "PENDING") && !onDraining(t))
                .sort((a, b) => b.placedAt - a.placedAt).slice(0, extra);
            for (const t of stoppable) requestStop(w, t, "scale-down", "ecs");
        }
    }
}

/**
 * A DAEMON service: a task on every ACTIVE instance in service; on a DRAINING one, stopped once only
 * daemon tasks are left, whatever the group is doing with the instance (ECS does not know: one waiting
 * in a termination hook, or retained, drains like any other).
 */
function scheduleDaemon(w: SimState, s: SimService): void {
    for (const inst of w.instances.values()) {
        const c = inst.container;
        if (c === undefined || inst.asgState === "Terminated" || inst.asgState === "Pending") continue;
        const tasks = w.tasksOn(inst.id);
        const own = tasks.filter((t) => t.service === s.name && meantToRun(t));
        if (c.status === "ACTIVE" && own.length === 0 && inst.asgState === "InService") {
            place(w, inst.id, s.cpu, s.memory, s.name, s.name, s.needs);
        } else if (c.status === "DRAINING" && tasks.every((t) => w.services.get(t.service ?? "")?.daemon)) {
            for (const t of own) requestStop(w, t, "drain", "ecs");
        }
    }
}

/** No service may fall below its min healthy count for reasons other than outside losses. */
export function checkServices(w: SimState): void {
    for (const s of w.services.values()) {
        if (s.daemon) continue;
        const running = w.serviceTasks(s.name).filter((t) => t.status === "RUNNING").length;
        const required = Math.ceil(s.desired * s.minHealthyPercent / 100);
        if (running + s.externalDebt < required) {
            w.violation(`service ${s.name} has ${running} running task(s), below its min healthy ${required}`);
        }
    }
}
