import { strict as assert } from "node:assert";
import { HALT_TAG, parseHaltTag } from "../../provider/cloud";
import { Observed, Plan } from "../../provider/model";
import { plan } from "../../provider/planner";
import { isScalerRunError } from "../../provider/run";
import { narrowPlan } from "../../provider/runner";
import { RUNNER_ACTIONS, ScalerSettings } from "../../provider/settings";
import { buildCluster, newLaunchTemplateVersion, simPreview, simReconcile, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";
import { instance, observed, policy, tasksOn } from "../helpers/observed";

const MINUTE = 60_000;
const ALARM = "web-5xx";

/** Four instances, a load-balanced service of 8 tasks, and an alarm on the service's errors that a bad version sets off. */
function guardedCluster(deregistrationDelaySeconds = 30): { w: SimWorld; settings: () => ScalerSettings } {
    const w = buildCluster({ instances: 4, targetGroups: 1, services: [{ name: "web", count: 8, cpu: 256, memory: 256, minHealthyPercent: 50, loadBalanced: true }],
        timings: { deregistrationDelaySeconds, taskStopSeconds: 10 } });
    w.alarms.set(ALARM, { state: "OK", rule: "bad-version", evaluationMinutes: 2 });
    w.clock.advance(6 * MINUTE);
    const settings = () => simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion, targetGroupArns: w.group.targetGroupArns,
        draining: { batchSize: 1, haltOnAlarms: [ALARM], bakeSeconds: 300 } });
    return { w, settings };
}

const lost = (w: SimWorld) => w.killedTasks("scaler").length + w.killedTasks("asg").length;
const versions = (w: SimWorld) => w.liveInstances().map((i) => i.ltVersion).sort().join(",");

