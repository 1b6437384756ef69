// The service health gate: the executor starts a drain batch, and terminates an emptied instance,
// only while every service that had a task on it runs its desired count. A service ECS cannot place
// (no room, a port in use, a constraint) holds the run with ECS's own event saying why.
import { Cloud } from "./cloud";

/** One line per service among `names` running fewer tasks than desired: `web: 4 of 6 running (ECS: …)`. Daemon and unknown services pass. */
export async function shortServices(cloud: Cloud, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const health = await cloud.serviceHealth(names);
    return names.flatMap((name) => {
        const h = health[name];
        if (h === undefined || h.daemon || h.running >= h.desired) return [];
        return [`service ${name}: ${h.running} of ${h.desired} tasks running${h.event === undefined ? "" : ` (ECS: ${h.event})`}`];
    });
}

/** The service of a task group `service:NAME`, or undefined for a standalone task's group. */
export function serviceOf(group: string): string | undefined {
    return group.startsWith("service:") ? group.slice("service:".length) : undefined;
}

/** Service names of tasks in groups `service:NAME`. */
export function serviceNames(groups: string[]): string[] {
    return [...new Set(groups.flatMap((g) => serviceOf(g) ?? []))];
}
