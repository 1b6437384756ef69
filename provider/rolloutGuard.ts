// The executor's side of a rollout guarded by CloudWatch alarms (`draining.haltOnAlarms`): after each
// replacement batch but the last, the bake, then the alarms; during a batch, a look at the alarms at
// most once a minute, and the batch's instances put back ACTIVE when one goes off. A stop is recorded
// on the group (the next preview says how to go back and how to go on) and fails the run naming the
// alarm and what is left on the old version.
import { Action, isLiveState, Plan, RolloutHalt } from "./model";
import { plural } from "./render";
import { RunContext } from "./run";

/** Seconds between two looks at the alarms while a batch drains. */
export const GUARD_LOOK_SECONDS = 60;

type Rollout = NonNullable<Plan["rollout"]>;

/** The first of the rollout's alarms in ALARM (or gone), or undefined. */
export async function firingAlarm(run: RunContext, rollout: Rollout): Promise<string | undefined> {
    if (rollout.alarms.length === 0) return undefined;
    const states = await run.cloud.alarmStates(rollout.alarms);
    return rollout.alarms.find((a) => states[a] === "ALARM" || states[a] === "missing");
}

/**
 * A look at the alarms for the drain loop of a replacement batch: the firing alarm, at most once every
 * {@link GUARD_LOOK_SECONDS}; undefined between looks and while none fires.
 */
export function duringBatch(run: RunContext, rollout: Rollout | undefined): () => Promise<string | undefined> {
    let last = -Infinity;
    return async () => {
        if (rollout === undefined || rollout.alarms.length === 0 || run.deps.now() - last < GUARD_LOOK_SECONDS * 1000) return undefined;
        last = run.deps.now();
        return firingAlarm(run, rollout);
    };
}

/** Whether `a` is a replacement batch after which the rollout bakes: every one but the plan's last. */
export function bakesAfter(plan: Plan, a: Action): boolean {
    if (plan.rollout === undefined || plan.rollout.alarms.length === 0 || a.kind !== "drain" || a.purpose !== "replace") return false;
    const last = plan.actions.filter((x) => x.kind === "drain" && x.purpose === "replace").pop();
    return a !== last;
}

/** The bake after a replacement batch: waits `bakeSeconds` (heartbeats go on), then stops the rollout if an alarm fires. */
export async function bake(run: RunContext, rollout: Rollout, after: string): Promise<void> {
    if (rollout.bakeSeconds > 0) {
        run.log(`baking ${rollout.bakeSeconds} s after ${after} before reading alarm${rollout.alarms.length === 1 ? "" : "s"} ${rollout.alarms.join(", ")}`);
        await run.deps.sleep(Math.min(rollout.bakeSeconds * 1000, Math.max(0, run.deadlineLeft())));
    }
    const alarm = await firingAlarm(run, rollout);
    if (alarm !== undefined) await halt(run, rollout, alarm, after, []);
    run.log(`alarms ${rollout.alarms.join(", ")} not in ALARM after ${after}: the rollout goes on`);
}

/**
 * Stops the rollout: records the halt on the group and fails the run, naming the alarm, the instances
 * put back ACTIVE and those still on an older version.
 */
export async function halt(run: RunContext, rollout: Rollout, alarm: string, after: string, putBack: string[]): Promise<never> {
    const record: RolloutHalt = { version: rollout.version, at: run.deps.now(), alarm, after };
    await run.cloud.recordHalt(record);
    const group = await run.cloud.describeGroup();
    const old = group.instances.filter((i) => isLiveState(i.asgState) && i.launchTemplateVersion !== rollout.version).map((i) => i.instanceId);
    return run.fail(`rollout stopped: alarm ${alarm} is in ALARM ${after.startsWith("during") ? after : `after ${after}`} (draining.haltOnAlarms); `
        + (putBack.length === 0 ? "" : `${putBack.join(", ")} put back ACTIVE; `)
        + `${plural(old.length, "instance")} still on an older version than v${rollout.version}${old.length === 0 ? "" : ` (${old.join(", ")})`}. `
        + "The stop is recorded on the group: the next preview says how to go back, and a `pulumi up` with no guard alarm in ALARM goes on");
}
