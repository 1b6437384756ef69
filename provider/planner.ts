// The planner: observed state and policy in, a list of actions with reasons out.
// Pure: no AWS, no Pulumi, no clock, no randomness. Every decision it makes carries its reason.
import { BinSet, binSet, PlaceableTask } from "./binpack";
import { awsvpcEnis, firstUnmetMemberOf, InstanceOffer, TaskNeeds, unevaluable } from "./placement";
import { planSpotCapacity } from "./spotFallback";
import { pct, statOf, sustainedAbove, sustainedBelow, WindowStat } from "./metrics";
import { Action, ContainerInstance, isLiveState, isMeantToRun, NEW_VERSION, Observed, ObservedInstance, ObservedTask, Plan, taskId, Victim } from "./model";
import { plural } from "./render";
import { Policy } from "./settings";


/** What one part of the plan decides: actions to take, and notes on what it chose not to do. */
interface Decision {
    actions: Action[];
    notes: string[];
}

/** An instance whose container instance is in the cluster (ACTIVE or DRAINING). */
type Registered = ObservedInstance & { container: ContainerInstance };

interface Classified {
    live: ObservedInstance[];
    registered: Registered[];
    active: Registered[];
    ourDraining: Registered[];
    foreignDraining: Registered[];
    outdated: ObservedInstance[];
    /** The observed tasks by container instance ARN (empty without task details). */
    tasksOn: Map<string, ObservedTask[]>;
}

export function isLive(i: ObservedInstance): boolean {
    return isLiveState(i.asgState);
}

export function isActive(i: ObservedInstance): i is Registered {
    return i.container?.status === "ACTIVE" && i.container.agentConnected;
}

function isRegistered(i: ObservedInstance): i is Registered {
    return i.container?.status === "ACTIVE" || i.container?.status === "DRAINING";
}

function isDraining(i: ObservedInstance): i is Registered {
    return i.container?.status === "DRAINING";
}

/** DRAINING by someone else (a Spot notice, an operator, ECS managed draining): no drain mark of the scaler's. */
function isForeignDraining(i: ObservedInstance): i is Registered {
    return isDraining(i) && i.container.drainMark === undefined;
}

export function isOutdated(i: ObservedInstance, o: Observed): boolean {
    return isOnOldTemplate(i, o) || isUndeclaredType(i, o);
}

function isOnOldTemplate(i: ObservedInstance, o: Observed): boolean {
    return i.launchTemplateId !== o.target.launchTemplateId || i.launchTemplateVersion !== o.target.version;
}

function isUndeclaredType(i: ObservedInstance, o: Observed): boolean {
    return o.instanceTypes !== undefined && !o.instanceTypes.includes(i.instanceType);
}

/** The version instances are replaced onto, as the plan says it. */
function targetLabel(o: Observed): string {
    return o.target.version === NEW_VERSION ? "the version this update creates" : `v${o.target.version}`;
}

/** `launch template v4`, or the version a preview cannot number yet. */
function templateTarget(o: Observed): string {
    return o.target.version === NEW_VERSION ? "the launch template version this update creates" : `launch template v${o.target.version}`;
}

/** Why an outdated instance is replaced. */
function outdatedReason(i: ObservedInstance, o: Observed): string {
    return isOnOldTemplate(i, o) ? `launch template ${versionLabel(i)} → ${targetLabel(o)}`
        : `instance type ${i.instanceType} is no longer in instanceTypes`;
}

/**
 * An instance in service this long after launch without a container instance in the cluster is a
 * stray (its agent failed, or it was deregistered and never terminated); it is replaced.
 */
export const STRAY_GRACE_SECONDS = 600;

function isStray(i: ObservedInstance, o: Observed, now: number): boolean {
    return i.asgState === "InService" && i.container === undefined && i.launchTime !== undefined
        && now - i.launchTime > STRAY_GRACE_SECONDS * 1000 && !isOutdated(i, o);
}

