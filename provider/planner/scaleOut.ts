// Adding capacity: up to the group's minSize, for tasks ECS cannot place, and when a reservation is
// sustained above its high threshold.
import { plural } from "../render";
import { awsvpcEnis } from "../instanceTypes";
import { parseHeadroom } from "../settings";
import { PlanContext } from "./context";
import { Decision, isUnregisteredPastGrace, NOTHING, Registered, typicalSize } from "./fleet";

/** A raised minSize: the group launches up to it by itself; the plan says so and waits for the instances. */
export function planBounds(ctx: PlanContext): Decision {
    const { o, c, observedDesired } = ctx;
    if (o.desired <= observedDesired) return NOTHING;
    return { notes: [], actions: [{
        kind: "set-desired", cause: "scale-out", from: observedDesired, to: o.desired,
        waitForActive: c.active.length + (o.desired - c.registered.length),
        reason: `scale out ${observedDesired} → ${o.desired}: minSize ${o.minSize}`,
    }] };
}

/**
 * Tasks ECS cannot place reserve nothing, so the reservation never asks for them: ask for them here,
 * cooldown or not (once the last activity's instances serve, waiting does not place them).
 */
export function planUnplaced(ctx: PlanContext): Decision {
    const { o, c } = ctx;
    if ((o.unplaced ?? []).length === 0) return NOTHING;
    const base = serving(ctx);
    const asked = unplacedTarget(ctx);
    const want = Math.min(o.maxSize, asked);
    const why = unplacedWhy(o);
    const launching = launchingCount(ctx);
    // At maxSize the plan names the short services whatever else it says of the reservations.
    if (want <= base) {
        return { actions: [], notes: [launching > 0 && asked <= base ? `${why}: the ${plural(launching, "instance")} launching may place them`
            : `${why}; maxSize ${o.maxSize} is reached${aboveDesired(ctx)}: raise maxSize to ${ctx.high.length > 0 ? Math.max(asked, scaleOutTarget(ctx)) : asked}`] };
    }
    // Reservations above their thresholds scale out by themselves, sized by the larger of what they
    // reserve and what is unplaced (planScaleOut), unless the cooldown holds that: tasks that cannot be
    // placed do not wait for it.
    if (ctx.high.length > 0 && ctx.cooldownLeft <= 0 && launching <= 0) return NOTHING;
    return { notes: capped(ctx, asked, want), actions: [{
        kind: "set-desired", cause: "scale-out", from: o.desired, to: want, waitForActive: c.active.length + (want - base),
        reason: `scale out ${o.desired} → ${want}: ${why}` + (launching > 0 ? ` (besides the ${plural(launching, "instance")} launching)` : ""),
    }] };
}

/**
 * What a scale-out adds to: desired capacity, or the instances in the group when it holds more (above
 * desired capacity, protected from its scale-in): the group launches only above them.
 */
function serving(ctx: PlanContext): number {
    return Math.max(ctx.o.desired, ctx.c.live.length);
}

/**
 * Instances that may yet serve: those not registered yet but within their grace to, and those the
 * group has yet to launch. One past its grace is a stray the replacement phase deals with.
 */
export function launchingCount(ctx: PlanContext): number {
    const { o, c, now } = ctx;
    return c.live.filter((i) => i.container === undefined && !isUnregisteredPastGrace(i, now)).length + Math.max(0, o.desired - c.live.length);
}

function aboveDesired(ctx: PlanContext): string {
    const base = serving(ctx);
    return base > ctx.o.desired ? ` (${base} instances serve, above desired capacity ${ctx.o.desired})` : "";
}

/**
 * Instances for the tasks ECS cannot place (the reservation does not see them), on top of those
 * serving, counting each instance still launching as one of them.
 */
function unplacedTarget(ctx: PlanContext): number {
    const base = serving(ctx);
    if ((ctx.o.unplaced ?? []).length === 0) return base;
    return base + Math.max(0, Math.ceil(unplacedLoad(ctx).instances - 1e-9) - launchingCount(ctx));
}

