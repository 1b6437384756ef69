// The guard of a rollout by CloudWatch alarms (`draining.haltOnAlarms`): a replacement does not start
// while a guard alarm is in ALARM or missing; a rollout the alarms stopped is held, with how to go back
// and how to go on, until an up finds none in ALARM; its record on the group goes once the target
// changes or nothing is left to replace.
import { Action, AlarmState, NEW_VERSION, Observed, Plan, RolloutHalt } from "../model";
import { plural } from "../render";
import { alarmName, Policy } from "../settings";
import { isLive } from "./fleet";

/** What the guard decides for this plan. */
export interface GuardDecision {
    /** Why replacing ACTIVE instances waits, when it does. */
    hold?: string;
    notes: string[];
    /** The guard the executor applies to the plan's replacement batches (see {@link Plan}). */
    rollout?: NonNullable<Plan["rollout"]>;
    /** Clearing a halt record that no replacement will clear: nothing is left of the rollout it stopped. */
    actions: Action[];
}

/** `web-5xx (ALARM), api-latency (missing)`. */
function named(alarms: string[], states: Record<string, AlarmState>): string {
    return alarms.map((a) => `${a} (${states[a]})`).join(", ");
}

/** The note on a rollout the alarms stopped: where it stands, how to go back, how to go on. */
export function haltNote(o: Observed, h: RolloutHalt): string {
    const live = o.instances.filter(isLive);
    const onIt = live.filter((i) => i.launchTemplateVersion === h.version).length;
    const others = new Map<string, number>();
    for (const i of live) if (i.launchTemplateVersion !== h.version) others.set(i.launchTemplateVersion ?? "?", (others.get(i.launchTemplateVersion ?? "?") ?? 0) + 1);
    const before = [...others].map(([v, n]) => `v${v} ×${n}`).join(", ") || "none";
    return `the rollout to launch template v${h.version} was stopped at ${new Date(h.at).toISOString()} by alarm ${h.alarm} in ALARM after ${h.after}: `
        + `${plural(onIt, "instance")} run v${h.version}, the others ${before}. To go back, give the launch template what the version before it had `
        + "(the AMI, the user data) and `pulumi up`: the scaler replaces the new instances the same way, guarded. To go on once the alarm is OK, "
        + "`pulumi up` resumes the rollout (the runner does not)";
}

/**
 * The guard of this plan's replacement. `replacing`: the plan may replace instances. Reads the alarms'
 * states from the observation (read when a replacement was possible or a stop recorded).
 */
export function rolloutGuard(o: Observed, p: Policy, replacing: boolean): GuardDecision {
    const alarms = (p.draining.haltOnAlarms ?? []).map(alarmName);
    const halt = o.halted;
    const states = o.guardAlarms ?? {};
    if (!replacing) {
        // Its record goes once nothing of the stopped rollout is left to replace.
        if (halt === undefined) return { notes: [], actions: [] };
        return { notes: [], actions: [{ kind: "end-halt", version: halt.version,
            reason: `clear the record of the rollout to launch template v${halt.version} that alarm ${halt.alarm} stopped: no instance is left to replace` }] };
    }
    if (halt !== undefined && halt.version !== o.target.version) {
        // Going back (or on with a fix): the alarms fire for the very instances this rollout replaces, so they do not hold it.
        return { notes: [`rollout to ${o.target.version === NEW_VERSION ? "the version this update creates" : `v${o.target.version}`} after alarm ${halt.alarm} `
            + `stopped the one to v${halt.version}: not held by the guard alarms, which fire for the instances it replaces`], actions: [] };
    }
    const firing = alarms.filter((a) => states[a] === "ALARM" || states[a] === "missing" || states[a] === undefined);
    const rollout = (resumes: boolean) => ({ alarms, bakeSeconds: p.draining.bakeSeconds, version: o.target.version, resumes });
    if (halt !== undefined && firing.length > 0) {
        return { hold: `guard alarm ${named(firing, states)} (draining.haltOnAlarms): the stopped rollout is held`, notes: [haltNote(o, halt)], actions: [] };
    }
    if (halt !== undefined) {
        return { notes: [`resumes the rollout to launch template v${halt.version} that alarm ${halt.alarm} stopped after ${halt.after}: `
            + "no guard alarm is in ALARM now (the runner leaves this to a `pulumi up`)"], rollout: rollout(true), actions: [] };
    }
    if (alarms.length === 0) return { notes: [], actions: [] };
    const alarming = firing.filter((a) => states[a] === "ALARM");
    const onTarget = o.instances.filter((i) => isLive(i) && i.launchTemplateVersion === o.target.version).length;
    if (alarming.length > 0 && onTarget > 0) {
        // The rollout's own instances run while an alarm fires (a run that stopped for another reason left them): it is stopped, as after a batch.
        const stop: RolloutHalt = { version: o.target.version, at: o.now, alarm: alarming[0], after: `${plural(onTarget, "instance")} of it launched` };
        return { hold: `guard alarm ${named(firing, states)} (draining.haltOnAlarms): the rollout is stopped`, notes: [],
            actions: [{ kind: "halt", halt: stop, reason: `stop the rollout to launch template v${stop.version}: alarm ${stop.alarm} is in ALARM while `
                + `${plural(onTarget, "instance")} of it run (recorded on the group; the next preview says how to go back)` }] };
    }
    if (firing.length > 0) {
        return { hold: `guard alarm ${named(firing, states)} (draining.haltOnAlarms): no rollout starts while one is in ALARM or missing`, notes: [], actions: [] };
    }
    return { notes: [`the rollout is guarded by ${plural(alarms.length, "alarm")} ${alarms.join(", ")}: after each batch but the last it waits `
        + `${p.draining.bakeSeconds} s (draining.bakeSeconds), then stops if one is in ALARM`], rollout: rollout(false), actions: [] };
}
