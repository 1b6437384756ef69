// Replacing instances that are outdated (an old launch template version or an undeclared instance
// type), strays that never registered, and the On-Demand instances of a Spot fallback: surge first,
// then drain in batches that keep minHealthyPercent ACTIVE; and holding the victims whose tasks are
// bound to what no other instance offers.
import { Action, isMeantToRun, Observed, ObservedInstance, taskId, Victim } from "../model";
import { firstUnmetMemberOf } from "../placement";
import { plural } from "../render";
import { Policy } from "../settings";
import { PlanContext } from "./context";
import { byLeastUsed, Classified, Decision, isActive, isForeignDraining, isOutdated, isStray, outdatedReason, Registered, taskCount,
    templateTarget } from "./fleet";
import { offerOf } from "./room";

/** What the replacement phase decides, and what the later phases need to know of it. */
export interface ReplacementDecision extends Decision {
    /** Every instance to be replaced, held ones included. */
    replacing: ObservedInstance[];
    /** Those replaced in this run. */
    replaceNow: ObservedInstance[];
    /** Victims held back, with why. */
    held: Map<ObservedInstance, string>;
    /** Replacement drains of an earlier run that are no longer needed, or whose victim is now held. */
    undrain: Registered[];
}

/**
 * Replaces what is outdated, stray or left On-Demand by a fallback (`revert`), finishing drains a
 * previous run began but those `undone`; surges from `desired` (after this plan's scale-out). With
 * nothing to replace and a surge still recorded, the surge record is cleared.
 */
export function planReplacements(ctx: PlanContext, revert: ObservedInstance[], desired: number, undone: Map<Registered, string>): ReplacementDecision {
    const { o, p, c, now } = ctx;
    const replacing = [...c.outdated.filter((i) => !isForeignDraining(i)), ...c.live.filter((i) => isStray(i, o, now))];
    const revertIds = new Set(revert.map((i) => i.instanceId));
    for (const i of revert) if (!replacing.includes(i) && !isForeignDraining(i)) replacing.push(i);
    // A victim whose task may only run where no other instance can be shown to be (a memberOf no
    // instance that stays satisfies, nor any the group launches as far as is known) waits for a later run.
    // New instances that might meet a task's constraint come only with a surge this run; with a surge
    // recorded, the instances launched for it are already there (or on their way).
    const launching = o.surgeBaseline === undefined && Math.min(o.maxSize, desired + replacing.length) > c.live.length;
    const held = heldByConstraints(o, c, replacing, launching);
    const notes = [...held].map(([i, why]) => `replacement of ${i.instanceId} held: ${why}; it is replaced once another instance meets it`);
    const undrain = c.ourDraining.filter((i) => i.container.drainMark === "replace" && (!replacing.includes(i) || held.has(i) || undone.has(i as Registered)));
    const replaceNow = replacing.filter((i) => !held.has(i) && !undone.has(i as Registered));
    const decided = { replacing, replaceNow, held, undrain };
    if (replaceNow.length > 0) {
        const replacement = planReplacement(o, p, c, replaceNow, desired, now, revertIds);
        return { ...decided, actions: replacement.actions, notes: [...notes, ...replacement.notes] };
    }
    if (o.surgeBaseline !== undefined && held.size === 0 && !replacing.some((i) => undone.has(i as Registered))) {
        return { ...decided, notes, actions: [{ kind: "end-surge", baseline: o.surgeBaseline,
            reason: `replacement finished: forget the surge record (desired was ${o.surgeBaseline} before it)` }] };
    }
    return { ...decided, actions: [], notes };
}

/**
 * Surge first (raise desired into the room below maxSize), then drain old instances in batches that
 * keep at least minHealthyPercent of the baseline ACTIVE. Terminations that would leave the group
 * above its baseline lower desired capacity; the others let the group launch a replacement.
 */
