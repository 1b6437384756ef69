// Where a victim's tasks would go: the free room of the instances that stay, by CPU, memory and the
// rest of ECS's placement rules, and why a set of tasks does not fit.
import { BinSet, binSet, PlaceableTask } from "../binpack";
import { ObservedTask } from "../model";
import { awsvpcEnis } from "../instanceTypes";
import { InstanceOffer, TaskNeeds, unevaluable } from "../placement";
import { plural } from "../render";
import { Classified, Registered } from "./fleet";

/** The tasks on a registered instance that would move if it drained: daemon tasks run on every instance and never move. */
export function movableTasks(c: Classified, i: Registered): ObservedTask[] {
    return (c.tasksOn.get(i.container.arn) ?? []).filter((t) => !t.daemon);
}

/** The first task whose needs the scaler cannot evaluate (its instance then stays), and why. */
export function firstUnmovable<T extends { needs?: TaskNeeds }>(tasks: T[]): { task: T; why: string } | undefined {
    for (const task of tasks) {
        const why = task.needs === undefined ? undefined : unevaluable(task.needs);
        if (why !== undefined) return { task, why };
    }
    return undefined;
}

/** The free room of `instances` (ACTIVE ones), by CPU, memory and what else each offers. */
export function roomOf(instances: Registered[], tasksOn: Map<string, ObservedTask[]>): BinSet {
    return binSet(instances.map((i) => ({ id: i.instanceId, cpu: i.container.remaining.cpu, memory: i.container.remaining.memory,
        offer: offerOf(i, tasksOn.get(i.container.arn) ?? []) })));
}

/**
 * What an ACTIVE instance offers tasks that would move onto it, besides CPU and memory: the ports
 * in use, ENIs left for awsvpc tasks (by EC2's facts about its type), GPUs, the groups on it, its attributes.
 */
export function offerOf(i: Registered, tasks: ObservedTask[]): InstanceOffer {
    const enis = awsvpcEnis(i.typeFacts);
    const c = i.container;
    return {
        portsInUse: c.portsInUse ?? [],
        ...(enis === undefined ? {} : { freeEnis: enis - tasks.filter((t) => t.needs?.awsvpc).length }),
        freeGpus: c.freeGpus ?? 0,
        groups: [...new Set(tasks.map((t) => t.group))],
        attributes: { "ecs.instance-type": i.instanceType, ...c.attributes },
    };
}

/** Why a set of tasks does not fit: the first task no other instance takes, and what stops it on each. */
export function whyUnfit(tasks: PlaceableTask[], whyNot: (t: PlaceableTask) => string[]): string {
    const sorted = [...tasks].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory);
    for (const t of sorted) {
        const reasons = whyNot(t);
        if (reasons.includes("fits")) continue;
        const counts = new Map<string, number>();
        for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
        if (counts.size === 1) return `${[...counts.keys()][0]} on every other instance`;
        return [...counts].map(([r, n]) => `${r} on ${plural(n, "instance")}`).join(", ");
    }
    return "not all of them at once";
}

/**
 * The fewest ACTIVE instances the tasks need at once, however large each is: tasks binding the same
 * static host port, or of one `distinctInstance` group, each need an instance of their own (daemon
 * tasks run on every instance and are not counted). With the tasks that set it, for the plan's notes.
 */
export function spreadOf(tasks: ObservedTask[]): { instances: number; why?: string } {
    const counts = new Map<string, number>();
    for (const t of tasks) {
        if (t.daemon) continue;
        const keys = [...(t.needs?.hostPorts ?? []).map((port) => `bind host port ${port}`),
            ...(t.needs?.distinctGroup === undefined ? [] : [`of ${t.needs.distinctGroup} need distinct instances`])];
        for (const key of new Set(keys)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let most: { instances: number; why?: string } = { instances: 0 };
    for (const [key, n] of counts) if (n > most.instances) most = { instances: n, why: `${plural(n, "task")} ${key}` };
    return most;
}
