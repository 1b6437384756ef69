// Replacing instances that are outdated (an old launch template version or an undeclared instance
// type), strays that never registered, and the On-Demand instances of a Spot fallback: surge first,
// then drain in batches that keep minHealthyPercent ACTIVE; and holding the victims whose tasks are
// bound to what no other instance offers.
import { Action, isMeantToRun, Observed, ObservedInstance, taskId, Victim } from "../model";
import { firstUnmetMemberOf } from "../placement";
import { plural } from "../render";
import { Policy } from "../settings";
import { PlanContext } from "./context";
import { byLeastUsed, Classified, Decision, isActive, isForeignDraining, isOutdated, isStray, outdatedReason, Registered, reservationOf, taskCount,
    templateTarget, typicalSize } from "./fleet";
import { healReason } from "./heal";
import { ageReason } from "./maintenance";
import { firstUnmovable, movableTasks, offerOf, roomOf, spreadOf, whyUnfit } from "./room";

/** ECS's words, in a service event, for a task that found no instance with room (CPU, memory, a port). */
const LACK_OF_ROOM = /insufficient|already using a port/i;

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
export function planReplacements(ctx: PlanContext, revert: ObservedInstance[], desired: number, undone: Map<Registered, string>,
    more: { guardHold?: string; aged?: ObservedInstance[]; healing?: ObservedInstance[]; hold?: ObservedInstance[] } = {}): ReplacementDecision {
    const { o, p, c, now } = ctx;
    const { guardHold } = more;
    // Instances whose agent is disconnected while too many are (heal.ts) wait, whatever else would replace them.
    const replacing = [...c.outdated.filter((i) => !isForeignDraining(i)), ...c.live.filter((i) => isStray(i, o, now))]
        .filter((i) => !(more.hold ?? []).includes(i));
    // Why each instance that is neither outdated nor a stray is replaced: the way back to Spot, or its age.
    const why = new Map([...revert.map((i): [string, string] => [i.instanceId, "back to Spot: On-Demand, launched while Spot was unavailable"]),
        ...(more.aged ?? []).map((i): [string, string] => [i.instanceId, ageReason(i, p, now)]),
        ...(more.healing ?? []).map((i): [string, string] => [i.instanceId, healReason(i, o, now)])]);
    const revertIds = new Set(revert.map((i) => i.instanceId));
    for (const i of [...revert, ...(more.aged ?? []), ...(more.healing ?? [])]) if (!replacing.includes(i) && !isForeignDraining(i)) replacing.push(i);
    // A victim whose task may only run where no other instance can be shown to be (a memberOf no
    // instance that stays satisfies, nor any the group launches as far as is known) waits for a later run.
    // New instances that might meet a task's constraint come only with a surge this run; with a surge
    // recorded, the instances launched for it are already there (or on their way).
    // A surge is in force while desired capacity is above its record; a maxSize lowered since has taken it back.
    const surging = o.surgeBaseline !== undefined && desired > o.surgeBaseline;
    const launching = !surging && Math.min(o.maxSize, desired + replacing.length) > c.live.length;
    const held = heldByConstraints(o, c, replacing, launching);
    const notes = [...held].map(([i, why]) => `replacement of ${i.instanceId} held: ${why}; it is replaced once another instance meets it`);
    const undrain = c.ourDraining.filter((i) => i.container.drainMark === "replace" && (!replacing.includes(i) || held.has(i) || undone.has(i as Registered)));
    // While a service cannot place tasks for lack of room, draining an ACTIVE victim takes more: it waits.
    const crowded = (o.unplaced ?? []).filter((u) => LACK_OF_ROOM.test(u.event)).map((u) => u.name);
    // While a guard alarm is in ALARM (draining.haltOnAlarms), no ACTIVE instance is drained for a replacement either.
    const waiting = crowded.length === 0 && guardHold === undefined ? [] : replacing.filter((i) => isActive(i) && !held.has(i));
    if (waiting.length > 0 && guardHold !== undefined) {
        notes.push(`replacement of ${plural(waiting.length, "ACTIVE instance")} waits: ${guardHold}`);
    } else if (waiting.length > 0) {
        notes.push(`replacement of ${plural(waiting.length, "ACTIVE instance")} waits: ${crowded.map((n) => `service ${n}`).join(", ")} `
            + "cannot place tasks for lack of room, which a drain would take");
    }
    const replaceNow = replacing.filter((i) => !held.has(i) && !undone.has(i as Registered) && !waiting.includes(i));
    const decided = { replacing, replaceNow, held, undrain };
    const outgrown = surgeOutgrown(ctx, crowded, desired, surging);
    if (replaceNow.length > 0) {
        const replacement = planReplacement(outgrown.length > 0 ? { ...o, surgeBaseline: undefined } : o, p, c, replaceNow, desired, now, revertIds, why);
        return { ...decided, actions: [...outgrown, ...replacement.actions], notes: [...notes, ...replacement.notes] };
    }
    if (outgrown.length > 0) return { ...decided, actions: outgrown, notes };
    if (held.size > 0 && !launching && !surging) return { ...decided, ...surgeForHeld(o, c, held, desired, notes) };
    if (o.surgeBaseline !== undefined && held.size === 0 && waiting.length === 0 && !replacing.some((i) => undone.has(i as Registered))) {
        return { ...decided, notes, actions: [{ kind: "end-surge", baseline: o.surgeBaseline,
            reason: `replacement finished: forget the surge record (desired was ${o.surgeBaseline} before it)` }] };
    }
    return { ...decided, actions: [], notes };
}