function planReplacement(o: Observed, p: Policy, c: Classified, replacing: ObservedInstance[], desired: number,
    now: number, revertIds: Set<string> = new Set()): Decision {
    const actions: Action[] = [];
    const notes: string[] = [];
    const d = p.draining;
    // A surge recorded before desired capacity was lowered (a lowered maxSize lowers it) cannot be
    // returned to: the group now holds at most `desired` (within maxSize) outside a surge.
    const baseline = Math.min(o.surgeBaseline ?? desired, desired);
    const minActive = Math.ceil(baseline * d.minHealthyPercent / 100);
    const surgeTo = Math.max(desired, Math.min(o.maxSize, baseline + replacing.length));

    // Victims already out of service cost no ACTIVE capacity; they go first.
    const free = replacing.filter((i) => !isActive(i)).sort(byLeastUsed);
    // On-Demand instances go first: the last victims lower desired capacity instead of being replaced,
    // and those should be Spot, so the group relaunches the On-Demand ones and keeps its base.
    const costly = replacing.filter((i) => isActive(i))
        .sort((a, b) => (a.lifecycle === b.lifecycle ? 0 : a.lifecycle === "on-demand" ? -1 : 1) || byLeastUsed(a, b));
    const decrements = surgeTo - baseline;

    // ACTIVE instances once the group holds `surgeTo`: those serving or still launching, plus the
    // ones it has yet to launch. Draining, disconnected and unregistered instances do not count.
    const serving = c.live.filter((i) => isActive(i) || (i.container === undefined && i.asgState.startsWith("Pending"))).length;
    let active = serving + Math.max(0, surgeTo - c.live.length);
    const blocked = costly.length > 0 && active - minActive <= 0;
    if (blocked) {
        notes.push(`replacement blocked: ${plural(replacing.length, "instance")} on an old launch template, but maxSize ${o.maxSize} `
            + `leaves no room to surge and draining.minHealthyPercent ${d.minHealthyPercent} keeps ${minActive} of ${baseline} ACTIVE; `
            + "raise maxSize or lower draining.minHealthyPercent");
        if (free.length === 0) return { actions, notes };
    }
    if (surgeTo > desired) {
        actions.push({
            kind: "set-desired", cause: "surge", from: desired, to: surgeTo, waitForActive: 0, baseline,
            reason: `surge ${desired} → ${surgeTo}: ${plural(replacing.length, "instance")} to replace with `
                + (replacing.every((i) => revertIds.has(i.instanceId) && !isOutdated(i, o)) ? "Spot" : templateTarget(o)),
        });
    }

    const batches: Victim[][] = [];
    const waits: number[] = [];
    const victimOf = victimsInOrder(o, replacing.length - decrements, revertIds, now);
    let pending = [...costly];
    // Instances that never registered hold no task and serve nothing: when others are replaced too, they
    // go in a batch of their own, first, which no service's gate can hold.
    const unregistered = free.filter((i) => i.container === undefined);
    const alone = unregistered.length > 0 && unregistered.length < free.length + costly.length;
    if (alone) {
        const batch = unregistered.map(victimOf);
        batches.push(batch);
        waits.push(0);
        // The group launches their replacements at once: they come back ACTIVE before the next batch.
        active += batch.filter((v) => !v.decrement).length;
    }
    const first = free.filter((i) => !alone || i.container !== undefined).map(victimOf);
    let replacements = first.filter((v) => !v.decrement).length;
    if (first.length > 0 || pending.length > 0) {
        const k = Math.max(0, Math.min(d.batchSize, pending.length, active - minActive));
        const batch = [...first, ...pending.slice(0, k).map(victimOf)];
        pending = pending.slice(k);
        if (batch.length > 0) {
            batches.push(batch);
            // A batch of victims that are already out of service costs no ACTIVE capacity: no wait.
            waits.push(k > 0 ? minActive + k : 0);
        }
        active = active - k;
        replacements += batch.slice(first.length).filter((v) => !v.decrement).length;
    }
    while (pending.length > 0) {
        // Replacements launched by the group for the previous batches come back ACTIVE before the next batch.
        active += replacements;
        replacements = 0;
        const k = Math.min(d.batchSize, pending.length, active - minActive);
        if (k <= 0) {
            if (!blocked) notes.push(`replacement stops after batch ${batches.length}: ${plural(pending.length, "instance")} left, `
                + `draining.minHealthyPercent ${d.minHealthyPercent} needs ${minActive} ACTIVE and only ${active} would be`);
            break;
        }
        const batch = pending.slice(0, k).map(victimOf);
        pending = pending.slice(k);
        batches.push(batch);
        waits.push(minActive + k);
        active -= k;
        replacements = batch.filter((v) => !v.decrement).length;
    }

    batches.forEach((victims, index) => {
        actions.push({
            kind: "drain", purpose: "replace", batch: index + 1, batches: batches.length,
            waitForActive: waits[index], victims, endsSurge: index === batches.length - 1 && pending.length === 0,
            reason: `replace ${plural(victims.length, "instance")} (→ ${templateTarget(o)}), batch ${index + 1} of ${batches.length}`,
        });
    });
    return { actions, notes };
}

/**
 * The victim of each instance, in the order they are taken: from the `replaced`-th on, a termination
 * lowers desired capacity instead of letting the group launch a replacement.
 */
function victimsInOrder(o: Observed, replaced: number, revertIds: Set<string>, now: number): (i: ObservedInstance) => Victim {
    let order = 0;
    return (i) => {
        const decrement = order >= replaced;
        order++;
        return {
            instanceId: i.instanceId,
            containerInstanceArn: i.container?.arn,
            lifecycle: i.lifecycle,
            tasks: taskCount(i),
            decrement,
            reason: revertIds.has(i.instanceId) && !isOutdated(i, o) ? "back to Spot: On-Demand, launched while Spot was unavailable"
                : isOutdated(i, o) ? outdatedReason(i, o)
                : `not registered with the cluster ${Math.floor((now - i.launchTime!) / 60_000)} min after launch`,
        };
    };
}

/**
 * Replacement victims with a task whose `memberOf` constraint no ACTIVE instance that stays meets,
 * when this run launches no new instance that might (the executor checks again once new ones have
 * registered). ECS would stop such a task on the DRAINING instance and have nowhere to start it.
 */
function heldByConstraints(o: Observed, c: Classified, replacing: ObservedInstance[], launching: boolean): Map<ObservedInstance, string> {
    const held = new Map<ObservedInstance, string>();
    if (o.tasks === undefined || launching || replacing.length === 0) return held;
    const victims = new Set(replacing.map((i) => i.instanceId));
    const tasksOf = c.tasksOn;
    const offers = c.active.filter((i) => !victims.has(i.instanceId)).map((i) => offerOf(i, tasksOf.get(i.container.arn) ?? []));
    for (const i of replacing.filter((x): x is Registered => x.container !== undefined && (isActive(x) || x.container.drainMark === "replace"))) {
        const tasks = tasksOf.get(i.container.arn) ?? [];
        const stuck = firstUnmetMemberOf(tasks.filter((t) => !t.daemon && isMeantToRun(t)), offers);
        if (stuck !== undefined) {
            held.set(i, `task ${taskId(stuck.task.arn)} (${stuck.task.group}) needs memberOf(${stuck.expression}), which no instance that stays meets`);
            // A held victim stays: the tasks of the next victims may go to it (one old instance in a zone
            // is kept for the zone's tasks, not all of them).
            if (isActive(i)) offers.push(offerOf(i, tasks));
        }
    }
    return held;
}
