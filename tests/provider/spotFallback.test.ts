// When Spot runs dry: the planner falls back to On-Demand after spotFallbackAfterSeconds of failed
// Spot launches, and comes back to Spot after spotRevertAfterSeconds without one, replacing the
// fallback instances drained and surge-first. On plain data and on the simulated cluster.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { SPOT_CAPACITY_CODES, spotCapacityCode } from "../../provider/cloud";
import { STILL_FAILING_SECONDS } from "../../provider/planner/spotFallback";
import { plan } from "../../provider/planner";
import { WINDOW_PATTERN } from "../../provider/settings";
import { windowState } from "../../provider/window";
import { renderPlan } from "../../provider/render";
import { buildCluster, simReconcile, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";
import { instance, NOW, observed, policy } from "../helpers/observed";

const MINUTE = 60_000;
const DAY = 86_400_000;
const failing = (firstMinAgo: number, lastMinAgo = 1) => ({ first: NOW - firstMinAgo * MINUTE, last: NOW - lastMinAgo * MINUTE, count: firstMinAgo,
    code: "InsufficientInstanceCapacity", message: "We currently do not have sufficient m6i.large capacity" });

describe("plan: Spot capacity", () => {
    const fleet = [instance(1), instance(2)];

    it("says Spot launches are failing, and waits spotFallbackAfterSeconds before falling back", () => {
        const p = plan(observed(fleet, { desired: 4, onDemandBase: 0, declaredOnDemandBase: 0, spotFailures: failing(3) }), policy());
        assert.deepEqual(p.actions, []);
        assert.match(p.notes[0], /^Spot launches failing for 3 min \(InsufficientInstanceCapacity, 3 failed launches in 2 min: .*\); the group is 2 short of 4: falling back to On-Demand after 300 s$/);
    });

    it("raises the On-Demand base just enough to reach desired capacity, recording the declared base", () => {
        const p = plan(observed(fleet, { desired: 4, onDemandBase: 0, declaredOnDemandBase: 0, spotFailures: failing(6) }), policy());
        assert.deepEqual(p.actions.map((a) => a.kind === "set-on-demand-base" ? [a.from, a.to, a.fallback, a.baseline] : a.kind), [[0, 2, "start", 0]]);
        assert.match(renderPlan(p)[0], /^fall back to On-Demand: Spot launches failing for 6 min .*the group is 2 short of 4: On-Demand base 0 → 2 \(the declared 0 is restored when Spot returns\)$/);
    });

    it("holds the fallback while failures are recent, and until spotRevertAfterSeconds without one", () => {
        const od = [instance(1), instance(2), instance(3, { lifecycle: "on-demand" }), instance(4, { lifecycle: "on-demand" })];
        const quiet = plan(observed(od, { desired: 4, onDemandBase: 2, fallbackBaseline: 0, declaredOnDemandBase: 0, spotFailures: failing(40, 20) }), policy());
        assert.deepEqual(quiet.actions, []);
        assert.deepEqual(quiet.notes, ["On-Demand fallback in force: no failed Spot launch for 20 min; back to Spot after 1800 s without one"]);
    });

    it("comes back to Spot: restores the declared base and replaces each fallback On-Demand instance, surge-first", () => {
        const od = [instance(1), instance(2), { ...instance(3, { lifecycle: "on-demand" }), launchTime: NOW - 50 * MINUTE },
            { ...instance(4, { lifecycle: "on-demand" }), launchTime: NOW - 45 * MINUTE }];
        const p = plan(observed(od, { desired: 4, maxSize: 8, onDemandBase: 2, fallbackBaseline: 0, declaredOnDemandBase: 0, spotFailures: failing(90, 40) }), policy());
        const lines = renderPlan(p);
        assert.equal(lines[0], "back to Spot: no failed Spot launch for 40 min: On-Demand base 2 → 0, 2 On-Demand instances to replace with Spot");
        assert.equal(lines[1], "surge 4 → 6: 2 instances to replace with Spot");
        assert.deepEqual(lines.slice(2).map((l) => l.replace(/batch \d of \d/, "batch")), [
            "replace i-0003 (back to Spot: On-Demand, launched while Spot was unavailable): drain 0 tasks, batch, then lower desired capacity",
            "replace i-0004 (back to Spot: On-Demand, launched while Spot was unavailable): drain 0 tasks, batch, then lower desired capacity",
        ]);
    });

    it("comes back to Spot only inside spotRevertWindow, and says when it opens", () => {
        const od = [instance(1), instance(2), { ...instance(3, { lifecycle: "on-demand" }), launchTime: NOW - 50 * MINUTE }];
        const inWindow = (window: string) => plan(observed(od, { desired: 3, maxSize: 6, onDemandBase: 1, fallbackBaseline: 0, declaredOnDemandBase: 0,
            spotFailures: failing(90, 40) }), policy({ scaling: { spotRevertWindow: window } }));
        // NOW is Wednesday 12:00 UTC; the quiet period has passed.
        const closed = inWindow("02:00-06:00");
        assert.deepEqual(closed.actions, []);
        assert.deepEqual(closed.notes, ["On-Demand fallback in force: no failed Spot launch for 40 min; back to Spot in the maintenance window 02:00-06:00 UTC, which opens in 840 min"]);
        assert.ok(inWindow("11:00-13:00").actions.some((a) => a.kind === "set-on-demand-base" && a.to === 0));
        assert.ok(inWindow("Wed 11:00-13:00").actions.some((a) => a.kind === "set-on-demand-base"));
        assert.deepEqual(inWindow("Sat,Sun 11:00-13:00").actions, []);
    });

    it("reads a window that runs past midnight as belonging to the day it starts", () => {
        const sunday1am = Date.UTC(2026, 0, 11, 1, 0);
        assert.deepEqual(windowState("Sat 22:00-04:00", sunday1am), { open: true, opensInMs: 0 });
        assert.deepEqual(windowState("Sat 22:00-04:00", sunday1am + DAY), { open: false, opensInMs: 5 * DAY + 21 * 3_600_000 });
        assert.deepEqual(windowState("22:00-04:00", sunday1am + DAY), { open: true, opensInMs: 0 });
        assert.deepEqual(windowState("02:00-06:00", sunday1am), { open: false, opensInMs: 3_600_000 });
        assert.ok(WINDOW_PATTERN.test("Mon,Fri 23:30-00:30") && !WINDOW_PATTERN.test("24:00-01:00") && !WINDOW_PATTERN.test("Sat, Sun 02:00-06:00"));
    });

    it("ends the fallback once the base is back and no fallback instance is left", () => {
        const p = plan(observed(fleet, { desired: 2, onDemandBase: 0, fallbackBaseline: 0, declaredOnDemandBase: 0 }), policy());
        assert.deepEqual(renderPlan(p), ["fallback over: the On-Demand base is back at 0 and every fallback instance is Spot again"]);
    });

    it("applies a changed declared base itself (the group resource ignores it)", () => {
        const p = plan(observed(fleet, { onDemandBase: 0, declaredOnDemandBase: 1 }), policy());
        assert.deepEqual(renderPlan(p), ["On-Demand base 0 → 1: onDemandBaseCapacity as declared"]);
    });
});

describe("a failed launch's message (free text)", () => {
    it("names the Spot capacity code it carries, as a word in any case", () => {
        assert.equal(spotCapacityCode("Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that "
            + "matches your request. Launching EC2 instance failed."), "InsufficientInstanceCapacity");
        assert.equal(spotCapacityCode("Launching a new EC2 instance. Status Reason: spotmaxpricetoolow: your max price is too low"), "SpotMaxPriceTooLow");
        assert.equal(spotCapacityCode("...UnfulfillableCapacity: Unable to fulfill capacity due to your request configuration."), "UnfulfillableCapacity");
    });

    it("takes a known phrase for its code when the code is missing", () => {
        assert.equal(spotCapacityCode("Launching EC2 instance failed: there is no Spot capacity available that matches your request."),
            "InsufficientInstanceCapacity");
    });

    it("names none for a failure of another kind, and not for a code inside a longer word", () => {
        assert.equal(spotCapacityCode("Launching a new EC2 instance. Status Reason: The image id '[ami-1]' does not exist. Launching EC2 instance failed."),
            undefined);
        assert.equal(spotCapacityCode("NotInsufficientInstanceCapacityAtAll"), undefined);
    });

    it("shows a failed launch whose message names no capacity code, and does not fall back for it", () => {
        const p = plan(observed([instance(1), instance(2)], { desired: 4, onDemandBase: 0, declaredOnDemandBase: 0,
            otherLaunchFailure: { at: NOW - 2 * MINUTE, message: "Launching a new EC2 instance. Status Reason: The image id '[ami-1]' does not exist." } }), policy());
        assert.ok(!p.actions.some((a) => a.kind === "set-on-demand-base"), renderPlan(p).join("\n"));
        assert.ok(p.notes.includes(`a launch failed at ${new Date(NOW - 2 * MINUTE).toISOString()} for a reason that is not Spot capacity, `
            + "so no reason to fall back to On-Demand: Launching a new EC2 instance. Status Reason: The image id '[ami-1]' does not exist."), p.notes.join("\n"));
    });
});

describe("a Spot drought on the simulated cluster", () => {
    it("falls back to On-Demand to serve a scale-out, then comes back to Spot, losing no task", async () => {
        const world = buildCluster({ instances: 3, maxSize: 8, services: [{ name: "web", count: 22, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        world.clock.advance(6 * MINUTE);
        world.spotAvailable = false;
        const settings = simSettings(world, { onDemandBaseCapacity: 0 });
        // The scale-out asks for Spot instances that never come.
        const first = await simReconcile(world, settings).then((r) => r, (e) => e);
        assert.ok(first instanceof Error, "the registration wait fails: no Spot capacity");
        assert.ok(world.launchFailures.length > 0);
        world.clock.advance(MINUTE);
        const fallback = await simReconcile(world, settings);
        assert.ok(fallback.plan.actions.some((a) => a.kind === "set-on-demand-base" && a.fallback === "start"), fallback.lines.join("\n"));
        world.clock.advance(5 * MINUTE);
        const onDemand = (w: SimWorld) => w.liveInstances().filter((i) => i.lifecycle === "on-demand").length;
        assert.ok(onDemand(world) > 0, "the shortfall was launched On-Demand");
        assert.equal(world.liveInstances().length, world.group.desired, "desired capacity reached");
        // Spot returns; after the quiet period the scaler reverts.
        world.spotAvailable = true;
        world.clock.advance(35 * MINUTE);
        const revert = await simReconcile(world, { ...settings, draining: { ...settings.draining, batchSize: 4, minHealthyPercent: 50 } });
        assert.ok(revert.plan.actions.some((a) => a.kind === "set-on-demand-base" && a.to === 0), revert.lines.join("\n"));
        world.clock.advance(2 * MINUTE);
        const end = await simReconcile(world, settings);
        assert.equal(onDemand(world), 0, "every fallback instance replaced with Spot");
        assert.ok(end.plan.actions.some((a) => a.kind === "set-on-demand-base" && a.fallback === "end") || world.group.tags["spot-ecs:on-demand-base"] === undefined);
        assert.deepEqual(world.killedTasks().filter((t) => t.stoppedBy === "scaler" || t.stoppedBy === "asg"), []);
        assert.deepEqual(world.violations, []);
    });

    it("launches one On-Demand instance per missing instance, and none after Spot is back; each is replaced in the revert", async () => {
        const world = buildCluster({ instances: 3, maxSize: 8, services: [{ name: "web", count: 22, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        world.clock.advance(6 * MINUTE);
        world.spotAvailable = false;
        const settings = simSettings(world, { onDemandBaseCapacity: 0 });
        await simReconcile(world, settings).then(() => assert.fail("Spot capacity never came"), () => undefined);
        world.clock.advance(MINUTE);
        const fallback = await simReconcile(world, settings);
        const start = fallback.plan.actions.find((a) => a.kind === "set-on-demand-base");
        assert.ok(start?.kind === "set-on-demand-base" && start.fallback === "start", fallback.lines.join("\n"));
        const fellBackAt = world.now;
        const shortfall = start.to - start.from;
        assert.equal(shortfall, world.group.desired - 3, "the base rises by what the group lacks, not more");
        world.clock.advance(5 * MINUTE);
        world.spotAvailable = true;
        const spotBackAt = world.now;
        world.clock.advance(35 * MINUTE);
        await simReconcile(world, { ...settings, draining: { ...settings.draining, batchSize: 4, minHealthyPercent: 50 } });
        const revertedAt = world.now;
        const od = [...world.instances.values()].filter((i) => i.lifecycle === "on-demand");
        assert.equal(od.length, shortfall, "one On-Demand instance per missing instance, none launched again");
        assert.ok(od.every((i) => i.launchedAt >= fellBackAt && i.launchedAt < spotBackAt), "every On-Demand launch falls in the drought");
        assert.ok(od.every((i) => i.terminatedAt !== undefined && i.terminatedAt <= revertedAt), "each replaced by the revert run");
        assert.deepEqual(world.killedTasks().filter((t) => t.stoppedBy === "scaler" || t.stoppedBy === "asg"), []);
    });

    it("does not fall back while another Spot pool has capacity: the failed attempt is on record, the group launches Spot in the other zone", async () => {
        const world = buildCluster({ instances: 2, maxSize: 8, instanceTypes: ["m6i.large", "m5.large"], zones: ["us-east-1a", "us-east-1b"],
            services: [{ name: "web", count: 15, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        world.clock.advance(6 * MINUTE);
        // Both types are out of Spot capacity in us-east-1a.
        world.drySpotPools.add("m6i.large/us-east-1a");
        world.drySpotPools.add("m5.large/us-east-1a");
        const r = await simReconcile(world, simSettings(world, { onDemandBaseCapacity: 0 }));
        assert.ok(r.plan.actions.some((a) => a.kind === "set-desired" && a.to > a.from), r.lines.join("\n"));
        assert.ok(!r.plan.actions.some((a) => a.kind === "set-on-demand-base"), r.lines.join("\n"));
        const launched = world.liveInstances().slice(2);
        assert.ok(launched.length > 0);
        assert.deepEqual([...new Set(launched.map((i) => `${i.lifecycle} ${i.zone}`))], ["spot us-east-1b"]);
        assert.ok(world.launchFailures.length > 0, "the attempt in us-east-1a failed and is on record");
        assert.equal(world.liveInstances().length, world.group.desired);
    });
});

describe("docs/how-it-works.md on Spot running dry", () => {
    it("names every EC2 error the scaler counts as Spot running dry, and how long a failed launch counts", () => {
        const page = fs.readFileSync(path.join(__dirname, "../../docs/how-it-works.md"), "utf8");
        const section = page.slice(page.indexOf("## When Spot runs dry"), page.indexOf("\n## ", page.indexOf("## When Spot runs dry") + 1));
        for (const code of SPOT_CAPACITY_CODES) assert.ok(section.includes(`\`${code}\``), code);
        assert.ok(section.includes(`a failed launch in the last ${STILL_FAILING_SECONDS} s`));
    });
});