/**
 * A surge record that would lower desired capacity below what the tasks need once the replacement
 * ends: the capacity surged for it now serves tasks that found no room elsewhere, with nothing
 * launching that might place them (a service grew since), or this plan scales out for the tasks. The
 * record goes, and the replacement surges anew from today's desired capacity.
 */
function surgeOutgrown(ctx: PlanContext, crowded: string[], desired: number, surging: boolean): Action[] {
    const { o, c } = ctx;
    if (!surging) return [];
    const lacking = crowded.length > 0 && c.registered.length >= o.desired;
    if (!lacking && desired <= o.desired) return [];
    const why = lacking ? `${crowded.map((n) => `service ${n}`).join(", ")} lacks room, so the ${desired} instances now serve its tasks`
        : `this plan scales out to ${desired} for the tasks`;
    return [{ kind: "end-surge", baseline: o.surgeBaseline!,
        reason: `forget the surge record (desired was ${o.surgeBaseline} before it): ${why}; the replacement surges anew from ${desired}` }];
}

/**
 * Held victims wait for an instance that meets their tasks' constraints, and none is launching: one
 * more instance for each (the group launches in the zone with the fewest instances, theirs among
 * them), recorded as a surge so that it is launched once and given back when they are replaced.
 */
function surgeForHeld(o: Observed, c: Classified, held: Map<ObservedInstance, string>, desired: number, notes: string[]): Decision {
    const to = Math.min(o.maxSize, c.live.length + held.size);
    if (to <= Math.max(desired, c.live.length)) {
        return { actions: [], notes: [...notes, `no room to launch an instance for the held replacement: maxSize ${o.maxSize} is reached; `
            + `raise maxSize to ${c.live.length + held.size}`] };
    }
    return { notes, actions: [{ kind: "set-desired", cause: "surge", from: desired, to, waitForActive: 0, baseline: desired,
        reason: `surge ${desired} → ${to}: a new instance for the held replacement of ${[...held.keys()].map((i) => i.instanceId).join(", ")}` }] };
}

/**
 * Surge first (raise desired into the room below maxSize), then drain old instances in batches that
 * keep at least minHealthyPercent of the baseline ACTIVE. Terminations that would leave the group
 * above its baseline lower desired capacity; the others let the group launch a replacement.
 */
