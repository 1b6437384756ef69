import { strict as assert } from "node:assert";
import { parsePlanArgs } from "../../provider/cli";
import { Plan } from "../../provider/model";
import { plan, needsTasks } from "../../provider/planner";
import { buildCluster, simReconcile, simSettings } from "../../provider/sim/scenario";
import { NOW, instance, observed, policy, tasksOn } from "../helpers/observed";

const DAY = 86_400_000;
const replaced = (p: Plan) => p.actions.flatMap((a) => a.kind === "drain" && a.purpose === "replace" ? a.victims.map((v) => [v.instanceId, v.reason]) : []);

/** Three current instances, the first launched `days` ago, the others a day ago. */
function fleet(days: number) {
    const instances = [1, 2, 3].map((n) => ({ ...instance(n, { tasks: 1 }), launchTime: NOW - (n === 1 ? days : 1) * DAY }));
    return observed(instances, { tasks: instances.flatMap((i) => tasksOn(i, 1, 256, 256)) });
}

describe("maintenance: instances replaced for their age", () => {
    it("replaces an instance older than maxInstanceAgeDays like an outdated one, saying why", () => {
        const p = plan(fleet(31), policy({ maintenance: { maxInstanceAgeDays: 30 } }));
        assert.deepEqual(replaced(p), [["i-0001", "launched 31 days ago, past maintenance.maxInstanceAgeDays 30"]]);
        assert.ok(p.actions.some((a) => a.kind === "set-desired" && a.cause === "surge"), "new capacity first");
        assert.equal(needsTasks(fleet(31), policy({ maintenance: { maxInstanceAgeDays: 30 } })), true);
        assert.deepEqual(replaced(plan(fleet(29), policy({ maintenance: { maxInstanceAgeDays: 30 } }))), [], "younger: stays");
        assert.deepEqual(replaced(plan(fleet(400), policy())), [], "no maximum age: stays");
    });

    it("waits for the maintenance window, and says when it opens", () => {
        // NOW is Wednesday 25 November 2026, 12:00 UTC: Saturday 02:00 is 2 days 14 hours away.
        const closed = plan(fleet(31), policy({ maintenance: { maxInstanceAgeDays: 30, window: "Sat,Sun 02:00-06:00" } }));
        assert.deepEqual(replaced(closed), []);
        assert.ok(closed.notes.includes("1 instance older than 30 days (maintenance.maxInstanceAgeDays): replaced in the maintenance window "
            + "Sat,Sun 02:00-06:00 UTC, which opens in 2 d 14 h"), closed.notes.join("\n"));
        const open = plan(fleet(31), policy({ maintenance: { maxInstanceAgeDays: 30, window: "11:00-13:00" } }));
        assert.deepEqual(replaced(open).map(([id]) => id), ["i-0001"]);
    });

    it("confines the way back to Spot to the maintenance window when scaling.spotRevertWindow is not set", () => {
        const o = { ...fleet(1), fallbackBaseline: 0, onDemandBase: 1, declaredOnDemandBase: 0 };
        o.instances[0].lifecycle = "on-demand";
        const p = plan(o, policy({ maintenance: { window: "Sat,Sun 02:00-06:00" } }));
        assert.ok(p.notes.some((n) => n.includes("back to Spot in the maintenance window Sat,Sun 02:00-06:00 UTC")), p.notes.join("\n"));
    });

    it("on the simulated cluster: the old instance drained and replaced, nothing lost", async () => {
        const w = buildCluster({ instances: 3, services: [{ name: "web", count: 6, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        const old = w.liveInstances()[0];
        old.launchedAt -= 40 * DAY;
        w.clock.advance(6 * 60_000);
        const r = await simReconcile(w, simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion, maintenance: { maxInstanceAgeDays: 30 } }));
        assert.equal(r.report.instances[old.id], "terminated");
        assert.ok(w.liveInstances().every((i) => w.now - i.launchedAt < 30 * DAY));
        assert.equal(w.killedTasks("scaler").length, 0);
        assert.deepEqual(w.violations, []);
    });

    it("reads the guard alarms for a replacement for age, and goes on while none is in ALARM", async () => {
        const w = buildCluster({ instances: 3, services: [{ name: "web", count: 6, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        w.alarms.set("web-5xx", { state: "OK" });
        const old = w.liveInstances()[0];
        old.launchedAt -= 40 * DAY;
        w.clock.advance(6 * 60_000);
        const r = await simReconcile(w, simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion, maintenance: { maxInstanceAgeDays: 30 },
            draining: { haltOnAlarms: ["web-5xx"], bakeSeconds: 60 } }));
        assert.equal(r.report.instances[old.id], "terminated", r.plan.notes.join("\n"));
        assert.ok(r.plan.notes.some((n) => n.startsWith("the rollout is guarded by 1 alarm web-5xx")));
    });

    it("takes the maintenance settings as flags, named by flag when bad", () => {
        const c = parsePlanArgs(["plan", "--region", "eu-west-1", "--cluster", "web", "--asg", "web-asg", "--max-instance-age-days", "14",
            "--maintenance-window", "Sun 01:00-05:00"]);
        assert.ok(typeof c === "object");
        assert.deepEqual(c.maintenance, { maxInstanceAgeDays: 14, window: "Sun 01:00-05:00" });
        assert.throws(() => parsePlanArgs(["plan", "--region", "eu-west-1", "--cluster", "web", "--asg", "web-asg", "--max-instance-age-days", "0"]),
            { message: "spot-ecs plan: invalid arguments:\n  - `--max-instance-age-days` must be an integer between 1 and 365, got 0" });
    });
});
