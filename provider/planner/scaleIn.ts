// Removing capacity: scale-in when both reservations are low, and the excess above desired capacity
// that the group cannot remove by itself. A victim goes only if its tasks provably fit on the
// instances that stay, by ECS's placement rules.
import { PlaceableTask } from "../binpack";
import { Action, ObservedInstance, ObservedTask, taskId, Victim } from "../model";
import { plural } from "../render";
import { parseHeadroom } from "../settings";
import { PlanContext } from "./context";
import { byCostToKeep, byLeastUsed, Decision, isActive, isDraining, isOutdated, Registered, reservationOf, taskCount } from "./fleet";
import { ReplacementDecision } from "./replacement";
import { firstUnmovable, movableTasks, roomOf, whyUnfit } from "./room";

/** What the scale-in phase decides, and the drains of earlier runs it no longer needs. */
export interface ScaleInDecision extends Decision {
    undrain: Registered[];
}

/**
 * Scale-in, when both reservations are low and `held` is false (another phase changes capacity in
 * this run): resumes the scale-in drains of earlier runs that are still needed and picks new
 * victims; the other scale-in drains, those of the excess excepted, are undone.
 */
export function planScaleInPhase(ctx: PlanContext, replacement: ReplacementDecision, excess: Decision, held: boolean,
    undone: Map<Registered, string>): ScaleInDecision {
    const { c, low, lowText, scaleInCooldownLeft } = ctx;
    const s = ctx.p.scaling;
    const scaleInDrains = c.ourDraining.filter((i) => i.container.drainMark === "scale-in" && !replacement.replacing.includes(i) && !undone.has(i));
    let decided: Decision & { kept: Registered[] } = { actions: [], notes: [], kept: [] };
    if (low && replacement.replaceNow.length === 0 && !held) {
        if (scaleInCooldownLeft > 0 && scaleInDrains.length === 0) {
            decided.notes.push(`scale-in held: ${lowText}, but the last scaling activity is within the ${s.scaleInCooldownSeconds} s scale-in cooldown `
                + `(${scaleInCooldownLeft} s left)`);
        } else {
            decided = planScaleIn(ctx, scaleInDrains);
        }
    } else if (low && replacement.replaceNow.length > 0) {
        decided.notes.push(`scale-in held until the replacement is done: ${lowText}`);
    }
    if (low && replacement.held.size > 0 && decided.actions.length > 0) {
        // A held victim stays until an instance that meets its tasks' constraints exists; scaling in
        // would take away the room the group needs to launch one.
        decided = { actions: [], notes: [`scale-in held while the replacement of ${[...replacement.held.keys()].map((i) => i.instanceId).join(", ")} `
            + `is held: ${lowText}`], kept: [] };
    }
    const excessVictims = new Set(excess.actions.flatMap((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : []));
    const undrain = [...scaleInDrains.filter((i) => !decided.kept.includes(i) && !excessVictims.has(i.instanceId)),
        ...c.ourDraining.filter((i) => i.container.drainMark === "scale-in" && undone.has(i))];
    return { actions: decided.actions, notes: decided.notes, undrain };
}

/**
 * Scale-in drains of `victims`, `batchSize` at a time. Each batch waits for the ACTIVE instances that
 * stay (of `active`) and the victims not yet drained that are still ACTIVE.
 */
function scaleInBatches<I extends ObservedInstance>(victims: I[], active: number, batchSize: number,
    victimOf: (i: I) => Pick<Victim, "decrement" | "reason">,
    reasonOf: (batch: number, batches: number, slice: I[]) => string): Action[] {
    const activeKeepers = active - victims.filter(isActive).length;
    const batches = Math.ceil(victims.length / batchSize);
    const actions: Action[] = [];
    for (let b = 0; b < batches; b++) {
        const slice = victims.slice(b * batchSize, (b + 1) * batchSize);
        const stillActive = victims.slice(b * batchSize).filter(isActive).length;
        actions.push({
            kind: "drain", purpose: "scale-in", batch: b + 1, batches, endsSurge: false,
            waitForActive: activeKeepers + stillActive,
            victims: slice.map((i) => {
                const v = victimOf(i);
                return { instanceId: i.instanceId, containerInstanceArn: i.container?.arn, lifecycle: i.lifecycle, tasks: taskCount(i),
                    decrement: v.decrement, reason: v.reason };
            }),
            reason: reasonOf(b, batches, slice),
        });
    }
    return actions;
}

/**
 * The group holds more instances than its desired capacity and cannot remove them itself: drain the
 * excess, instances not yet serving first, then the least used, Spot before On-Demand. Their
 * terminations do not lower desired capacity (it is already lower). Not while instances launch: a
 * rebalance recommendation or a replacement briefly takes the group above desired by itself.
 */
export function planExcess(ctx: PlanContext, undone: Map<Registered, string>): Decision {
    const { o, p, c } = ctx;
    // Instances someone else is draining (a Spot notice) are on their way out already.
    const excess = c.live.length - c.foreignDraining.length - o.desired;
    if (excess <= 0) return { actions: [], notes: [] };
    if (c.live.some((i) => i.asgState.startsWith("Pending"))) {
        return { actions: [], notes: [`${plural(excess, "instance")} above desired capacity ${o.desired}: held while instances are launching`] };
    }
    // Not registered, or not ACTIVE: nothing to move. One whose agent is disconnected may still run tasks: heal.ts decides when it goes.
    const free = c.live.filter((i) => !isActive(i) && !isDraining(i) && !(i.container !== undefined && !i.container.agentConnected)).sort(byLeastUsed);
    const active = c.active.slice().sort(byLeastUsed);
    const cause = o.desired === o.maxSize ? `maxSize ${o.maxSize}` : `desired capacity ${o.desired}`;
    // Drain only instances whose tasks fit on those that stay, by ECS's placement rules, as a scale-in.
    const room = roomOf(c.active, c.tasksOn);
    // A drain an earlier run began is checked again like any other: if its tasks no longer fit, it is undone.
    const resumed = c.ourDraining.filter((i) => i.container.drainMark === "scale-in" && !undone.has(i));
    const victims: ObservedInstance[] = [...free];
    const notes: string[] = [];
    for (const i of victims) room.remove(i.instanceId);
    for (const candidate of [...resumed, ...active]) {
        if (victims.length >= excess) break;
        const moving: PlaceableTask[] = movableTasks(c, candidate);
        const held = firstUnmovable(moving);
        const placed = o.tasks === undefined || held !== undefined ? undefined : room.place(moving, candidate.instanceId);
        if (o.tasks !== undefined && placed === undefined) {
            notes.push(`${candidate.instanceId} stays above ${cause}: its ${plural(moving.length, "task")} would not fit on the other instances`
                + (held === undefined ? `: ${whyUnfit(moving, (t) => room.whyNot(t, candidate.instanceId))}` : ` (${held.why})`));
            continue;
        }
        room.remove(candidate.instanceId);
        victims.push(candidate);
    }
    victims.splice(excess);
    // The group's own desired capacity is above the bounded one when it has not taken the declared maxSize
    // (a preview, or a run of the scaler alone): those terminations lower it, or the group would relaunch.
    let decrements = Math.max(0, ctx.observedDesired - o.desired);
    const actions = scaleInBatches(victims, c.active.length, p.draining.batchSize, () => ({ decrement: decrements-- > 0, reason: `above ${cause}` }),
        (b, batches, slice) => `remove ${plural(slice.length, "instance")} above ${cause} (${c.live.length} in the group), batch ${b + 1} of ${batches}`);
    const kept = keepWhatMustStay(ctx, excess - victims.length);
    return { actions: [...kept.actions, ...actions], notes: [...notes, ...kept.notes] };
}

/**
 * `stay` instances above desired capacity hold tasks that fit nowhere else: desired capacity is raised
 * to count them (within maxSize), and when even maxSize is too low the plan says to what to raise it.
 */
function keepWhatMustStay(ctx: PlanContext, stay: number): Decision {
    const { o, c } = ctx;
    if (stay <= 0) return { actions: [], notes: [] };
    const needed = o.desired + stay;
    const keep = Math.min(o.maxSize, needed);
    const why = `the tasks of ${plural(stay, "instance")} above it fit nowhere else`;
    return {
        actions: keep <= ctx.observedDesired ? [] : [{ kind: "set-desired", cause: "keep", from: ctx.observedDesired, to: keep, waitForActive: 0,
            reason: `desired capacity ${ctx.observedDesired} → ${keep}: ${why}` }],
        notes: needed <= o.maxSize ? [] : [`maxSize ${o.maxSize} is too low for the tasks: ${needed} of the ${c.live.length} instances must stay; `
            + `raise maxSize to ${needed}`],
    };
}

/**
 * Picks scale-in victims (consolidation), in {@link byCostToKeep} order, each only if its tasks
 * provably fit on the instances that stay, with the headroom kept free besides; at most
 * maxScaleInPercent of the registered instances, never below minSize, and only while both
 * reservations left, at their peak over the scale-in delay, stay within the scale-in target. Returns
 * the resumed drains it keeps.
 */
function planScaleIn(ctx: PlanContext, resumed: Registered[]): Decision & { kept: Registered[] } {
    const { o, p, c, lowText } = ctx;
    const actions: Action[] = [];
    const notes: string[] = [];
    const registered = c.registered.length;
    const cap = Math.max(1, Math.floor(registered * p.scaling.maxScaleInPercent / 100));
    const headroom = o.desired - o.minSize;
    if (headroom <= 0) {
        notes.push(`scale-in held: ${lowText}, but desired capacity ${o.desired} is at minSize ${o.minSize}`);
        return { actions, notes, kept: [] };
    }
    const limit = Math.min(cap, headroom);
    const tasksOf = (i: Registered): ObservedTask[] => movableTasks(c, i);
    const candidates = [...resumed, ...byCostToKeep(c.active.filter((i) => !isOutdated(i, o)), c.live, o.onDemandBase ?? 0)];
    const now = reservationOf(c.registered);
    // What the cluster reserved at its peak over the scale-in delay, not only now: demand that came and
    // went within the delay comes again, and must still fit within the target after the victims go.
    const total = { ...now, usedCpu: Math.max(now.usedCpu, (ctx.r.cpuIn?.max ?? 0) / 100 * now.cpu),
        usedMemory: Math.max(now.usedMemory, (ctx.r.memoryIn?.max ?? 0) / 100 * now.memory) };
    /** The capacity left once `candidate` goes from `capacity`, or undefined when that is above the target. */
    const without = (capacity: { cpu: number; memory: number }, candidate: Registered) => {
        const after = { cpu: capacity.cpu - candidate.container.registered.cpu, memory: capacity.memory - candidate.container.registered.memory };
        return after.cpu <= 0 || after.memory <= 0 || total.usedCpu / after.cpu * 100 > p.scaling.scaleInTargetPercent
            || total.usedMemory / after.memory * 100 > p.scaling.scaleInTargetPercent ? undefined : after;
    };
    const aboveTarget = `no scale-in: ${lowText}, but removing an instance would push reservation above the ${p.scaling.scaleInTargetPercent}% scale-in target`;
    // Nothing else to look at when no candidate may go (the room below is the costly part).
    if (candidates.every((i) => without(total, i) === undefined)) return { actions, notes: [aboveTarget], kept: [] };
    const stuck = new Map<string, string>();
    for (const i of c.active) {
        const held = firstUnmovable(tasksOf(i));
        if (held !== undefined) stuck.set(i.instanceId, `task ${taskId(held.task.arn)} (${held.task.group}): ${held.why}`);
    }

    // Free room of the instances that may stay (a victim's is removed), and the tasks earlier
    // victims were planned onto each:
    // if such an instance later becomes a victim itself, those tasks move again with its own.
    const room = roomOf(c.active.filter((i) => !isOutdated(i, o)), c.tasksOn);
    const incoming = new Map<string, PlaceableTask[]>();
    // The headroom is taken first: a victim's tasks must fit beside it, and it moves with an instance that goes.
    const reserved = room.place(headroomTasks(p.scaling.headroom));
    if (reserved === undefined) {
        notes.push(`no scale-in: ${lowText}, but the ACTIVE instances have no room beyond the headroom (${p.scaling.headroom})`);
        return { actions, notes, kept: [] };
    }
    for (const [id, tasks] of reserved) incoming.set(id, tasks);
    const victims: Registered[] = [];
    let unfit: { instance: Registered; why: string } | undefined;
    let capacity = { cpu: total.cpu, memory: total.memory };
    for (const candidate of candidates) {
        if (victims.length >= limit) break;
        // A larger instance may be above the target where a smaller one after it is not.
        const after = without(capacity, candidate);
        if (after === undefined) continue;
        const held = stuck.get(candidate.instanceId);
        if (held !== undefined) {
            notes.push(`${candidate.instanceId} stays: ${held}`);
            continue;
        }
        const moving: PlaceableTask[] = [...tasksOf(candidate), ...(incoming.get(candidate.instanceId) ?? [])];
        const placed = room.place(moving, candidate.instanceId);
        if (placed === undefined) {
            unfit = unfit ?? { instance: candidate, why: whyUnfit(moving, (t) => room.whyNot(t, candidate.instanceId)) };
            continue;
        }
        room.remove(candidate.instanceId);
        for (const [id, tasks] of placed) incoming.set(id, [...(incoming.get(id) ?? []), ...tasks]);
        victims.push(candidate);
        capacity = after;
    }

    if (victims.length === 0) {
        if (unfit !== undefined) {
            notes.push(`no scale-in: ${lowText}, but the ${plural(tasksOf(unfit.instance).length, "task")} of ${unfit.instance.instanceId} `
                + `would not fit on the ${plural(c.active.length - 1, "other ACTIVE instance")}: ${unfit.why}`);
        } else if (stuck.size === 0) {
            notes.push(aboveTarget);
        }
        return { actions, notes, kept: [] };
    }

    const keepers = registered - victims.length;
    const batchSize = p.draining.batchSize;
    // Candidates are the resumed drains (DRAINING) and ACTIVE instances: the ACTIVE victims leave the active.
    actions.push(...scaleInBatches(victims, c.active.length, batchSize,
        (i) => ({ decrement: true, reason: `${plural(tasksOf(i).length, "task")} fit on ${plural(keepers, "remaining instance")}` }),
        (b, _batches, slice) => `scale in ${o.desired - b * batchSize} → ${o.desired - b * batchSize - slice.length}: ${lowText}`));
    return { actions, notes, kept: resumed.filter((i) => victims.includes(i)) };
}

/** The headroom setting as the tasks it keeps room for. */
export function headroomTasks(headroom: string | undefined): PlaceableTask[] {
    const h = parseHeadroom(headroom);
    return h === undefined ? [] : Array.from({ length: h.tasks }, () => ({ cpu: h.cpu, memory: h.memory }));
}
