// Fallback to On-Demand when Spot runs dry, and back to Spot when it returns: what the planner
// decides from the group's failed Spot launches and its On-Demand base. Pure, like the planner.
import { Action, isLiveState, Observed, ObservedInstance } from "../model";
import { Policy } from "../settings";
import { windowState } from "../window";
import { plural } from "../render";

/** Failed launches newer than this mean Spot is still unavailable (the group retries every few minutes). */
export const STILL_FAILING_SECONDS = 600;

export interface SpotDecision {
    actions: Action[];
    notes: string[];
    /** On-Demand instances launched during a fallback, to replace with Spot (surge-first, drained). */
    revert: ObservedInstance[];
}

const minutes = (ms: number) => `${Math.max(1, Math.round(ms / 60_000))} min`;

/** Decides the group's On-Demand base: fall back, stay, restore and replace, or apply the declared value. */
export function planSpotCapacity(o: Observed, p: Policy, now: number): SpotDecision {
    const none: SpotDecision = { actions: [], notes: [], revert: [] };
    const base = o.onDemandBase;
    if (base === undefined) return none;
    const s = p.scaling;
    const f = o.spotFailures;
    const live = o.instances.filter((i) => isLiveState(i.asgState));
    const onDemand = live.filter((i) => i.lifecycle === "on-demand");
    const short = o.desired - live.length;
    const failing = f !== undefined && now - f.last < STILL_FAILING_SECONDS * 1000;
    const inFallback = o.fallbackBaseline !== undefined;
    const declared = o.declaredOnDemandBase ?? (inFallback ? o.fallbackBaseline! : base);
    const failure = f === undefined ? "" : `${f.code}, ${f.count} failed launch${f.count === 1 ? "" : "es"} in ${minutes(f.last - f.first)}: ${f.message}`;

    if (failing && short > 0) {
        const lasted = now - f!.first;
        const want = onDemand.length + short;
        if (lasted < s.spotFallbackAfterSeconds * 1000) {
            return { ...none, notes: [`Spot launches failing for ${minutes(lasted)} (${failure}); the group is ${short} short of `
                + `${o.desired}: falling back to On-Demand after ${s.spotFallbackAfterSeconds} s`] };
        }
        if (want <= base) return none;
        return { ...none, actions: [{
            kind: "set-on-demand-base", from: base, to: want, ...(inFallback ? {} : { fallback: "start" as const, baseline: declared }),
            reason: `fall back to On-Demand: Spot launches failing for ${minutes(lasted)} (${failure}), the group is ${short} short of `
                + `${o.desired}: On-Demand base ${base} → ${want} (the declared ${declared} is restored when Spot returns)`,
        }] };
    }
    if (inFallback) {
        if (failing) return { ...none, notes: [`On-Demand fallback in force: Spot launches still failing (${failure})`] };
        const quietMs = f === undefined ? Infinity : now - f.last;
        if (quietMs < s.spotRevertAfterSeconds * 1000) {
            return { ...none, notes: [`On-Demand fallback in force: no failed Spot launch for ${minutes(quietMs)}; `
                + `back to Spot after ${s.spotRevertAfterSeconds} s without one`] };
        }
        // scaling.spotRevertWindow, else the maintenance window.
        const windowSetting = s.spotRevertWindow ?? p.maintenance?.window;
        const window = windowSetting === undefined ? undefined : windowState(windowSetting, now);
        if (window !== undefined && !window.open) {
            return { ...none, notes: [`On-Demand fallback in force: no failed Spot launch for ${minutes(quietMs)}; `
                + `back to Spot in the maintenance window ${windowSetting} UTC, which opens in ${minutes(window.opensInMs)}`] };
        }
        // Newest On-Demand instances beyond the declared base are the fallback's.
        const revert = [...onDemand].sort((a, b) => (b.launchTime ?? 0) - (a.launchTime ?? 0)).slice(0, Math.max(0, onDemand.length - declared));
        const why = f === undefined ? "no failed Spot launch on record" : `no failed Spot launch for ${minutes(quietMs)}`;
        if (base !== declared) {
            return { ...none, revert, actions: [{
                kind: "set-on-demand-base", from: base, to: declared,
                reason: `back to Spot: ${why}: On-Demand base ${base} → ${declared}, ${plural(revert.length, "On-Demand instance")} to replace with Spot`,
            }] };
        }
        if (revert.length > 0) return { ...none, revert };
        return { ...none, actions: [{ kind: "set-on-demand-base", from: base, to: declared, fallback: "end",
            reason: `fallback over: the On-Demand base is back at ${declared} and every fallback instance is Spot again` }] };
    }
    if (o.declaredOnDemandBase !== undefined && base !== o.declaredOnDemandBase) {
        return { ...none, actions: [{ kind: "set-on-demand-base", from: base, to: o.declaredOnDemandBase,
            reason: `On-Demand base ${base} → ${o.declaredOnDemandBase}: onDemandBaseCapacity as declared` }] };
    }
    return none;
}
