// Consolidation on the simulated cluster: demand that swings around a threshold does not make the
// cluster swing with it, and a drop in demand is followed by instances leaving, none with a task lost.
import { strict as assert } from "node:assert";
import { buildCluster, simReconcile, simSettings } from "../../provider/sim/scenario";
import { ScalingPolicy } from "../../provider/settings";
import { SimWorld } from "../../provider/sim/world";

const MINUTE = 60_000;

/** Runs the scaler every minute for `minutes` while `demand(minute)` sets the service's count; returns desired capacity minute by minute. */
async function follow(world: SimWorld, scaling: Partial<ScalingPolicy>, minutes: number, demand: (minute: number) => number): Promise<number[]> {
    const start = world.now;
    world.tickHooks.push((w) => {
        const elapsed = w.now - start;
        if (elapsed % MINUTE === 0) w.setServiceDesired("web", demand(elapsed / MINUTE));
    });
    const settings = simSettings(world, { scaling });
    const desired: number[] = [];
    for (let m = 1; m <= minutes; m++) {
        if (world.now < start + m * MINUTE) world.clock.advance(start + m * MINUTE - world.now);
        await simReconcile(world, settings);
        desired.push(world.group.desired);
    }
    return desired;
}

/** How often desired capacity turned from rising to falling or back. */
function reversals(series: number[]): number {
    let last = 0;
    let turns = 0;
    for (let i = 1; i < series.length; i++) {
        const d = Math.sign(series[i] - series[i - 1]);
        if (d === 0) continue;
        if (last !== 0 && d !== last) turns++;
        last = d;
    }
    return turns;
}

describe("consolidation on the simulated cluster", () => {
    // 8 instances of 2048 CPU units, tasks of 256: 64 places. 54 tasks are 84% reserved, 60 are 94%:
    // every 4 minutes the demand crosses the 88% high threshold one way or the other.
    const swinging = (minute: number) => (Math.floor(minute / 4) % 2 === 0 ? 54 : 60);
    const cluster = () => buildCluster({ instances: 8, maxSize: 20, services: [{ name: "web", count: 54, cpu: 256, memory: 256, minHealthyPercent: 50 }] });

    it("does not flap when demand swings around the high threshold for three hours: it settles within half an hour and stays", async () => {
        const world = cluster();
        const desired = await follow(world, {}, 180, swinging);
        // One scale-out of scaleOutStep, at most one scale-in trimming what the step added beyond the need, then nothing.
        assert.ok(reversals(desired) <= 1, `desired capacity minute by minute: ${desired.join(" ")}`);
        assert.equal(new Set(desired.slice(30)).size, 1, `desired capacity minute by minute: ${desired.join(" ")}`);
        assert.ok(Math.max(...desired) <= 10, `at most two instances added: ${desired.join(" ")}`);
        assert.deepEqual(world.killedTasks(), []);
        assert.deepEqual(world.violations, []);
    });

    it("flaps under the same demand once the gap between the scale-in target and the high thresholds, the delay and the cooldowns are taken away", async () => {
        // The control: the test above would see a swinging cluster if the settings allowed one.
        const world = cluster();
        const desired = await follow(world, { scaleInTargetPercent: 87, scaleInAfterMinutes: 1, scaleInCooldownSeconds: 0, cooldownSeconds: 0, scaleOutStep: 1 },
            180, swinging);
        assert.ok(reversals(desired) >= 4, `desired capacity minute by minute: ${desired.join(" ")}`);
        assert.deepEqual(world.killedTasks(), []);
    });

    it("removes the instances a drop in demand leaves idle, down to what the tasks need within the target, losing no task", async () => {
        const world = cluster();
        // 54 tasks for 20 minutes, then 20: 20 × 256 on instances of 2048 within 85% needs 3 instances (2.9).
        const desired = await follow(world, {}, 60, (m) => (m < 20 ? 54 : 20));
        assert.equal(desired[desired.length - 1], 3, desired.join(" "));
        assert.equal(reversals(desired), 0, desired.join(" "));
        assert.deepEqual(world.killedTasks(), []);
        assert.deepEqual(world.violations, []);
        assert.equal(world.serviceTasks("web").filter((t) => t.status === "RUNNING").length, 20);
    });

    it("scales an idle cluster in to minSize though ECS sends no reservation datapoint while no task runs", async () => {
        const world = buildCluster({ instances: 6, minSize: 2, maxSize: 20, services: [{ name: "web", count: 10, cpu: 256, memory: 256, minHealthyPercent: 0 }] });
        world.clock.advance(11 * MINUTE);
        const before = world.metrics.cpu.length;
        world.setServiceDesired("web", 0);
        world.clock.advance(15 * MINUTE);
        // The two minutes the tasks took to stop still have datapoints; none after.
        assert.ok(world.metrics.cpu.length <= before + 2, `datapoints while idle: ${world.metrics.cpu.length - before}`);
        const r = await simReconcile(world, simSettings(world));
        assert.ok(r.plan.actions.some((a) => a.kind === "drain" && a.purpose === "scale-in"), r.lines.join("\n"));
        assert.match(r.plan.actions.find((a) => a.kind === "drain")!.reason, /CPUReservation at most 0% and MemoryReservation at most 0% over 10 min/);
        world.clock.advance(10 * MINUTE);
        await simReconcile(world, simSettings(world));
        assert.equal(world.group.desired, 2, "down to minSize");
        assert.deepEqual(world.killedTasks(), []);
    });
});
