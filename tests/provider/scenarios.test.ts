// Scenarios on the simulated cluster: one reconcile (observe, plan, execute) on a virtual clock,
// with the invariants of DESIGN.md checked at every tick by the world and by the hooks below.
import { strict as assert } from "node:assert";
import { isScalerRunError } from "../../provider/run";
import { renderPlan } from "../../provider/render";
import { buildCluster, ClusterSpec, newLaunchTemplateVersion, simPreview, simReconcile, simSettings } from "../../provider/sim/scenario";
import { ScalerSettingsDefaults } from "../../provider/sim/defaults";
import { SimWorld } from "../../provider/sim/world";

const MINUTE = 60_000;

/** A world with metrics for the scale-in delay (the longer window), and a tick counter proving the checks ran. */
function scenario(spec: ClusterSpec): { world: SimWorld; ticks: () => number } {
    const world = buildCluster(spec);
    let ticks = 0;
    world.tickHooks.push(() => { ticks++; });
    world.clock.advance(11 * MINUTE);
    ticks = 0;
    return { world, ticks: () => ticks };
}

function settings(world: SimWorld, o: ScalerSettingsDefaults = {}) {
    return simSettings(world, { targetGroupArns: world.group.targetGroupArns, ...o });
}

function activeInstances(world: SimWorld): number {
    return world.liveInstances().filter((i) => i.container?.status === "ACTIVE").length;
}

function assertNothingLost(world: SimWorld): void {
    assert.deepEqual(world.violations, [], "no invariant was violated at any tick");
    assert.deepEqual(world.killedTasks().map((t) => `${t.family} killed by ${t.stoppedBy}`), [], "no task was killed");
}