/**
 * What the unplaced tasks ask of the cluster, in instances like the registered ones (the median of
 * each) filled to the high thresholds: `cpu` and `memory` for the tasks of known size, `instances`
 * for all of them, at least one per task for a service whose tasks each need an instance of their own
 * (a static host port, `distinctInstance`) or whose size is not known.
 */
export function unplacedLoad(ctx: PlanContext): { cpu: number; memory: number; instances: number } {
    const unplaced = ctx.o.unplaced ?? [];
    const size = typicalInstance(ctx);
    const sized = unplaced.filter((u) => u.oneEach !== true && u.cpu !== undefined && u.memory !== undefined && size !== undefined);
    const { cpu, memory } = sized.length === 0 ? { cpu: 0, memory: 0 }
        : atHighThresholds(ctx, size!, sized.reduce((sum, u) => sum + u.missing * u.cpu!, 0), sized.reduce((sum, u) => sum + u.missing * u.memory!, 0));
    // awsvpc tasks take an ENI each: an instance like the registered ones holds as many as its type has
    // (one each where the type's interfaces are not known).
    const enis = awsvpcEnis(typicalType(ctx)?.typeFacts) ?? 1;
    const byEni = unplaced.filter((u) => u.awsvpc === true && u.oneEach !== true).map((u) => Math.ceil(u.missing / Math.max(1, enis)));
    return { cpu, memory, instances: Math.max(cpu, memory, ...byEni, ...unplaced.filter((u) => !sized.includes(u)).map((u) => u.missing)) };
}

/** `cpu` units and `memory` MiB in instances of `size` filled to the high thresholds, for each resource. */
export function atHighThresholds(ctx: PlanContext, size: { cpu: number; memory: number }, cpu: number, memory: number): { cpu: number; memory: number } {
    const s = ctx.p.scaling;
    return { cpu: cpu / (size.cpu * s.cpuHighPercent / 100), memory: memory / (size.memory * s.memoryHighPercent / 100) };
}

/** A registered instance of the most common instance type. */
function typicalType(ctx: PlanContext): Registered | undefined {
    const byType = new Map<string, Registered[]>();
    for (const i of ctx.c.registered) {
        const same = byType.get(i.instanceType);
        if (same === undefined) byType.set(i.instanceType, [i]);
        else same.push(i);
    }
    return [...byType].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]?.[1][0];
}

/**
 * The median registered CPU and memory of the registered instances; with none registered, the
 * smallest instance the group may launch, by EC2's facts: the requirements' minimum vCPUs and memory,
 * or the smallest declared type's (its memory is a little more than the agent registers: a
 * scale-out may come one instance short, and the next plan adds it). Undefined when neither is known.
 */
export function typicalInstance(ctx: PlanContext): { cpu: number; memory: number } | undefined {
    return typicalSize(ctx.c.registered) ?? smallestLaunchable(ctx.o);
}

function smallestLaunchable(o: PlanContext["o"]): { cpu: number; memory: number } | undefined {
    const r = o.instanceRequirements;
    if (r !== undefined) return r.vcpuCount.min > 0 && r.memoryMiB.min > 0 ? { cpu: r.vcpuCount.min * 1024, memory: r.memoryMiB.min } : undefined;
    const facts = Object.values(o.declaredTypeFacts ?? {});
    return facts.length === 0 ? undefined : { cpu: Math.min(...facts.map((f) => f.vcpus)) * 1024, memory: Math.min(...facts.map((f) => f.memoryMiB)) };
}

/** A scale-out maxSize cuts short: the plan says how far it would have gone. */
function capped(ctx: PlanContext, asked: number, want: number): string[] {
    return asked > want ? [`scale-out capped at maxSize ${ctx.o.maxSize}: ${asked} instances asked for; raise maxSize to ${asked}`] : [];
}

function unplacedWhy(o: PlanContext["o"]): string {
    return (o.unplaced ?? []).map((u) => `service ${u.name} cannot place ${plural(u.missing, "task")} (ECS: ${u.event})`).join("; ");
}

/**
 * How far the ACTIVE instances fall short of the headroom: the headroom tasks that fit in the room
 * each has left (by CPU and memory), and the instances like the registered ones that would hold the
 * rest. Undefined without a headroom setting or when it is all there.
 */