describe("a rollout guarded by alarms on the simulated cluster", function () {
    this.timeout(60_000);

    it("stops a bad AMI after its first batch and its bake, naming the alarm; the next preview says how to go back; going back replaces it, nothing lost", async () => {
        const { w, settings } = guardedCluster();
        newLaunchTemplateVersion(w);
        w.badVersions.add("2");
        const preview = await simPreview(w, settings());
        assert.ok(preview.plan.notes.includes(`the rollout is guarded by 1 alarm ${ALARM}: after each batch but the last it waits 300 s (draining.bakeSeconds), `
            + "then stops if one is in ALARM"), preview.plan.notes.join("\n"));
        assert.ok(preview.lines.some((l) => l.startsWith("estimate: ") && l.includes("then the 300 s bake")), "the bake is in the estimate");
        const r = await simReconcile(w, settings()).then(() => undefined, (e: unknown) => e);
        assert.ok(isScalerRunError(r), String(r));
        assert.match(r.message, new RegExp(`^rollout stopped: alarm ${ALARM} is in ALARM after replace batch 1 of 4 \\(draining.haltOnAlarms\\); 3 instances still on an older version than v2`));
        assert.deepEqual(Object.values(r.report.instances).filter((o) => o === "terminated").length, 1, "one old instance replaced, no more");
        const halted = parseHaltTag(w.group.tags[HALT_TAG]);
        assert.deepEqual(halted && { version: halted.version, alarm: halted.alarm, after: halted.after }, { version: "2", alarm: ALARM, after: "replace batch 1 of 4" });

        // The alarm still fires (the new instances serve): the rollout is held, and the plan says how to go back and how to go on.
        w.clock.advance(5 * MINUTE);
        const held = await simPreview(w, settings());
        assert.ok(!held.plan.actions.some((a) => a.kind === "drain" && a.purpose === "replace"), held.lines.join("\n"));
        assert.ok(held.plan.notes.some((n) => n.startsWith(`the rollout to launch template v2 was stopped at `) && n.includes("To go back, give the launch template")
            && n.includes("`pulumi up` resumes the rollout (the runner does not)")), held.plan.notes.join("\n"));
        assert.ok(held.plan.notes.some((n) => n.startsWith("replacement of 3 ACTIVE instances waits: guard alarm web-5xx (ALARM)")), held.plan.notes.join("\n"));

        // Going back: a new version with what v1 had. The alarms fire for the instances it replaces, so they do not hold it.
        newLaunchTemplateVersion(w);
        const back = await simReconcile(w, settings());
        assert.ok(back.plan.notes.some((n) => n.startsWith(`rollout to v3 after alarm ${ALARM} stopped the one to v2: not held by the guard alarms`)), back.plan.notes.join("\n"));
        assert.equal(versions(w), "3,3,3,3");
        w.clock.advance(5 * MINUTE);
        const cleared = await simReconcile(w, settings());
        assert.ok(cleared.plan.actions.some((a) => a.kind === "end-halt"), cleared.lines.join("\n"));
        assert.equal(w.group.tags[HALT_TAG], undefined, "the record of the stopped rollout is gone");
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("puts the batch's instances back ACTIVE when an alarm goes off during the batch, and terminates none of them", async () => {
        // A batch of minutes (the targets' 300 s delay): the guard looks at the alarms once a minute while it drains.
        const { w, settings } = guardedCluster(300);
        newLaunchTemplateVersion(w);
        w.alarms.set(ALARM, { state: "OK" });
        let victim: string | undefined;
        w.tickHooks.push((x) => {
            const draining = x.liveInstances().find((i) => i.container?.status === "DRAINING");
            if (draining !== undefined && victim === undefined) {
                victim = draining.id;
                x.alarms.get(ALARM)!.state = "ALARM";
            }
        });
        const r = await simReconcile(w, settings()).then(() => undefined, (e: unknown) => e);
        assert.ok(isScalerRunError(r), String(r));
        assert.match(r.message, new RegExp(`^rollout stopped: alarm ${ALARM} is in ALARM during batch 1 of 4 \\(draining.haltOnAlarms\\); ${victim} put back ACTIVE; `));
        assert.equal(w.instances.get(victim!)!.container!.status, "ACTIVE");
        assert.notEqual(w.instances.get(victim!)!.asgState, "Terminated");
        assert.equal(r.report.instances[victim!], "undrained");
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("resumes a stopped rollout in a `pulumi up` once no alarm is in ALARM; the runner leaves it", async () => {
        const { w, settings } = guardedCluster();
        newLaunchTemplateVersion(w);
        w.badVersions.add("2");
        await simReconcile(w, settings()).catch(() => undefined);
        // The alarm was a false one: the service recovers on v2.
        w.badVersions.clear();
        w.clock.advance(5 * MINUTE);
        const preview = await simPreview(w, settings());
        assert.equal(preview.plan.rollout?.resumes, true);
        const runner = narrowPlan(preview.plan, RUNNER_ACTIONS);
        assert.ok(!runner.actions.some((a) => a.kind === "drain" && a.purpose === "replace"), "the runner does not resume it");
        assert.ok(runner.notes.some((n) => n.includes("since the runner does not resume a rollout the guard alarms stopped")), runner.notes.join("\n"));
        await simReconcile(w, settings());
        assert.equal(versions(w), "2,2,2,2");
        assert.equal(lost(w), 0);
    });
});

describe("the rollout guard in the plan", () => {
    const outdated = () => {
        const old = [1, 2, 3].map((n) => instance(n, { version: "3", tasks: 1 }));
        return { old, o: (extra: Partial<Observed>) => observed(old, { tasks: old.flatMap((i) => tasksOn(i, 1, 256, 256)), ...extra }) };
    };
    const guarded = policy({ draining: { haltOnAlarms: ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx", "api-latency"], bakeSeconds: 120 } });
    const replaces = (p: Plan) => p.actions.some((a) => a.kind === "drain" && a.purpose === "replace");

    it("starts no rollout while a guard alarm is in ALARM or missing, and names it; reads an ARN's alarm by its name", () => {
        const { o } = outdated();
        const firing = plan(o({ guardAlarms: { "web-5xx": "ALARM", "api-latency": "OK" } }), guarded);
        assert.equal(replaces(firing), false);
        assert.ok(firing.notes.includes("replacement of 3 ACTIVE instances waits: guard alarm web-5xx (ALARM) (draining.haltOnAlarms): no rollout starts "
            + "while one is in ALARM or missing"), firing.notes.join("\n"));
        const missing = plan(o({ guardAlarms: { "web-5xx": "OK", "api-latency": "missing" } }), guarded);
        assert.equal(replaces(missing), false);
        assert.ok(missing.notes.some((n) => n.includes("guard alarm api-latency (missing)")));
        const ok = plan(o({ guardAlarms: { "web-5xx": "OK", "api-latency": "INSUFFICIENT_DATA" } }), guarded);
        assert.equal(replaces(ok), true);
        assert.deepEqual(ok.rollout, { alarms: ["web-5xx", "api-latency"], bakeSeconds: 120, version: "4", resumes: false });
    });

    it("stops, and records, a rollout whose own instances run while a guard alarm is in ALARM (a run that failed for another reason left them)", () => {
        const { old, o } = outdated();
        const fresh = instance(4, { tasks: 1 });
        const p = plan({ ...o({ guardAlarms: { "web-5xx": "ALARM", "api-latency": "OK" } }), instances: [...old, fresh] }, guarded);
        assert.equal(replaces(p), false);
        assert.deepEqual(p.actions.filter((a) => a.kind === "halt").map((a) => a.kind === "halt" && [a.halt.version, a.halt.alarm, a.halt.after]),
            [["4", "web-5xx", "1 instance of it launched"]]);
        const missing = plan({ ...o({ guardAlarms: { "web-5xx": "OK", "api-latency": "missing" } }), instances: [...old, fresh] }, guarded);
        assert.ok(!missing.actions.some((a) => a.kind === "halt"), "a missing alarm holds the rollout, it does not stop it");
    });

    it("clears the record of a stopped rollout once nothing is left to replace", () => {
        const p = plan(observed([instance(1, { tasks: 1 })], { halted: { version: "4", at: 0, alarm: "web-5xx", after: "replace batch 1 of 3" } }), guarded);
        assert.deepEqual(p.actions.map((a) => a.kind), ["end-halt"]);
    });
});
