// The service health gate: the executor starts a drain batch, and terminates an emptied instance,
// only while every service that had a task on it runs its desired count. A service ECS cannot place
// (no room, a port in use, a constraint) holds the run with ECS's own event saying why.
import { Cloud } from "./cloud";

/** One line per service among `names` running fewer tasks than desired: `web: 4 of 6 running (ECS: …)`. Daemon and unknown services pass. */
export async function shortServices(cloud: Cloud, names: string[]): Promise<string[]> {
    const short = await serviceShortfalls(cloud, names);
    return names.flatMap((name) => short.get(name) ?? []);
}

/** The services among `names` running fewer tasks than desired, each with its line (see {@link shortServices}). */
export async function serviceShortfalls(cloud: Cloud, names: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (names.length === 0) return out;
    const health = await cloud.serviceHealth(names);
    for (const name of names) {
        const h = health[name];
        if (h === undefined || h.daemon || h.running >= h.desired) continue;
        out.set(name, `service ${name}: ${h.running} of ${h.desired} tasks running${h.event === undefined ? "" : ` (ECS: ${h.event})`}`);
    }
    return out;
}
