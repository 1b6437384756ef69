// Terminations the Auto Scaling group starts on its own (a lowered maxSize, Capacity Rebalancing,
// health replacement, an instance refresh): in the planner, and on the simulated cluster with the
// group set up as the component sets it up (scale-in protection, ECS managed draining) and without.
import { strict as assert } from "node:assert";
import { plan } from "../../provider/planner";
import { renderPlan } from "../../provider/render";
import { healthReplacement, rebalanceRecommendation, startInstanceRefresh } from "../../provider/sim/groupEvents";
import { buildCluster, ClusterSpec, newLaunchTemplateVersion, simReconcile, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";
import { instance, observed, policy } from "../helpers/observed";

const MINUTE = 60_000;

function world(spec: Partial<ClusterSpec> = {}): SimWorld {
    const w = buildCluster({ instances: 4, maxSize: 8, services: [{ name: "web", count: 8, cpu: 256, memory: 256, minHealthyPercent: 50 }], ...spec });
    w.clock.advance(6 * MINUTE);
    return w;
}

const lost = (w: SimWorld) => w.killedTasks().filter((t) => t.stoppedBy === "asg" || t.stoppedBy === "scaler").length;

describe("plan: instances the group cannot remove by itself", () => {
    it("protects instances launched before protection, in one sorted line, before anything else", () => {
        const p = plan(observed([instance(3), { ...instance(1), protectedFromScaleIn: false }, { ...instance(2), protectedFromScaleIn: false }]), policy());
        assert.deepEqual(renderPlan(p), ["protect 2 instances from the group's own scale-in: i-0001, i-0002"]);
    });

    it("drains the instances above a lowered maxSize, least used first, without lowering desired again", () => {
        const p = plan(observed([instance(1, { usedCpu: 1500, tasks: 6 }), instance(2, { usedCpu: 200, tasks: 1 }), instance(3, { usedCpu: 900, tasks: 3 }),
            instance(4, { usedCpu: 100, tasks: 1 }), instance(5, { usedCpu: 1200, tasks: 5 })], { desired: 3, maxSize: 3 }), policy({ draining: { batchSize: 2 } }));
        assert.deepEqual(renderPlan(p), [
            "remove 2 instances above maxSize 3 (5 in the group), batch 1 of 1",
            "  drain i-0004 (spot, above maxSize 3), batch 1 of 1",
            "  drain i-0002 (spot, above maxSize 3), batch 1 of 1",
        ]);
        const [drain] = p.actions;
        assert.ok(drain.kind === "drain" && drain.victims.every((v) => !v.decrement), "desired capacity is already lower");
    });

    it("holds the excess while instances launch (a rebalance or replacement takes the group above desired for a while)", () => {
        const p = plan(observed([instance(1), instance(2), instance(3, { registered: false, asgState: "Pending" })], { desired: 2 }), policy());
        assert.deepEqual(p.actions, []);
        assert.deepEqual(p.notes, ["1 instance above desired capacity 2: held while instances are launching"]);
    });

    it("finishes an excess drain an earlier run began instead of undoing it", () => {
        const p = plan(observed([instance(1), instance(2), instance(3, { status: "DRAINING", mark: "scale-in" })], { desired: 2, maxSize: 2 }), policy());
        assert.deepEqual(p.actions.map((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : a.kind), [["i-0003"]]);
    });
});

describe("the group's own terminations on the simulated cluster", () => {
    it("a lowered maxSize terminates nothing by itself; the scaler drains the excess and nothing is lost", async () => {
        const w = world();
        w.setMaxSize(2, "operator");
        w.clock.advance(MINUTE);
        assert.equal(w.liveInstances().length, 4, "protected instances are not picked by the group's scale-in");
        assert.equal(w.group.desired, 2);
        const r = await simReconcile(w, simSettings(w, { draining: { batchSize: 2, minHealthyPercent: 50 } }));
        assert.equal(r.plan.actions.filter((a) => a.kind === "drain").flatMap((a) => a.kind === "drain" ? a.victims : []).length, 2);
        assert.equal(w.liveInstances().length, 2);
        assert.equal(w.group.desired, 2);
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("a maxSize lowered under a replacement's surge stops the run at once, saying to what to raise it, with nothing drained", async () => {
        const w = world();
        newLaunchTemplateVersion(w);
        // Every Spot pool is dry, so nothing the surge asks for has launched when maxSize is lowered.
        for (const pool of w.spotPools()) w.drySpotPools.add(pool);
        let lowered = false;
        w.tickHooks.push((x) => {
            if (!lowered && x.group.desired > 4) {
                lowered = true;
                x.setMaxSize(4, "operator");
            }
        });
        const started = w.now;
        const error = await simReconcile(w, simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion,
            draining: { batchSize: 1, minHealthyPercent: 100 } })).then(() => undefined, (e: Error) => e);
        assert.ok(lowered, "maxSize was lowered during the surge");
        assert.match(String(error?.message), /^before batch 1 of \d+ \(replace\): maxSize 4 holds fewer than the 5 instances needed ACTIVE; raise maxSize to 5 /);
        assert.ok(w.now - started < 2 * MINUTE, `failed without waiting for registrations (${(w.now - started) / 1000} s)`);
        assert.ok(w.liveInstances().every((i) => i.container === undefined || i.container.status === "ACTIVE"), "nothing was drained");
        assert.equal(lost(w), 0);
    });

    it("a maxSize lowered after the surge launched: the replacement finishes without lowering desired capacity below what stays", async () => {
        const w = world();
        newLaunchTemplateVersion(w);
        let lowered = false;
        w.tickHooks.push((x) => {
            if (!lowered && x.group.desired > 4) {
                lowered = true;
                x.setMaxSize(4, "operator");
            }
        });
        const r = await simReconcile(w, simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion, draining: { batchSize: 1, minHealthyPercent: 100 } }));
        assert.ok(lowered);
        assert.ok(r.lines.filter((l) => l.includes("desired capacity is already down to the instances that stay")).length > 0, r.lines.join("\n"));
        assert.equal(w.liveInstances().length, 4);
        assert.ok(w.liveInstances().every((i) => i.ltVersion === w.group.launchTemplateVersion && i.container?.status === "ACTIVE"));
        assert.equal(w.group.desired, 4, "desired capacity stays at the lowered maxSize, not below");
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("without protection and managed draining, the same lowered maxSize kills tasks (the hazard the component defends against)", () => {
        const w = world({ protectFromScaleIn: false, managedDraining: false });
        w.setMaxSize(2, "operator");
        w.clock.advance(MINUTE);
        assert.equal(w.liveInstances().length, 2);
        assert.ok(lost(w) > 0, "the group terminated busy instances");
    });

    it("launches a replacement at the interruption notice with Capacity Rebalancing on, and only once the instance is gone without it", () => {
        for (const capacityRebalance of [true, false]) {
            const w = world();
            w.capacityRebalance = capacityRebalance;
            const victim = w.liveInstances().find((i) => i.lifecycle === "spot")!;
            const before = w.instances.size;
            w.interrupt(victim.id);
            w.clock.advance(60_000);
            assert.equal(w.instances.size - before, capacityRebalance ? 1 : 0, `launched at the notice, capacityRebalance ${capacityRebalance}`);
            w.clock.advance(5 * MINUTE);
            assert.equal(w.instances.get(victim.id)!.asgState, "Terminated");
            assert.equal(w.instances.size - before, 1, "a replacement either way once the instance is gone");
            assert.equal(lost(w), 0, "the group lost no task (an interruption kills what it kills, not the group)");
        }
    });

    for (const [protectedInstances, detail] of [["Wait", "fails after waiting an hour"], ["Ignore", "skips them"]] as const) {
        it(`an instance refresh replaces no instance protected from scale-in: with ${protectedInstances} it ${detail}`, () => {
            const w = world();
            const before = w.liveInstances().map((i) => i.id);
            startInstanceRefresh(w, protectedInstances);
            w.clock.advance(30 * MINUTE);
            assert.ok(w.groupEvents.refresh !== undefined === (protectedInstances === "Wait"), "a waiting refresh is still under way at 30 min");
            w.clock.advance(40 * MINUTE);
            assert.equal(w.groupEvents.refresh, undefined, "the refresh is over");
            assert.deepEqual(w.liveInstances().map((i) => i.id), before, "every protected instance is still there");
            if (protectedInstances === "Wait") assert.ok(w.events.some((e) => e.what.startsWith("instance refresh failed")));
        });
    }

    for (const [event, act, spec] of [
        ["a rebalance recommendation", (w: SimWorld) => rebalanceRecommendation(w, w.liveInstances()[0].id), {}],
        ["a health replacement", (w: SimWorld) => healthReplacement(w, w.liveInstances()[0].id), {}],
        ["an instance refresh of unprotected instances", (w: SimWorld) => startInstanceRefresh(w), { protectFromScaleIn: false }],
        ["an instance refresh told to replace protected instances (Refresh)", (w: SimWorld) => startInstanceRefresh(w, "Refresh"), {}],
    ] as const) {
        it(`${event} waits in the managed-draining hook until the instance is empty`, () => {
            const w = world(spec);
            const before = w.liveInstances().map((i) => i.id);
            act(w);
            w.clock.advance(40 * MINUTE);
            assert.ok(before.some((id) => w.instances.get(id)!.asgState === "Terminated"), "the group terminated an instance");
            assert.equal(lost(w), 0);
            assert.deepEqual(w.violations, []);
            assert.equal(w.serviceTasks("web").filter((t) => t.status === "RUNNING").length, 8);
        });

        it(`${event} kills tasks when no managed draining is attached`, () => {
            const w = world({ ...spec, managedDraining: false });
            act(w);
            w.clock.advance(40 * MINUTE);
            assert.ok(lost(w) > 0);
        });
    }
});
