// Faults on the simulated cluster: AWS errors and hangs, instances and tasks that misbehave, and a
// run that crashes after every possible step. Nothing may be lost, and every run must converge.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { isScalerRunError } from "../../provider/run";
import { reconcile } from "../../provider/reconcile";
import { simCloud, simDeps } from "../../provider/sim/cloud";
import { simReconcile } from "../../provider/sim/scenario";
import { assertNothingLost, crashingAfter, endState, mixedFleet, rollSettings } from "../helpers/rollout";

const MINUTE = 60_000;

describe("faults on the simulated cluster", () => {
    describe("AWS answering badly", () => {
        for (const [name, faults] of [
            ["throttles 30% of calls", { seed: 11, throttleRate: 0.3 }],
            ["answers 10% of calls with HTTP 500", { seed: 12, serverErrorRate: 0.1 }],
            ["never answers 5% of calls", { seed: 13, hangRate: 0.05 }],
        ] as const) {
            it(`finishes a replacement when AWS ${name}`, async () => {
                const world = mixedFleet();
                const r = await simReconcile(world, rollSettings(world), { faults });
                const injected = r.cloud.faults.throttle + r.cloud.faults.serverError + r.cloud.faults.hang;
                assert.ok(injected > 0, "faults were injected");
                assert.deepEqual(endState(world).versions, ["2"]);
                assertNothingLost(world);
            });
        }
    });

    it("counts an instance terminated by someone else mid-drain as gone and goes on", async () => {
        const world = mixedFleet();
        let victim: string | undefined;
        world.tickHooks.push((w) => {
            if (victim !== undefined) return;
            const draining = w.liveInstances().find((i) => i.container?.status === "DRAINING");
            if (draining !== undefined) {
                victim = draining.id;
                w.terminate(draining, "operator");
            }
        });
        const r = await simReconcile(world, rollSettings(world));
        assert.ok(victim !== undefined);
        assert.equal(r.report.instances[victim], "gone");
        assert.deepEqual(endState(world).versions, ["2"]);
        assertNothingLost(world);
    });

    it("counts an instance taken by a Spot interruption mid-drain as gone", async () => {
        const world = mixedFleet();
        let victim: string | undefined;
        world.tickHooks.push((w) => {
            if (victim !== undefined) return;
            const draining = w.liveInstances().find((i) => i.container?.status === "DRAINING" && i.lifecycle === "spot");
            if (draining !== undefined) {
                victim = draining.id;
                w.interrupt(draining.id);
            }
        });
        const r = await simReconcile(world, rollSettings(world));
        assert.ok(victim !== undefined);
        assert.equal(r.report.instances[victim], "gone");
        assertNothingLost(world);
    });

    it("fails naming a task that never stops, and terminates nothing it runs on", async () => {
        const world = mixedFleet();
        const stuckOn = world.liveInstances()[0];
        for (const t of world.tasksOn(stuckOn.id)) t.neverStops = true;
        const error = await simReconcile(world, rollSettings(world)).then(() => undefined, (e) => e);
        assert.ok(isScalerRunError(error));
        assert.match(error.message, new RegExp(`${stuckOn.id}: \\d+ task\\(s\\) still stopping after \\d+ s \\(STOPPING ×\\d+\\): they were asked to stop and have not reached STOPPED`));
        assert.equal(stuckOn.asgState, "InService");
        // Its service is short for want of room elsewhere: the instance is put back in service.
        assert.equal(stuckOn.container!.status, "ACTIVE");
        assert.match(error.message, new RegExp(`Put back ACTIVE, since a service they ran is short and its tasks need the room: .*${stuckOn.id}`));
        assertNothingLost(world);
    });

    it("gives targets their deregistration delay even when the drain timeout is shorter", async () => {
        const world = mixedFleet();
        const r = await simReconcile(world, rollSettings(world, { draining: { timeoutSeconds: 120 } }));
        assert.deepEqual(Object.values(r.report.instances).filter((o) => o !== "terminated"), []);
        assert.deepEqual(endState(world).versions, ["2"]);
        assertNothingLost(world);
    });

    it("fails naming a target stuck in draining, and does not terminate its instance", async () => {
        const world = mixedFleet();
        const [tg] = world.group.targetGroupArns;
        const stuckOn = world.liveInstances()[1];
        world.tickHooks.push((w) => {
            const target = w.targetGroups.get(tg)!.get(stuckOn.id);
            if (target !== undefined && target.state === "draining") target.stuck = true;
        });
        const error = await simReconcile(world, rollSettings(world)).then(() => undefined, (e) => e);
        assert.ok(isScalerRunError(error));
        assert.match(error.message, new RegExp(`${stuckOn.id}: still in target group targetgroup/web-1 draining after 360 s \\(deregistration delay 300 s\\)`));
        assert.equal(stuckOn.asgState, "InService");
        assertNothingLost(world);
    });

    it("drains nothing when surge instances never register, then replaces them as strays once fixed", async () => {
        const world = mixedFleet();
        world.newInstancesNeverRegister = true;
        const s = rollSettings(world);
        const error = await simReconcile(world, s).then(() => undefined, (e) => e);
        assert.ok(isScalerRunError(error));
        assert.match(error.message, /^before batch 1 of \d+ \(replace\): only 6 instances ACTIVE, 8 needed after 600 s; nothing was drained for it/);
        assert.ok(world.liveInstances().filter((i) => i.ltVersion === "1").every((i) => i.container!.status === "ACTIVE"));
        world.newInstancesNeverRegister = false;
        world.clock.advance(11 * MINUTE);
        await simReconcile(world, s);
        const final = await simReconcile(world, s);
        assert.deepEqual(final.plan.actions, []);
        assert.deepEqual(endState(world).versions, ["2"]);
        assert.ok(world.liveInstances().every((i) => i.container?.status === "ACTIVE"), "no stray is left");
        assertNothingLost(world);
    });

    describe("a run killed after each of its steps", () => {
        let reference: ReturnType<typeof endState>;
        let totalWrites = 0;

        before(async () => {
            const world = mixedFleet();
            const counted = crashingAfter(simCloud(world), Number.MAX_SAFE_INTEGER);
            await world.clock.run(reconcile(counted.cloud, simDeps(world), rollSettings(world)));
            reference = endState(world);
            totalWrites = counted.writes();
            assertNothingLost(world);
        });

        it("the uninterrupted run ends with every instance replaced and desired back at 6", () => {
            assert.equal(reference.desired, 6);
            assert.deepEqual(reference.versions, ["2"]);
            assert.deepEqual(reference.statuses, ["ACTIVE"]);
            assert.equal(reference.surgeTag, undefined);
            assert.ok(totalWrites >= 18, `the run has ${totalWrites} steps`);
            const page = fs.readFileSync(path.join(__dirname, "../../docs/reliability.md"), "utf8");
            assert.ok(page.includes(`killed after each of its ${totalWrites} steps`), "docs/reliability.md states the number of crash points");
        });

        it("converges to the same end state from a crash after every step k, with nothing lost", async () => {
            const outcomes: string[] = [];
            for (let k = 0; k < totalWrites; k++) {
                const world = mixedFleet();
                const crashing = crashingAfter(simCloud(world), k);
                const first = await world.clock.run(reconcile(crashing.cloud, simDeps(world), rollSettings(world))).then(() => "finished", (e) => e.name);
                let runs = 1;
                for (; runs <= 4 && JSON.stringify(endState(world)) !== JSON.stringify(reference); runs++) {
                    world.clock.advance(11 * MINUTE);
                    await simReconcile(world, rollSettings(world));
                }
                assert.deepEqual(endState(world), reference, `crash after step ${k}: ${first}`);
                assert.deepEqual(world.violations, [], `crash after step ${k}`);
                assert.deepEqual(world.killedTasks("scaler"), [], `crash after step ${k}`);
                outcomes.push(`${k}:${runs}`);
            }
            assert.equal(outcomes.length, totalWrites);
            console.log(`      crash-resume: ${totalWrites} crash points, every one converged (${outcomes.join(" ")})`);
        });
    });
});