function classify(o: Observed): Classified {
    const live = o.instances.filter(isLive);
    const draining = live.filter(isDraining);
    return {
        live,
        registered: live.filter(isRegistered),
        active: live.filter(isActive),
        ourDraining: draining.filter((i) => i.container.drainMark !== undefined),
        foreignDraining: draining.filter(isForeignDraining),
        outdated: live.filter((i) => isOutdated(i, o)),
        tasksOn: tasksByContainer(o),
    };
}

function taskCount(i: ObservedInstance): number {
    return (i.container?.runningTasks ?? 0) + (i.container?.pendingTasks ?? 0);
}

function usedShare(i: ObservedInstance): number {
    const c = i.container;
    if (c === undefined) return 0;
    const cpu = c.registered.cpu > 0 ? (c.registered.cpu - c.remaining.cpu) / c.registered.cpu : 0;
    const mem = c.registered.memory > 0 ? (c.registered.memory - c.remaining.memory) / c.registered.memory : 0;
    return Math.max(cpu, mem);
}

/** Least used first; Spot before On-Demand when usage is equal; then by id so the order is stable. */
function byLeastUsed(a: ObservedInstance, b: ObservedInstance): number {
    return usedShare(a) - usedShare(b)
        || (a.lifecycle === b.lifecycle ? 0 : a.lifecycle === "spot" ? -1 : 1)
        || a.instanceId.localeCompare(b.instanceId);
}

function versionLabel(i: ObservedInstance): string {
    return i.launchTemplateVersion === undefined ? "unknown" : `v${i.launchTemplateVersion}`;
}

/** Metric readings over the evaluation window. */
interface Readings {
    cpu?: WindowStat;
    memory?: WindowStat;
}

function readings(o: Observed, p: Policy, now: number): Readings {
    const minutes = p.scaling.evaluationMinutes;
    return { cpu: statOf(o.metrics.cpu, now, minutes), memory: statOf(o.metrics.memory, now, minutes) };
}

/**
 * Plans one reconcile. Actions come in the order they must run: undo drains no longer needed,
 * scale out or surge, then drain batches; `notes` say what was held back and why.
 */