describe("scaler scenarios on the simulated cluster", () => {
    it("1. scales out by the amount high CPU reservation needs", async () => {
        const { world, ticks } = scenario({ instances: 4, maxSize: 10, services: [{ name: "web", count: 29, cpu: 256, memory: 256 }] });
        const r = await simReconcile(world, settings(world, { scaling: { scaleOutStep: 1 } }));
        assert.deepEqual(renderPlan(r.plan), ["scale out 4 → 5: CPUReservation 90.6% > 88% over 2 min"]);
        assert.equal(world.group.desired, 5);
        assert.equal(activeInstances(world), 5, "the update waited for the new instance to register");
        assert.ok(ticks() >= 90, "the world advanced through the boot time");
        assertNothingLost(world);
    });

    it("1b. caps the scale-out at maxSize, and says to what to raise it", async () => {
        const { world } = scenario({ instances: 4, maxSize: 5, services: [{ name: "web", count: 32, cpu: 256, memory: 256 }] });
        const r = await simReconcile(world, settings(world));
        assert.deepEqual(renderPlan(r.plan), ["scale out 4 → 5: CPUReservation 100% > 88% over 2 min",
            "note: scale-out capped at maxSize 5: 6 instances asked for; raise maxSize to 6"]);
        assert.equal(world.group.desired, 5);
    });

    it("2. scales in by draining the least-used instance; its tasks run elsewhere before it goes", async () => {
        const { world } = scenario({
            instances: 5, onDemand: 1,
            services: [{ name: "web", count: 5, cpu: 256, memory: 256 }],
        });
        const r = await simReconcile(world, settings(world));
        const victims = r.plan.actions.flatMap((a) => a.kind === "drain" ? a.victims : []);
        const [victim] = victims;
        assert.equal(victims.length, 2, "5 tasks of 256 CPU units fit on 3 instances well within 85%; at most 50% of 5 go in one scale-in");
        assert.ok(victims.every((v) => v.lifecycle === "spot"), "Spot before the On-Demand instance of the On-Demand base among equally used instances");
        const gone = world.instances.get(victim.instanceId)!;
        assert.equal(gone.asgState, "Terminated");
        assert.equal(gone.terminatedBy, "scaler");
        assert.equal(world.group.desired, 3);
        const web = world.serviceTasks("web").filter((t) => t.status === "RUNNING");
        assert.equal(web.length, 5, "the service still runs all its tasks");
        const lastGone = Math.max(...victims.map((v) => world.instances.get(v.instanceId)!.terminatedAt!));
        assert.ok(web.every((t) => t.runningAt! <= lastGone), "replacements ran before the instances were terminated");
        assertNothingLost(world);
    });

    it("3. holds scale-in when the tasks would not fit on the rest, and says why", async () => {
        const { world } = scenario({ instances: 3, services: [{ name: "batchy", count: 3, cpu: 1300, memory: 512 }] });
        const s = settings(world, { scaling: { scaleInTargetPercent: 99, cpuHighPercent: 100, memoryHighPercent: 100 } });
        const r = await simReconcile(world, s);
        assert.deepEqual(r.plan.actions, []);
        assert.equal(r.plan.notes.length, 1);
        assert.match(r.plan.notes[0], /^no scale-in: CPUReservation at most 63.5% and MemoryReservation at most 6.7% over 10 min: room to remove an instance of 3 within the 99% scale-in target, but the 1 task of i-\w+ would not fit on the 2 other ACTIVE instances: CPU on every other instance$/);
        assert.equal(world.liveInstances().length, 3);
    });

    it("4. replaces every old instance: surge first, batches, ACTIVE capacity never below min healthy", async () => {
        const { world } = scenario({
            instances: 6, maxSize: 9, targetGroups: 1,
            services: [
                { name: "web", count: 12, cpu: 256, memory: 512, minHealthyPercent: 100, maxPercent: 200 },
                { name: "api", count: 6, cpu: 256, memory: 512, minHealthyPercent: 50, maxPercent: 200 },
            ],
        });
        let minActive = Infinity;
        world.tickHooks.push((w) => { minActive = Math.min(minActive, activeInstances(w)); });
        newLaunchTemplateVersion(world);
        const r = await simReconcile(world, settings(world, { launchTemplateVersion: "2", draining: { batchSize: 2 } }));
        assert.equal(r.plan.actions[0].kind, "set-desired");
        assert.equal(r.plan.actions[0].reason, "surge 6 → 9: 6 instances to replace with launch template v2");
        assert.deepEqual(r.plan.actions.slice(1).map((a) => a.kind === "drain" ? a.victims.length : -1), [2, 2, 2]);
        assert.ok(world.liveInstances().every((i) => i.ltVersion === "2"), "every instance runs v2");
        assert.equal(world.liveInstances().length, 6);
        assert.equal(world.group.desired, 6, "desired is back at the baseline");
        assert.equal(world.group.tags["spot-ecs:surge-baseline"], undefined, "the surge record is cleared");
        assert.ok(minActive >= 6, `ACTIVE instances stayed at or above 6 (min ${minActive})`);
        assert.deepEqual(Object.values(r.report.instances).filter((o) => o !== "terminated"), []);
        assertNothingLost(world);
    });

    it("4b. keeps the On-Demand base: On-Demand instances are replaced, Spot ones lower desired capacity", async () => {
        const { world } = scenario({ instances: 6, onDemand: 2, maxSize: 9, services: [{ name: "web", count: 12, cpu: 256, memory: 512 }] });
        newLaunchTemplateVersion(world);
        await simReconcile(world, settings(world, { launchTemplateVersion: "2", draining: { batchSize: 3 } }));
        const live = world.liveInstances();
        assert.ok(live.every((i) => i.ltVersion === "2"));
        assert.deepEqual([live.length, live.filter((i) => i.lifecycle === "on-demand").length], [6, 2]);
        assertNothingLost(world);
    });

    it("5. deregisters instances from their target groups and waits out the deregistration delay", async () => {
        const { world } = scenario({ instances: 3, maxSize: 6, targetGroups: 2, services: [{ name: "web", count: 3, cpu: 256, memory: 256 }] });
        newLaunchTemplateVersion(world);
        await simReconcile(world, settings(world, { launchTemplateVersion: "2", draining: { batchSize: 3 } }));
        const deregistered = new Map<string, number>();
        for (const e of world.events) {
            const m = /^deregister (i-\w+) from /.exec(e.what);
            if (m && e.actor === "scaler") deregistered.set(`${m[1]}`, Math.max(deregistered.get(m[1]) ?? 0, e.at));
        }
        const old = [...world.instances.values()].filter((i) => i.ltVersion === "1");
        assert.equal(old.length, 3);
        for (const i of old) {
            assert.ok(deregistered.has(i.id), `${i.id} was deregistered`);
            assert.ok(i.terminatedAt! - deregistered.get(i.id)! >= 300_000, `${i.id} was terminated after the 300 s delay`);
        }
        assertNothingLost(world);
    });

    describe("6. a standalone task still running at the drain timeout", () => {
        const build = () => scenario({ instances: 3, maxSize: 4, standalone: [{ family: "report", cpu: 256, memory: 256, onInstance: 0 }],
            services: [{ name: "web", count: 3, cpu: 256, memory: 256 }] });

        it("with \"fail\": fails the update naming the task and instance, and terminates nothing it runs on", async () => {
            const { world } = build();
            const holder = world.liveInstances()[0];
            newLaunchTemplateVersion(world);
            const run = simReconcile(world, settings(world, { launchTemplateVersion: "2", draining: { timeoutSeconds: 120, batchSize: 1 } }));
            const error = await run.then(() => assert.fail("the update should fail"), (e) => e);
            assert.ok(isScalerRunError(error));
            assert.match(error.message, new RegExp(`${holder.id}: standalone task\\(s\\) still running after 120 s: arn:aws:ecs:[^ ]+ \\(family:report\\); draining.standaloneTasks is "fail"`));
            assert.equal(holder.asgState, "InService", "the instance with the task is not terminated");
            assert.equal(holder.container!.status, "DRAINING", "it stays DRAINING for the next run");
            assert.equal(error.report.instances[holder.id], "timed-out");
            assert.equal(world.tasksOn(holder.id)[0].status, "RUNNING", "the task still runs");
            assertNothingLost(world);
        });

        it("with \"stop\": stops the task, then finishes the drain", async () => {
            const { world } = build();
            const holder = world.liveInstances()[0];
            newLaunchTemplateVersion(world);
            const r = await simReconcile(world, settings(world, { launchTemplateVersion: "2", draining: { timeoutSeconds: 120, standaloneTasks: "stop" } }));
            const report = [...world.tasks.values()].find((t) => t.family === "report")!;
            assert.equal(report.stopCause, "stop-task");
            assert.equal(report.stoppedBy, "scaler");
            assert.deepEqual(r.report.tasksStopped, [report.arn]);
            assert.equal(holder.asgState, "Terminated");
            assert.ok(holder.terminatedAt! >= report.stoppedAt!, "terminated only after the task stopped");
            assertNothingLost(world);
        });
    });

    describe("7. an interrupted update", () => {
        it("is finished by the next run", async () => {
            const { world } = scenario({ instances: 4, maxSize: 8, targetGroups: 1, services: [{ name: "web", count: 8, cpu: 256, memory: 256 }] });
            newLaunchTemplateVersion(world);
            const s = settings(world, { launchTemplateVersion: "2", draining: { batchSize: 2, maxUpdateSeconds: 200 } });
            const first = await simReconcile(world, s).then(() => undefined, (e) => e);
            assert.ok(isScalerRunError(first), "the first run stops at its deadline");
            assert.match(first.message, /^update deadline of 200 s reached: .* still DRAINING; the next `pulumi up` \(or runner step\) finishes them$/);
            const draining = world.liveInstances().filter((i) => i.container?.status === "DRAINING").map((i) => i.id);
            assert.ok(draining.length > 0, "it left drains under way");
            const second = await simReconcile(world, { ...s, draining: { ...s.draining, maxUpdateSeconds: 3600 } });
            const resumed = second.plan.actions.flatMap((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : []);
            assert.deepEqual(resumed.slice(0, draining.length).sort(), draining.sort(), "the drains under way are finished first");
            assert.equal(second.plan.actions.filter((a) => a.kind === "set-desired").length, 0, "no second surge");
            assert.ok(world.liveInstances().every((i) => i.ltVersion === "2"));
            assert.equal(world.group.desired, 4, "back at the baseline recorded before the surge");
            assertNothingLost(world);
        });

        it("undoes a scale-in drain that is no longer needed", async () => {
            const { world } = scenario({ instances: 5, services: [{ name: "web", count: 4, cpu: 256, memory: 256 }],
                standalone: [{ family: "job", cpu: 128, memory: 128, onInstance: 4 }] });
            const s = settings(world, { draining: { maxUpdateSeconds: 60, timeoutSeconds: 30 } });
            // The least-used instance holds the standalone job, so the first run stops at the drain timeout.
            const first = await simReconcile(world, s).then(() => undefined, (e) => e);
            assert.ok(isScalerRunError(first));
            const drained = world.liveInstances().filter((i) => i.container?.status === "DRAINING");
            assert.equal(drained.length, 1);
            world.setServiceDesired("web", 30);
            world.clock.advance(6 * MINUTE);
            const second = await simReconcile(world, { ...s, draining: { ...s.draining, maxUpdateSeconds: 3600 } });
            assert.deepEqual(second.plan.actions.map((a) => a.kind).slice(0, 1), ["undrain"]);
            assert.equal(drained[0].container!.status, "ACTIVE");
            assert.equal(drained[0].container!.attributes["spot-ecs.drain"], undefined, "the drain mark is gone");
            assertNothingLost(world);
        });
    });

    it("8. a Spot interruption during a replacement loses no task and does not confuse the plan", async () => {
        const { world } = scenario({ instances: 6, maxSize: 12, services: [
            { name: "web", count: 12, cpu: 256, memory: 256, minHealthyPercent: 50, maxPercent: 200 }] });
        newLaunchTemplateVersion(world);
        const start = world.now;
        let interrupted: string | undefined;
        world.tickHooks.push((w) => {
            if (interrupted === undefined && w.now - start >= 100_000) {
                const oldOne = w.liveInstances().find((i) => i.ltVersion === "1" && i.container?.status === "ACTIVE");
                if (oldOne !== undefined) {
                    interrupted = oldOne.id;
                    w.interrupt(oldOne.id);
                }
            }
        });
        const r = await simReconcile(world, settings(world, { launchTemplateVersion: "2", draining: { batchSize: 2 } }));
        assert.ok(interrupted !== undefined);
        world.clock.advance(3 * MINUTE);
        // The group keeps the instance InService through the notice; the scaler may terminate it first, once empty.
        const by = world.instances.get(interrupted)!.terminatedBy;
        assert.ok(by === "spot" || by === "scaler", `terminated by ${by}`);
        assert.equal(r.report.instances[interrupted], by === "spot" ? "gone" : "terminated");
        assert.ok(world.liveInstances().every((i) => i.ltVersion === "2"), "every instance runs v2");
        assert.deepEqual(world.violations, []);
        assert.deepEqual(world.killedTasks("scaler"), [], "the scaler killed nothing");
        assert.ok(world.group.desired <= 7, "at most one instance above the baseline remains");
    });

    it("9. nothing to do yields an empty plan, a stable rendering and no change", async () => {
        // 22 tasks of 256 CPU units on 4 instances: 68.75%, neither above 88% nor room for one to go within 85% (63.75%).
        const { world } = scenario({ instances: 4, services: [{ name: "web", count: 22, cpu: 256, memory: 768 }] });
        const first = await simPreview(world, settings(world));
        world.clock.advance(3 * MINUTE);
        const second = await simPreview(world, settings(world));
        assert.deepEqual(first.plan, { actions: [], notes: [] });
        assert.deepEqual(first.lines, []);
        assert.deepEqual(second.lines, first.lines);
        const r = await simReconcile(world, settings(world));
        assert.deepEqual(r.lines, ["[sim] nothing to do"]);
        const writes = Object.keys(r.cloud.requests).filter((op) => !/^(Describe|List|Get)/.test(op));
        assert.deepEqual(writes, [], "no write request was made");
    });
});