export function headroomShortfall(ctx: PlanContext): { free: number; instances: number; why: string } | undefined {
    const h = parseHeadroom(ctx.p.scaling.headroom);
    if (h === undefined) return undefined;
    const slots = (cpu: number, memory: number) => Math.max(0, Math.floor(Math.min(cpu / h.cpu, memory / h.memory)));
    const free = ctx.c.active.reduce((sum, i) => sum + slots(i.container.remaining.cpu, i.container.remaining.memory), 0);
    if (free >= h.tasks) return undefined;
    const size = typicalInstance(ctx);
    const each = size === undefined ? 0 : slots(size.cpu, size.memory);
    const why = `headroom ${ctx.p.scaling.headroom}: room for ${free} of ${plural(h.tasks, "task")} of ${h.cpu} CPU / ${h.memory} MiB`;
    return { free, instances: each === 0 ? 0 : Math.ceil((h.tasks - free) / each), why };
}

/**
 * A reservation sustained above its high threshold, or less room than the headroom: enough instances
 * to bring it back, to keep the headroom and to place what ECS cannot place, unless held.
 */
export function planScaleOut(ctx: PlanContext): Decision {
    const { o, c } = ctx;
    const s = ctx.p.scaling;
    const short = headroomShortfall(ctx);
    if (short !== undefined && short.instances === 0) {
        return { actions: [], notes: [`${short.why}; no instance like the registered ones holds one of them: scale-out for the headroom held`] };
    }
    const high = [...ctx.high, ...(short === undefined ? [] : [short.why])];
    if (high.length === 0) return NOTHING;
    const launching = launchingCount(ctx);
    const base = serving(ctx);
    const asked = scaleOutTarget(ctx, short);
    const want = Math.min(o.maxSize, asked);
    if (ctx.cooldownLeft > 0) {
        return { actions: [], notes: [`scale-out held: ${high.join(", ")}, but the last scaling activity is within the ${s.cooldownSeconds} s cooldown `
            + `(${ctx.cooldownLeft} s left)`] };
    }
    if (launching > 0) return { actions: [], notes: [`scale-out held: ${high.join(", ")}, and ${plural(launching, "instance")} are still launching`] };
    if (want <= base) {
        return { actions: [], notes: [`scale-out held: ${high.join(", ")}, but maxSize ${o.maxSize} is reached${aboveDesired(ctx)}: raise maxSize to ${asked}`] };
    }
    const unplaced = unplacedTarget(ctx) > base ? `; ${unplacedWhy(o)}` : "";
    return { notes: capped(ctx, asked, want), actions: [{
        kind: "set-desired", cause: "scale-out", from: o.desired, to: want,
        waitForActive: c.active.length + (want - base),
        reason: `scale out ${o.desired} → ${want}: ${high.join(", ")}${unplaced}`,
    }] };
}

/** Desired capacity after a scale-out of this plan, or as it is. */
export function desiredAfter(ctx: PlanContext, scaleOut: Decision): number {
    const a = scaleOut.actions.find((x) => x.kind === "set-desired");
    return a?.kind === "set-desired" ? a.to : ctx.o.desired;
}

/**
 * Enough instances to bring every reservation back under its high threshold with the tasks ECS cannot
 * place counted in, at least one step (or what the headroom lacks) above those serving; maxSize is
 * applied by the caller.
 */
function scaleOutTarget(ctx: PlanContext, short = headroomShortfall(ctx)): number {
    const { p, r } = ctx;
    const registered = ctx.c.registered.length;
    const load = unplacedLoad(ctx);
    let needed = 0;
    if (r.cpu !== undefined) needed = Math.max(needed, registered * r.cpu.mean / p.scaling.cpuHighPercent + load.cpu);
    if (r.memory !== undefined) needed = Math.max(needed, registered * r.memory.mean / p.scaling.memoryHighPercent + load.memory);
    const headroom = short?.instances ?? 0;
    return Math.max(Math.ceil(needed - 1e-9), serving(ctx) + Math.max(p.scaling.scaleOutStep, headroom), unplacedTarget(ctx));
}
