// A victim whose ECS agent is disconnected cannot be drained: ECS cannot stop its tasks, so it never
// empties. It may go once each service it runs has its desired count RUNNING without the tasks still on
// it (ECS starts them elsewhere where the deployment configuration lets it), or at the drain timeout;
// its tasks end with it. The drain of the scaler's own victims and the hook's drains both ask here.
import { Cloud } from "./cloud";
import { ObservedTask, serviceNames, serviceOf, taskId } from "./model";

/** Whether the victim may go now, the tasks still on it (any not STOPPED: each still runs), and the services it waits for. */
export async function disconnectedVerdict(cloud: Cloud, containerInstanceArn: string, timedOut: boolean): Promise<{ go: boolean; tasks: ObservedTask[];
    waiting: string[] }> {
    const tasks = await cloud.listTasksOn(containerInstanceArn);
    const names = serviceNames(tasks.map((t) => t.group));
    const health = names.length === 0 ? {} : await cloud.serviceHealth(names);
    const waiting = names.filter((name) => {
        const h = health[name];
        if (h === undefined || h.daemon) return false;
        return h.running - tasks.filter((t) => serviceOf(t.group) === name && t.lastStatus === "RUNNING").length < h.desired;
    });
    return { go: waiting.length === 0 || timedOut, tasks, waiting };
}

/** The log line for tasks that end with their instance. */
export function endingLine(instanceId: string, tasks: ObservedTask[], timedOut: boolean): string {
    return `${instanceId}: agent disconnected, so ECS cannot stop its tasks; ${timedOut ? "at the drain timeout" : "its services run elsewhere"}: `
        + `ending ${tasks.map((t) => `${taskId(t.arn)} (${t.group})`).join(", ")} with the instance`;
}