export function plan(observed: Observed, p: Policy, now: number = observed.now): Plan {
    // The group takes its declared bounds before the scaler runs, and with them a desired capacity
    // inside them: a raised minSize launches instances, a lowered maxSize leaves some in excess.
    const bounded = boundedDesired(observed);
    const o: Observed = { ...observed, desired: bounded };
    const c = classify(o);
    const r = readings(o, p, now);
    const actions: Action[] = [];
    if (bounded > observed.desired) {
        actions.push({
            kind: "set-desired", cause: "scale-out", from: observed.desired, to: bounded,
            waitForActive: c.active.length + (bounded - c.registered.length),
            reason: `scale out ${observed.desired} → ${bounded}: minSize ${o.minSize}`,
        });
    }
    const notes: string[] = [];
    const s = p.scaling;
    const minutes = s.evaluationMinutes;

    if (o.capacityRebalance === true && o.managedDrainingProviders.length === 0) {
        notes.push("Capacity Rebalancing is on and no ECS capacity provider with managed draining is attached to the group: "
            + "instances it replaces on a rebalance recommendation are terminated without a drain");
    }
    for (const i of c.foreignDraining) {
        notes.push(`${i.instanceId} is DRAINING but not by the scaler (Spot interruption notice or an operator): left alone`);
    }
    if (r.cpu === undefined || r.memory === undefined) {
        if (c.registered.length > 0) notes.push(`no scaling decision: fewer than ${minutes} minutes of reservation data`);
    }

    const cooldownLeft = o.lastScalingActivity === undefined ? 0
        : Math.ceil((o.lastScalingActivity + s.cooldownSeconds * 1000 - now) / 1000);
    const high = highReadings(r, p);
    const low = sustainedBelow(r.cpu, s.cpuLowPercent) && sustainedBelow(r.memory, s.memoryLowPercent);
    const lowText = low ? `CPUReservation ${pct(r.cpu!.mean)} < ${s.cpuLowPercent}% and MemoryReservation `
        + `${pct(r.memory!.mean)} < ${s.memoryLowPercent}% over ${minutes} min` : "";

    // When Spot runs dry: fall back to On-Demand, then back to Spot; or apply the declared base.
    const spot = planSpotCapacity(o, p, now);
    actions.push(...spot.actions);
    notes.push(...spot.notes);

    // Tasks ECS cannot place reserve nothing, so the reservation never asks for them: ask for them here.
    const unplaced = o.unplaced ?? [];
    if (unplaced.length > 0 && high.length === 0 && actions.length === 0) {
        const missing = Math.max(...unplaced.map((u) => u.missing));
        const want = Math.min(o.maxSize, o.desired + missing);
        const why = unplaced.map((u) => `service ${u.name} cannot place ${plural(u.missing, "task")} (ECS: ${u.event})`).join("; ");
        const launching = o.desired - c.registered.length;
        if (launching > 0) {
            notes.push(`scale-out held: ${why}, and ${plural(launching, "instance")} are still launching`);
        } else if (want <= o.desired) {
            notes.push(`${why}; maxSize ${o.maxSize} is reached`);
        } else {
            actions.push({
                kind: "set-desired", cause: "scale-out", from: o.desired, to: want, waitForActive: c.active.length + (want - o.desired),
                reason: `scale out ${o.desired} → ${want}: ${why}`,
            });
        }
    }

    // Scale out.
    let desired = o.desired;
    if (high.length > 0 && actions.length === 0) {
        const launching = o.desired - c.registered.length;
        const want = scaleOutTarget(o, p, c.registered.length, r);
        if (cooldownLeft > 0) {
            notes.push(`scale-out held: ${high.join(", ")}, but the last scaling activity is within the ${s.cooldownSeconds} s cooldown (${cooldownLeft} s left)`);
        } else if (launching > 0) {
            notes.push(`scale-out held: ${high.join(", ")}, and ${plural(launching, "instance")} are still launching`);
        } else if (want <= o.desired) {
            notes.push(`scale-out held: ${high.join(", ")}, but maxSize ${o.maxSize} is reached`);
        } else {
            actions.push({
                kind: "set-desired", cause: "scale-out", from: o.desired, to: want,
                waitForActive: c.active.length + (want - o.desired),
                reason: `scale out ${o.desired} → ${want}: ${high.join(", ")}`,
            });
            desired = want;
        }
    }

    // Replace instances on an old launch template version, finishing drains a previous run began.
    const replacing = [...c.outdated.filter((i) => !isForeignDraining(i)), ...c.live.filter((i) => isStray(i, o, now))];
    const revertIds = new Set(spot.revert.map((i) => i.instanceId));
    for (const i of spot.revert) if (!replacing.includes(i) && !isForeignDraining(i)) replacing.push(i);
    const undrain: Registered[] = [];
    // A victim whose task may only run where no other instance can be shown to be (a memberOf no
    // instance that stays satisfies, nor any the group launches as far as is known) waits for a later run.
    // New instances that might meet a task's constraint come only with a surge this run; with a surge
    // recorded, the instances launched for it are already there (or on their way).
    const launching = o.surgeBaseline === undefined && Math.min(o.maxSize, desired + replacing.length) > c.live.length;
    const held = heldByConstraints(o, c, replacing, launching);
    for (const [i, why] of held) notes.push(`replacement of ${i.instanceId} held: ${why}; it is replaced once another instance meets it`);
    for (const i of c.ourDraining) {
        if (i.container.drainMark === "replace" && (!replacing.includes(i) || held.has(i))) undrain.push(i);
    }
    const replaceNow = replacing.filter((i) => !held.has(i));

    if (replaceNow.length > 0) {
        const replacement = planReplacement(o, p, c, replaceNow, desired, now, revertIds);
        actions.push(...replacement.actions);
        notes.push(...replacement.notes);
    } else if (o.surgeBaseline !== undefined && held.size === 0) {
        actions.push({ kind: "end-surge", baseline: o.surgeBaseline,
            reason: `replacement finished: forget the surge record (desired was ${o.surgeBaseline} before it)` });
    }

    // More instances than desired capacity (maxSize or desired lowered outside the scaler) while the
    // group cannot scale in by itself (its instances are protected): drain the excess.
    const excess = replaceNow.length === 0 && actions.length === 0 && o.surgeBaseline === undefined
        ? planExcess(o, p, c) : { actions: [], notes: [] };
    actions.push(...excess.actions);
    notes.push(...excess.notes);

    // Scale in, only when nothing else changes capacity in this run.
    const scaleInDrains = c.ourDraining.filter((i) => i.container.drainMark === "scale-in" && !replacing.includes(i));
    let kept: Registered[] = scaleInDrains;
    if (low && replaceNow.length === 0 && !actions.some((a) => a.kind === "set-desired" || a.kind === "drain")) {
        if (cooldownLeft > 0 && scaleInDrains.length === 0) {
            notes.push(`scale-in held: ${lowText}, but the last scaling activity is within the ${s.cooldownSeconds} s cooldown (${cooldownLeft} s left)`);
            kept = [];
        } else {
            const scaleIn = planScaleIn(o, p, c, scaleInDrains, lowText);
            actions.push(...scaleIn.actions);
            notes.push(...scaleIn.notes);
            kept = scaleIn.kept;
        }
    } else {
        if (low && replaceNow.length > 0) notes.push(`scale-in held until the replacement is done: ${lowText}`);
        kept = [];
    }
    const excessVictims = new Set(excess.actions.flatMap((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : []));
    for (const i of scaleInDrains) {
        if (!kept.includes(i) && !excessVictims.has(i.instanceId)) undrain.push(i);
    }

    // A Spot instance with its interruption notice goes within two minutes: tasks put back on it would die.
    for (const i of undrain.filter((x) => x.spotInterrupted)) {
        notes.push(`${i.instanceId} stays DRAINING although its drain is no longer needed: its Spot interruption notice has been given`);
    }
    // A drain mark on an ACTIVE instance was left by a run stopped between marking and DRAINING; clear
    // it, or a later drain by someone else (a Spot notice, an operator) would look like the scaler's.
    const victims = new Set(actions.flatMap((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : []));
    const staleMarks = c.registered.filter((i) => i.container.status === "ACTIVE" && i.container.drainMark !== undefined && !victims.has(i.instanceId));
    const undrainActions: Action[] = [...undrain.filter((x) => !x.spotInterrupted).map((i): Action => ({
        kind: "undrain",
        instanceId: i.instanceId,
        containerInstanceArn: i.container.arn,
        reason: i.container.drainMark === "replace"
            ? (held.has(i) ? `undrain ${i.instanceId}: its replacement is held (see the note)` : `undrain ${i.instanceId}: launch template ${versionLabel(i)} is current again`)
            : `undrain ${i.instanceId}: scale-in no longer needed (${low ? "its tasks no longer fit on the rest" : "reservation is not below the low thresholds"})`,
    })), ...staleMarks.map((i): Action => ({
        kind: "undrain",
        instanceId: i.instanceId,
        containerInstanceArn: i.container.arn,
        reason: `clear the drain mark on ACTIVE ${i.instanceId}: left by a run that stopped before draining it`,
    }))];
    // The group protects what it launches; instances launched before that get protected here, so
    // that the group can never pick a busy instance when it scales in by itself.
    const unprotected = c.live.filter((i) => i.protectedFromScaleIn === false).map((i) => i.instanceId).sort();
    const protect: Action[] = unprotected.length === 0 ? [] : [{
        kind: "protect", instanceIds: unprotected,
        reason: `protect ${plural(unprotected.length, "instance")} from the group's own scale-in: ${unprotected.join(", ")}`,
    }];
    return { actions: [...protect, ...undrainActions, ...actions], notes };
}

/**
 * The group holds more instances than its desired capacity and cannot remove them itself: drain the
 * excess, instances not yet serving first, then the least used, Spot before On-Demand. Their
 * terminations do not lower desired capacity (it is already lower). Not while instances launch: a
 * rebalance recommendation or a replacement briefly takes the group above desired by itself.
 */
function planExcess(o: Observed, p: Policy, c: Classified): Decision {
    // Instances someone else is draining (a Spot notice) are on their way out already.
    const excess = c.live.length - c.foreignDraining.length - o.desired;
    if (excess <= 0) return { actions: [], notes: [] };
    if (c.live.some((i) => i.asgState.startsWith("Pending"))) {
        return { actions: [], notes: [`${plural(excess, "instance")} above desired capacity ${o.desired}: held while instances are launching`] };
    }
    const free = c.live.filter((i) => !isActive(i) && !isDraining(i)).sort(byLeastUsed);
    const active = c.active.slice().sort(byLeastUsed);
    const cause = o.desired === o.maxSize ? `maxSize ${o.maxSize}` : `desired capacity ${o.desired}`;
    // Drain only instances whose tasks fit on those that stay, by ECS's placement rules, as a scale-in.
    const room = roomOf(c.active, c.tasksOn);
    // A drain an earlier run began is checked again like any other: if its tasks no longer fit, it is undone.
    const resumed = c.ourDraining.filter((i) => i.container.drainMark === "scale-in");
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
    const batchSize = p.draining.batchSize;
    const batches = Math.ceil(victims.length / batchSize);
    const actions: Action[] = [];
    for (let b = 0; b < batches; b++) {
        const slice = victims.slice(b * batchSize, (b + 1) * batchSize);
        const stillActive = victims.slice(b * batchSize).filter(isActive).length;
        actions.push({
            kind: "drain", purpose: "scale-in", batch: b + 1, batches, endsSurge: false,
            waitForActive: c.active.length - victims.filter(isActive).length + stillActive,
            victims: slice.map((i) => ({
                instanceId: i.instanceId,
                containerInstanceArn: i.container?.arn,
                lifecycle: i.lifecycle,
                tasks: taskCount(i),
                decrement: false,
                reason: `above ${cause}`,
            })),
            reason: `remove ${plural(slice.length, "instance")} above ${cause} (${c.live.length} in the group), batch ${b + 1} of ${batches}`,
        });
    }
    return { actions, notes };
}

function highReadings(r: Readings, p: Policy): string[] {
    const out: string[] = [];
    const m = p.scaling.evaluationMinutes;
    if (sustainedAbove(r.cpu, p.scaling.cpuHighPercent)) out.push(`CPUReservation ${pct(r.cpu!.mean)} > ${p.scaling.cpuHighPercent}% over ${m} min`);
    if (sustainedAbove(r.memory, p.scaling.memoryHighPercent)) out.push(`MemoryReservation ${pct(r.memory!.mean)} > ${p.scaling.memoryHighPercent}% over ${m} min`);
    return out;
}

/** Enough instances to bring every reservation above its high threshold back to it, at least one step, at most maxSize. */
function scaleOutTarget(o: Observed, p: Policy, registered: number, r: Readings): number {
    let ratio = 0;
    if (sustainedAbove(r.cpu, p.scaling.cpuHighPercent)) ratio = Math.max(ratio, r.cpu!.mean / p.scaling.cpuHighPercent);
    if (sustainedAbove(r.memory, p.scaling.memoryHighPercent)) ratio = Math.max(ratio, r.memory!.mean / p.scaling.memoryHighPercent);
    const needed = Math.ceil(registered * ratio - 1e-9);
    return Math.min(o.maxSize, Math.max(needed, o.desired + p.scaling.scaleOutStep));
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
    const baseline = o.surgeBaseline ?? desired;
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
    let order = 0;
    const victimOf = (i: ObservedInstance): Victim => {
        const decrement = order >= replacing.length - decrements;
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
    let pending = [...costly];
    const first = free.map(victimOf);
    let replacements = first.filter((v) => !v.decrement).length;
    if (first.length > 0 || pending.length > 0) {
        const k = Math.max(0, Math.min(d.batchSize, pending.length, active - minActive));
        const batch = [...first, ...pending.slice(0, k).map(victimOf)];
        pending = pending.slice(k);
        batches.push(batch);
        // A batch of victims that are already out of service costs no ACTIVE capacity: no wait.
        waits.push(k > 0 ? minActive + k : 0);
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
        const stuck = firstUnmetMemberOf((tasksOf.get(i.container.arn) ?? []).filter((t) => !t.daemon && isMeantToRun(t)), offers);
        if (stuck !== undefined) {
            held.set(i, `task ${taskId(stuck.task.arn)} (${stuck.task.group}) needs memberOf(${stuck.expression}), which no instance that stays meets`);
        }
    }
    return held;
}

/**
 * Picks scale-in victims: least used first, each only if its tasks provably fit on the instances
 * that stay; at most maxScaleInPercent of the registered instances, never below minSize, and only
 * while the reservation left stays under the high thresholds. Returns the resumed drains it keeps.
 */
function planScaleIn(o: Observed, p: Policy, c: Classified, resumed: Registered[], lowText: string): Decision & { kept: Registered[] } {
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
    const stuck = new Map<string, string>();
    for (const i of c.active) {
        const held = firstUnmovable(tasksOf(i));
        if (held !== undefined) stuck.set(i.instanceId, `task ${taskId(held.task.arn)} (${held.task.group}): ${held.why}`);
    }

    const candidates = [...resumed, ...c.active.filter((i) => !isOutdated(i, o)).sort(byLeastUsed)];
    const total = c.registered.reduce((acc, i) => ({
        cpu: acc.cpu + i.container.registered.cpu,
        memory: acc.memory + i.container.registered.memory,
        usedCpu: acc.usedCpu + i.container.registered.cpu - i.container.remaining.cpu,
        usedMemory: acc.usedMemory + i.container.registered.memory - i.container.remaining.memory,
    }), { cpu: 0, memory: 0, usedCpu: 0, usedMemory: 0 });

    // Free room of the instances that may stay (a victim's is removed), and the tasks earlier
    // victims were planned onto each:
    // if such an instance later becomes a victim itself, those tasks move again with its own.
    const room = roomOf(c.active.filter((i) => !isOutdated(i, o)), c.tasksOn);
    const incoming = new Map<string, PlaceableTask[]>();
    const victims: Registered[] = [];
    let unfit: { instance: Registered; why: string } | undefined;
    let capacity = { cpu: total.cpu, memory: total.memory };
    for (const candidate of candidates) {
        if (victims.length >= limit) break;
        const after = {
            cpu: capacity.cpu - candidate.container.registered.cpu,
            memory: capacity.memory - candidate.container.registered.memory,
        };
        if (after.cpu <= 0 || after.memory <= 0
            || total.usedCpu / after.cpu * 100 >= p.scaling.cpuHighPercent
            || total.usedMemory / after.memory * 100 >= p.scaling.memoryHighPercent) {
            break;
        }
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
            notes.push(`no scale-in: ${lowText}, but removing an instance would push reservation above the high thresholds`);
        }
        return { actions, notes, kept: [] };
    }

    const keepers = registered - victims.length;
    // Candidates are the resumed drains (DRAINING) and ACTIVE instances: the ACTIVE victims leave the active.
    const activeKeepers = c.active.length - victims.filter(isActive).length;
    const batchSize = p.draining.batchSize;
    const batches = Math.ceil(victims.length / batchSize);
    for (let b = 0; b < batches; b++) {
        const slice = victims.slice(b * batchSize, (b + 1) * batchSize);
        const stillActive = victims.slice(b * batchSize).filter(isActive).length;
        actions.push({
            kind: "drain", purpose: "scale-in", batch: b + 1, batches, endsSurge: false,
            waitForActive: activeKeepers + stillActive,
            victims: slice.map((i) => ({
                instanceId: i.instanceId,
                containerInstanceArn: i.container.arn,
                lifecycle: i.lifecycle,
                tasks: taskCount(i),
                decrement: true,
                reason: `${plural(tasksOf(i).length, "task")} fit on ${plural(keepers, "remaining instance")}`,
            })),
            reason: `scale in ${o.desired - b * batchSize} → ${o.desired - b * batchSize - slice.length}: ${lowText}`,
        });
    }
    return { actions, notes, kept: resumed.filter((i) => victims.includes(i)) };
}

/** Desired capacity once the group takes its declared bounds (it does so before the scaler runs). */
function boundedDesired(o: Observed): number {
    return Math.min(Math.max(o.desired, o.minSize), o.maxSize);
}

/** The observed tasks by container instance ARN. */
function tasksByContainer(o: Observed): Map<string, ObservedTask[]> {
    const out = new Map<string, ObservedTask[]>();
    for (const t of o.tasks ?? []) {
        const list = out.get(t.containerInstanceArn) ?? [];
        list.push(t);
        out.set(t.containerInstanceArn, list);
    }
    return out;
}

/** The tasks on a registered instance that would move if it drained: daemon tasks run on every instance and never move. */
function movableTasks(c: Classified, i: Registered): ObservedTask[] {
    return (c.tasksOn.get(i.container.arn) ?? []).filter((t) => !t.daemon);
}

/** The first task whose needs the scaler cannot evaluate (its instance then stays), and why. */
function firstUnmovable<T extends { needs?: TaskNeeds }>(tasks: T[]): { task: T; why: string } | undefined {
    for (const task of tasks) {
        const why = task.needs === undefined ? undefined : unevaluable(task.needs);
        if (why !== undefined) return { task, why };
    }
    return undefined;
}

/** The free room of `instances` (ACTIVE ones), by CPU, memory and what else each offers. */
function roomOf(instances: Registered[], tasksOn: Map<string, ObservedTask[]>): BinSet {
    return binSet(instances.map((i) => ({ id: i.instanceId, cpu: i.container.remaining.cpu, memory: i.container.remaining.memory,
        offer: offerOf(i, tasksOn.get(i.container.arn) ?? []) })));
}

/**
 * What an ACTIVE instance offers tasks that would move onto it, besides CPU and memory: the ports
 * in use, ENIs left for awsvpc tasks (by its type), GPUs, the groups on it, its attributes.
 */
function offerOf(i: Registered, tasks: ObservedTask[]): InstanceOffer {
    const enis = awsvpcEnis(i.instanceType);
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
function whyUnfit(tasks: PlaceableTask[], whyNot: (t: PlaceableTask) => string[]): string {
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
 * Whether the plan needs task details (sizes and placement) to decide: only when a scale-in is
 * possible. Everything else works from the container instances' counters.
 */
export function needsTasks(o: Observed, p: Policy, now: number = o.now): boolean {
    const r = readings(o, p, now);
    const excess = o.instances.filter(isLive).length > boundedDesired(o);
    // A replacement holds victims whose tasks are bound (memberOf) to what no other instance offers.
    const replacing = o.instances.some((i) => isLive(i) && isOutdated(i, o)) || o.fallbackBaseline !== undefined;
    return excess || replacing || (sustainedBelow(r.cpu, p.scaling.cpuLowPercent) && sustainedBelow(r.memory, p.scaling.memoryLowPercent));
}