function planReplacement(o: Observed, p: Policy, c: Classified, replacing: ObservedInstance[], desired: number,
    now: number, revertIds: Set<string> = new Set(), why: Map<string, string> = new Map()): Decision {
    const actions: Action[] = [];
    const notes: string[] = [];
    const d = p.draining;
    // A surge recorded before desired capacity was lowered (a lowered maxSize lowers it) cannot be
    // returned to: the group now holds at most `desired` (within maxSize) outside a surge.
    const baseline = Math.min(o.surgeBaseline ?? desired, desired);
    const { minActive, keeps } = activeFloor(o, d, baseline);
    // Victims already out of service cost no ACTIVE capacity; they go first.
    const free = replacing.filter((i) => !isActive(i)).sort(byLeastUsed);
    // On-Demand instances go first: the last victims lower desired capacity instead of being replaced,
    // and those should be Spot, so the group relaunches the On-Demand ones and keeps its base.
    const costly = replacing.filter((i) => isActive(i))
        .sort((a, b) => (a.lifecycle === b.lifecycle ? 0 : a.lifecycle === "on-demand" ? -1 : 1) || byLeastUsed(a, b));
    const atATime = Math.min(d.batchSize, costly.length);
    const { surgeTo, inPlace } = surgeSize(o, c, d.batchSize, { desired, baseline, minActive }, replacing.length, costly);
    // The end of the surge lowers desired capacity only as far as the tasks leave room for within the
    // scale-in target: load that grew since the surge began keeps the instances it needs (consolidation
    // takes back any that are not, later, with their tasks' fit checked).
    const decrements = surgeTo - Math.min(surgeTo, Math.max(baseline, instancesNeeded(o, c, p.scaling.scaleInTargetPercent)));

    // ACTIVE instances once the group holds `surgeTo`: those serving or still launching, plus the
    // ones it has yet to launch. Draining, disconnected and unregistered instances do not count.
    const serving = c.live.filter((i) => isActive(i) || (i.container === undefined && i.asgState.startsWith("Pending"))).length;
    let active = serving + Math.max(0, surgeTo - c.live.length);
    const blocked = costly.length > 0 && active - minActive <= 0;
    if (blocked) {
        notes.push(`replacement blocked: ${plural(replacing.length, "instance")} on an old launch template, but maxSize ${o.maxSize} `
            + `leaves no room to surge and ${keeps}; raise maxSize (to ${Math.max(baseline, minActive) + atATime} to replace `
            + `${plural(atATime, "instance")} at a time) or lower draining.minHealthyPercent`);
        if (free.length === 0) return { actions, notes };
    }
    if (surgeTo > desired) actions.push(surgeAction(o, replacing, revertIds, { from: desired, to: surgeTo, baseline }));

    const batches: Victim[][] = [];
    const waits: number[] = [];
    const victimOf = victimsInOrder(o, replacing.length - decrements, why, now);
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
    // Replaced in place: only victims whose tasks fit on the instances that stay go first; the others
    // wait for the instances the group launches after them.
    const fitting = inPlace === undefined || blocked ? undefined : Math.min(inPlace.fits.length, d.batchSize, active - minActive);
    if (inPlace !== undefined && fitting !== undefined) {
        const taken = inPlace.fits.slice(0, fitting);
        pending = [...taken, ...pending.filter((i) => !taken.includes(i))];
        if (fitting === 0) notes.push(`replacement held: ${inPlace.why}, and maxSize ${o.maxSize} leaves no room to surge; raise maxSize to ${c.live.length + atATime}`);
    }
    if (first.length > 0 || pending.length > 0) {
        const k = Math.max(0, Math.min(d.batchSize, pending.length, active - minActive, fitting ?? Infinity));
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
    while (pending.length > 0 && fitting !== 0) {
        // Replacements launched by the group for the previous batches come back ACTIVE before the next batch.
        active += replacements;
        replacements = 0;
        const k = Math.min(d.batchSize, pending.length, active - minActive);
        if (k <= 0) {
            if (!blocked) notes.push(`replacement stops after batch ${batches.length}: ${plural(pending.length, "instance")} left, `
                + `${keeps}: ${minActive} needed and only ${active} would be`);
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
 * The instances like the registered ones (the median of each) that hold the cluster's tasks packed
 * within `targetPercent` of each instance, by CPU and memory, less what the daemon tasks take on
 * every instance; without task details, the reservation of the registered ones spread evenly.
 */
function instancesNeeded(o: Observed, c: Classified, targetPercent: number): number {
    const size = typicalSize(c.registered);
    if (size === undefined) return 0;
    if (o.tasks === undefined) {
        const r = reservationOf(c.registered);
        const used = Math.max(r.cpu > 0 ? r.usedCpu / r.cpu : 0, r.memory > 0 ? r.usedMemory / r.memory : 0);
        return Math.ceil(c.registered.length * used * 100 / targetPercent - 1e-9);
    }
    const daemons = new Map<string, { cpu: number; memory: number }>();
    for (const t of o.tasks.filter((x) => x.daemon)) {
        const d = daemons.get(t.containerInstanceArn) ?? { cpu: 0, memory: 0 };
        daemons.set(t.containerInstanceArn, { cpu: d.cpu + t.cpu, memory: d.memory + t.memory });
    }
    const daemon = [...daemons.values()].reduce((m, d) => ({ cpu: Math.max(m.cpu, d.cpu), memory: Math.max(m.memory, d.memory) }), { cpu: 0, memory: 0 });
    const bin = { cpu: size.cpu * targetPercent / 100 - daemon.cpu, memory: size.memory * targetPercent / 100 - daemon.memory };
    const bySize = new Map<string, { cpu: number; memory: number; count: number }>();
    for (const t of o.tasks) {
        if (t.daemon || t.desiredStatus === "STOPPED") continue;
        const key = `${t.cpu}/${t.memory}`;
        const size = bySize.get(key) ?? { cpu: t.cpu, memory: t.memory, count: 0 };
        size.count++;
        bySize.set(key, size);
    }
    return packedInstances([...bySize.values()], bin);
}

/**
 * First fit, largest first, a size at a time (the tasks of one size go into the open instances in
 * bulk): never fewer instances than a perfect packing, and close to it; linear in the instances for
 * each distinct task size. A task larger than `bin` takes an instance alone.
 */
function packedInstances(sizes: { cpu: number; memory: number; count: number }[], bin: { cpu: number; memory: number }): number {
    const fits = (b: { cpu: number; memory: number }, t: { cpu: number; memory: number }) =>
        Math.floor(Math.min(t.cpu > 0 ? b.cpu / t.cpu : Infinity, t.memory > 0 ? b.memory / t.memory : Infinity));
    const bins: { cpu: number; memory: number }[] = [];
    for (const t of [...sizes].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory)) {
        let left = t.count;
        for (const b of bins) {
            if (left === 0) break;
            const k = Math.min(left, fits(b, t));
            if (k <= 0) continue;
            b.cpu -= k * t.cpu;
            b.memory -= k * t.memory;
            left -= k;
        }
        const each = Math.max(1, Math.min(fits(bin, t), left));
        while (left > 0) {
            const k = Math.min(each, left);
            bins.push({ cpu: bin.cpu - k * t.cpu, memory: bin.memory - k * t.memory });
            left -= k;
        }
    }
    return bins.length;
}

/**
 * How far to surge: enough to replace every victim at once, and at least one batch above the floor.
 * When that launches nothing before the first batch, the ACTIVE victims (`costly`) drain in place and
 * `inPlace` says which of them fit; where none does and maxSize leaves room, room is launched first instead.
 */
function surgeSize(o: Observed, c: Classified, batchSize: number, at: { desired: number; baseline: number; minActive: number }, victims: number,
    costly: Registered[]): { surgeTo: number; inPlace?: InPlace } {
    const surgeTo = Math.max(at.desired, Math.min(o.maxSize, Math.max(at.baseline + victims, at.minActive + Math.min(batchSize, victims))));
    if (surgeTo > c.live.length || o.tasks === undefined || costly.length === 0) return { surgeTo };
    const inPlace = fitInPlace(c, costly, batchSize);
    if (inPlace.fits.length === 0 && o.maxSize > c.live.length) return { surgeTo: Math.min(o.maxSize, c.live.length + Math.min(batchSize, costly.length)) };
    return { surgeTo, inPlace };
}

/** Raises desired capacity so the group launches the replacements before anything drains. */
function surgeAction(o: Observed, replacing: ObservedInstance[], revertIds: Set<string>, to: { from: number; to: number; baseline: number }): Action {
    return {
        kind: "set-desired", cause: "surge", ...to, waitForActive: 0,
        reason: `surge ${to.from} → ${to.to}: ${plural(replacing.length, "instance")} to replace with `
            + (replacing.every((i) => revertIds.has(i.instanceId) && !isOutdated(i, o)) ? "Spot" : templateTarget(o)),
    };
}

/**
 * The fewest ACTIVE instances a replacement keeps: minHealthyPercent of the baseline, or more when
 * tasks each need an instance of their own (a static host port); `keeps` says which, for the notes.
 */
function activeFloor(o: Observed, d: Policy["draining"], baseline: number): { minActive: number; keeps: string } {
    const healthy = Math.ceil(baseline * d.minHealthyPercent / 100);
    const spread = o.tasks === undefined ? { instances: 0 } : spreadOf(o.tasks);
    return {
        minActive: Math.max(healthy, spread.instances),
        keeps: `draining.minHealthyPercent ${d.minHealthyPercent} keeps ${healthy} of ${baseline} ACTIVE`
            + (spread.instances > healthy ? ` and ${spread.why} (an instance each)` : ""),
    };
}

/** The victims whose tasks fit on the instances that stay, in the order taken, and why the first that does not fit stays. */
interface InPlace {
    fits: Registered[];
    why?: string;
}

/**
 * With no room to surge, a batch's victims drain before anything replaces them: ECS must find their
 * tasks a place on the ACTIVE instances that stay, or it stops them with nowhere to start them. The
 * victims in `pending` whose tasks fit, at most `most`, each after the one before has moved (so any
 * first few of them fit together).
 */
function fitInPlace(c: Classified, pending: Registered[], most: number): InPlace {
    const room = roomOf(c.active, c.tasksOn);
    const fits: Registered[] = [];
    let why: string | undefined;
    for (const i of pending) {
        if (fits.length >= most) break;
        const moving = movableTasks(c, i);
        const unmovable = firstUnmovable(moving);
        if (unmovable === undefined && room.place(moving, i.instanceId) !== undefined) {
            room.remove(i.instanceId);
            fits.push(i);
        } else {
            why ??= `the ${plural(moving.length, "task")} of ${i.instanceId} would not fit on the other instances`
                + (unmovable === undefined ? ` (${whyUnfit(moving, (t) => room.whyNot(t, i.instanceId))})` : ` (${unmovable.why})`);
        }
    }
    return { fits, why };
}

/**
 * The victim of each instance, in the order they are taken: from the `replaced`-th on, a termination
 * lowers desired capacity instead of letting the group launch a replacement.
 */
function victimsInOrder(o: Observed, replaced: number, why: Map<string, string>, now: number): (i: ObservedInstance) => Victim {
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
            reason: why.has(i.instanceId) && !isOutdated(i, o) ? why.get(i.instanceId)!
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
