// Instances whose ECS agent is disconnected. The agent disconnects and reconnects several times an hour
// in normal operation, so one look proves nothing: the first look marks the instance with the time
// (the drain mark, purpose `heal`); one still disconnected `DISCONNECTED_GRACE_SECONDS` later is
// replaced like a stray that never registered, new capacity first. Its tasks cannot be drained (the
// agent cannot stop them): the plan names them. Many disconnected at once is more likely ECS or the
// network than that many failed instances: the plan holds and says so.
import { Action, isMeantToRun, Observed, ObservedInstance, taskId } from "../model";
import { plural } from "../render";
import { DEFAULT_MAX_DISCONNECTED_PERCENT, Policy } from "../settings";
import { Decision, registeredOf, Registered, STRAY_GRACE_SECONDS } from "./fleet";

/** Seconds an agent may stay disconnected before its instance is replaced: the grace a stray gets to register. */
export const DISCONNECTED_GRACE_SECONDS = STRAY_GRACE_SECONDS;

/** Registered instances in service whose agent is disconnected: ACTIVE, or DRAINING by the scaler's replacement of them. */
function disconnectedOf(o: Observed): Registered[] {
    return registeredOf(o).filter((i) => i.asgState === "InService" && !i.container.agentConnected
        && (i.container.status === "ACTIVE" || i.container.drainMark === "replace"));
}

/** What the heal phase decides: marks to write, the instances due for replacement, those no phase may drain now, and notes. */
export interface HealDecision extends Decision {
    due: ObservedInstance[];
    /** Disconnected while too many are: not drained for any reason (a replacement would end their tasks) until fewer are. */
    hold: ObservedInstance[];
}

/** Why a disconnected instance is replaced, naming the tasks that end with it. */
export function healReason(i: ObservedInstance, o: Observed, now: number): string {
    const tasks = (o.tasks ?? []).filter((t) => t.containerInstanceArn === i.container?.arn && isMeantToRun(t) && !t.daemon);
    return `agent disconnected since ${new Date(i.container!.drainSince!).toISOString()} (${Math.floor((now - i.container!.drainSince!) / 60_000)} min)`
        + (tasks.length === 0 ? "" : `: its ${plural(tasks.length, "task")} cannot be drained and end with it (${tasks.map((t) => `${taskId(t.arn)} ${t.group}`).join(", ")})`);
}

/** The marks, replacements and notes for instances whose agent is disconnected. */
export function planHeal(o: Observed, p: Policy, now: number): HealDecision {
    const disconnected = disconnectedOf(o);
    if (disconnected.length === 0) return { actions: [], notes: [], due: [], hold: [] };
    const registered = registeredOf(o).length;
    const limit = p.maintenance?.maxDisconnectedPercent ?? DEFAULT_MAX_DISCONNECTED_PERCENT;
    if (disconnected.length > 1 && disconnected.length * 100 > limit * registered) {
        return { actions: [], due: [], hold: disconnected, notes: [`${disconnected.length} of ${registered} registered instances have their agent disconnected at once `
            + `(${disconnected.map((i) => i.instanceId).join(", ")}): more than maintenance.maxDisconnectedPercent ${limit}%, more likely ECS or the network `
            + "than that many failed instances: none of them is replaced or drained while so many are"] };
    }
    const unmarked = disconnected.filter((i) => i.container.drainMark === undefined);
    const marked = disconnected.filter((i) => i.container.drainMark === "heal" && i.container.drainSince !== undefined);
    // One the scaler is already replacing (DRAINING, its mark now the replacement's) goes on.
    const due = [...marked.filter((i) => now - i.container.drainSince! >= DISCONNECTED_GRACE_SECONDS * 1000),
        ...disconnected.filter((i) => i.container.drainMark === "replace")];
    const waiting = marked.filter((i) => !due.includes(i));
    const actions: Action[] = unmarked.length === 0 ? [] : [{
        kind: "mark-disconnected",
        instances: unmarked.map((i) => ({ instanceId: i.instanceId, containerInstanceArn: i.container.arn })),
        reason: `note the disconnected agent of ${unmarked.map((i) => i.instanceId).join(", ")}: replaced if still disconnected ${DISCONNECTED_GRACE_SECONDS} s from now`,
    }];
    const notes = waiting.map((i) => `${i.instanceId}: agent disconnected since ${new Date(i.container.drainSince!).toISOString()}; replaced if still so `
        + `${DISCONNECTED_GRACE_SECONDS} s after that`);
    return { actions, notes, due, hold: [] };
}
