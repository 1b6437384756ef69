// The runner: one bounded step of the scaler's reconcile between deploys, under the cluster's lease.
// On the simulated cluster (virtual time) and, through its Lambda entry point, against moto.
import { strict as assert } from "node:assert";
import * as asg from "@aws-sdk/client-auto-scaling";
import { dynamoLease } from "../../provider/aws/lease";
import { scalerProvider } from "../../provider/dynamic";
import { handler } from "../../provider/lambda";
import { acquireWaiting, Lease, memoryLease } from "../../provider/lease";
import { Action, Plan } from "../../provider/model";
import { actionCategory, narrowPlan, runnerNotes, runnerStep, RunnerStep } from "../../provider/runner";
import { RunnerSettings, ScalerSettings } from "../../provider/settings";
import { simCloud, simDeps } from "../../provider/sim/cloud";
import { buildCluster, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";
import { motoWithEnv } from "../helpers/motoEnv";
import { createLeaseTable, createMotoCluster, MotoCluster, playEcs, putReservations, REGION } from "../helpers/motoCluster";
import { assertNothingLost, crashingAfter, endState, mixedFleet, MINUTE, rollSettings } from "../helpers/rollout";

const RUNNER: RunnerSettings = { functionName: "web-spot-ecs-runner", schedule: "rate(1 minute)", actions: ["scale-out", "scale-in", "spot", "replace"] };

/** Settings as the component deploys them to the runner. */
function deployed(s: ScalerSettings, runner: Partial<RunnerSettings> = {}): ScalerSettings {
    return { ...s, leaseTable: "web-spot-ecs-lease", runner: { ...RUNNER, ...runner } };
}

/** One runner step on the simulated cluster, in virtual time. */
async function step(world: SimWorld, settings: unknown, lease: Lease, o: Partial<RunnerStep> = {}) {
    return world.clock.run(runnerStep({
        settings, lease: () => lease, cloud: () => simCloud(world), deps: simDeps(world), holder: "runner (test)",
        deadlineMs: world.now + 270_000, ...o,
    }));
}

/** A cluster whose CPU reservation stays above the high threshold: the plan scales out. */
function busyWorld(): SimWorld {
    const world = buildCluster({ instances: 4, maxSize: 8, services: [{ name: "web", count: 32, cpu: 256, memory: 256 }] });
    world.clock.advance(6 * MINUTE);
    return world;
}

const action = (kind: Action["kind"], extra: Record<string, unknown> = {}): Action => ({ kind, reason: `${kind} reason`, ...extra } as unknown as Action);

describe("runner: what it may do (runner.actions)", () => {
    it("puts every planned action in one category, but protecting and undoing drains, which every door does", () => {
        assert.equal(actionCategory(action("set-desired", { cause: "scale-out" })), "scale-out");
        assert.equal(actionCategory(action("set-desired", { cause: "surge" })), "replace");
        assert.equal(actionCategory(action("set-desired", { cause: "keep" })), "scale-in");
        assert.equal(actionCategory(action("drain", { purpose: "scale-in", victims: [] })), "scale-in");
        assert.equal(actionCategory(action("drain", { purpose: "replace", victims: [] })), "replace");
        assert.equal(actionCategory(action("set-on-demand-base")), "spot");
        assert.equal(actionCategory(action("end-surge")), "replace");
        assert.equal(actionCategory(action("protect", { instanceIds: [] })), undefined);
        assert.equal(actionCategory(action("undrain")), undefined);
    });

    it("carries out the plan up to the first action it may not do, and after it only protects and undrains, saying what waits", () => {
        const plan: Plan = {
            actions: [
                action("undrain", { instanceId: "i-1", containerInstanceArn: "c-1" }),
                action("set-desired", { cause: "scale-out", from: 4, to: 5, waitForActive: 5 }),
                action("set-desired", { cause: "surge", from: 5, to: 7, waitForActive: 0, baseline: 5 }),
                action("protect", { instanceIds: ["i-9"] }),
                action("end-surge", { baseline: 5 }),
            ],
            notes: ["a note"],
        };
        const narrowed = narrowPlan(plan, ["scale-out", "scale-in"]);
        assert.deepEqual(narrowed.actions.map((a) => a.kind), ["undrain", "set-desired", "protect"]);
        assert.equal(narrowed.notes[0], "a note");
        assert.match(narrowed.notes[1], /^held for a `pulumi up`: 2 actions \(replace\), since runner\.actions is scale-out, scale-in: /);
        assert.equal(narrowPlan(plan, ["scale-out", "scale-in", "spot", "replace"]), plan, "everything allowed: the plan as it is");
    });
});

describe("runner step on the simulated cluster", () => {
    it("fails on settings that are not valid before any AWS request or lease write, naming each problem", async () => {
        const world = busyWorld();
        let touched = 0;
        const r = await step(world, { ...deployed(simSettings(world)), launchTemplateVersion: "v2", runner: { ...RUNNER, schedule: "every minute" } },
            memoryLease(), { cloud: () => { touched++; return simCloud(world); }, lease: () => { touched++; return memoryLease(); } });
        assert.equal(r.outcome, "invalid-settings");
        assert.equal(touched, 0, "neither AWS nor the lease was touched");
        assert.deepEqual(r.problems!.map((p) => p.property), ["launchTemplateVersion", "runner.schedule"]);
        assert.match(r.summary, /`runner\.schedule` must be an EventBridge rate expression such as "rate\(1 minute\)" .*got "every minute"/);
        assert.equal((await step(world, "{not json", memoryLease())).outcome, "invalid-settings");
    });

    it("acts on the plan under the lease, gives the lease back and records its outcome", async () => {
        const world = busyWorld();
        const lease = memoryLease();
        const r = await step(world, deployed(simSettings(world)), lease);
        assert.equal(r.outcome, "acted", r.summary);
        assert.match(r.summary, /^1 action: scale out 4 → \d+: CPUReservation/);
        assert.ok(world.group.desired > 4);
        assert.equal(lease.holderNow(), undefined, "the lease is given back");
        const last = await lease.lastRun();
        assert.equal(last?.outcome, "acted");
        assert.equal(last?.summary, r.summary);
    });

    it("skips while another actor holds the lease, and records who", async () => {
        const world = busyWorld();
        const lease = memoryLease();
        await lease.acquire("pulumi up (pid 42)", world.now, 600_000);
        const r = await step(world, deployed(simSettings(world)), lease);
        assert.equal(r.outcome, "skipped");
        assert.match(r.summary, /^skipped: pulumi up \(pid 42\) holds the cluster's lease until /);
        assert.equal(world.group.desired, 4, "nothing changed");
        assert.equal(lease.holderNow()?.holder, "pulumi up (pid 42)", "the up keeps its lease");
        assert.equal((await lease.lastRun())?.outcome, "skipped");
    });

    it("takes a lease whose holder stopped without giving it back, once it has expired", async () => {
        const world = busyWorld();
        const lease = memoryLease();
        await lease.acquire("a runner that crashed", world.now - 400_000, 330_000);
        assert.equal((await step(world, deployed(simSettings(world)), lease)).outcome, "acted");
    });

    it("holds back what runner.actions does not allow, and says so", async () => {
        const world = busyWorld();
        const r = await step(world, deployed(simSettings(world), { actions: ["scale-in", "replace"] }), memoryLease());
        assert.equal(r.outcome, "nothing-to-do");
        assert.match(r.summary, /^held for a `pulumi up`: 1 action \(scale-out\), since runner\.actions is scale-in, replace: scale out 4 → /);
        assert.equal(world.group.desired, 4);
    });

    it("falls back to On-Demand when Spot runs dry", async () => {
        const world = buildCluster({ instances: 3, maxSize: 8, services: [{ name: "web", count: 22, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        world.clock.advance(6 * MINUTE);
        world.spotAvailable = false;
        const settings = deployed(simSettings(world, { onDemandBaseCapacity: 0 }));
        const first = await step(world, settings, memoryLease());
        assert.equal(first.outcome, "failed", "the scale-out's Spot instances never come");
        world.clock.advance(MINUTE);
        const second = await step(world, settings, memoryLease());
        assert.equal(second.outcome, "acted", second.summary);
        assert.match(second.summary, /fall back to On-Demand: Spot launches failing/);
        assert.ok(world.group.onDemandBaseCapacity > 0);
    });

    it("finishes a rollout the last up deployed in bounded steps, each stopping at its deadline, and never starts one", async () => {
        const world = mixedFleet();
        // The group launches v2, but the last up deployed v1: no rollout to do.
        const asDeployedBefore = deployed(rollSettings(world, { launchTemplateVersion: "1" }));
        const none = await step(world, asDeployedBefore, memoryLease());
        assert.ok(!/replace/.test(none.summary), none.summary);
        assert.ok(world.liveInstances().every((i) => i.ltVersion === "1"));
        // The up deployed v2 and stopped at its deadline: the runner finishes it, a few minutes per step.
        const settings = deployed(rollSettings(world));
        const outcomes: string[] = [];
        const summaries: string[] = [];
        for (let i = 0; i < 20 && endState(world).versions.join() !== "2"; i++) {
            const r = await step(world, settings, memoryLease(), { deadlineMs: world.now + 240_000 });
            outcomes.push(r.outcome);
            summaries.push(r.summary);
            world.clock.advance(MINUTE);
        }
        assert.deepEqual(endState(world).versions, ["2"], outcomes.join(" "));
        assert.ok(outcomes.length > 1, "more than one step: each stopped at its own deadline");
        assert.ok(summaries.some((x) => /^the runner step's deadline \(240 s\) reached: i-\w+.* still DRAINING; the next `pulumi up` \(or runner step\) finishes them$/.test(x)),
            summaries.join("\n"));
        assertNothingLost(world);
    });

    it("converges to the same end state from a crash after every step k of its first invocation, with nothing lost", async () => {
        const reference = mixedFleet();
        const counted = crashingAfter(simCloud(reference), Number.MAX_SAFE_INTEGER);
        await step(reference, deployed(rollSettings(reference)), memoryLease(), { cloud: () => counted.cloud, deadlineMs: reference.now + 3_600_000 });
        const end = endState(reference);
        assert.deepEqual(end.versions, ["2"]);
        for (let k = 0; k < counted.writes(); k++) {
            const world = mixedFleet();
            const lease = memoryLease();
            const crashing = crashingAfter(simCloud(world), k);
            const first = await step(world, deployed(rollSettings(world)), lease, { cloud: () => crashing.cloud, deadlineMs: world.now + 3_600_000 });
            assert.equal(first.outcome, "failed", `crash after step ${k}`);
            assert.equal(lease.holderNow(), undefined, `crash after step ${k}: the lease is given back`);
            for (let runs = 0; runs < 4 && JSON.stringify(endState(world)) !== JSON.stringify(end); runs++) {
                world.clock.advance(11 * MINUTE);
                await step(world, deployed(rollSettings(world)), lease, { deadlineMs: world.now + 3_600_000 });
            }
            assert.deepEqual(endState(world), end, `crash after step ${k}`);
            assertNothingLost(world);
        }
    });

    it("tells the preview it is on, what it may do, how its last step went, and who holds the lease", async () => {
        const lease = memoryLease();
        const now = Date.parse("2026-12-06T10:43:00Z");
        const s = deployed(simSettings(busyWorld()));
        assert.deepEqual(await runnerNotes(s, lease, now), ["runner web-spot-ecs-runner on, rate(1 minute), may scale-out, scale-in, spot, replace; it has not run yet"]);
        await lease.recordRun({ at: now - 120_000, outcome: "nothing-to-do", summary: "nothing to do" });
        await lease.acquire("runner (Lambda request r-7)", now - 10_000, 300_000);
        assert.deepEqual(await runnerNotes(s, lease, now), [
            "runner web-spot-ecs-runner on, rate(1 minute), may scale-out, scale-in, spot, replace; it last ran 2026-12-06T10:41:00.000Z (2 min ago): nothing-to-do: nothing to do",
            "runner (Lambda request r-7) holds the cluster's lease until 2026-12-06T10:47:50.000Z; an up waits for it",
        ]);
        const later = now + 30 * MINUTE;
        assert.equal((await runnerNotes(s, lease, later))[1], "the runner has not run for 32 min though its schedule is rate(1 minute): check its function and its alarms");
        // With the scaler's termination hook on the group, what a stopped runner means for the group's terminations.
        assert.equal((await runnerNotes(s, lease, later, { name: "spot-ecs-drain", defaultResult: "ABANDON", heartbeatTimeoutSeconds: 300 }))[1],
            "the runner has not run for 32 min though its schedule is rate(1 minute): check its function and its alarms; meanwhile an instance "
            + "the group terminates waits in termination hook spot-ecs-drain 300 s, then is retained undrained (default result ABANDON), "
            + "tasks running, until a run drains it");
    });
});

describe("waiting for the lease (pulumi up, spot-ecs run)", () => {
    /** A clock that sleeps in virtual time. */
    function clock(start: number) {
        let now = start;
        return { now: () => now, sleep: async (ms: number) => { now += ms; } };
    }

    it("waits, saying who holds it and how long at most, and takes it once it is given back", async () => {
        const lease = memoryLease("DynamoDB table web-spot-ecs-lease");
        const c = clock(Date.parse("2026-12-06T10:00:00Z"));
        await lease.acquire("runner (Lambda request r-1)", c.now(), 60_000);
        const lines: string[] = [];
        let looks = 0;
        await acquireWaiting({ ...lease, acquire: async (h, n, t) => {
            if (++looks === 3) await lease.release("runner (Lambda request r-1)");
            return lease.acquire(h, n, t);
        } }, "pulumi up (pid 1)", 600_000, { waitMs: 120_000, pollMs: 10_000, ...c, log: (l) => lines.push(l) });
        assert.equal(lease.holderNow()?.holder, "pulumi up (pid 1)");
        assert.deepEqual(lines, [
            "waiting for the cluster's lease (DynamoDB table web-spot-ecs-lease): held by runner (Lambda request r-1) until 2026-12-06T10:01:00.000Z, 120 s more at most",
            "waiting for the cluster's lease (DynamoDB table web-spot-ecs-lease): held by runner (Lambda request r-1) until 2026-12-06T10:01:00.000Z, 110 s more at most",
        ]);
    });

    it("fails naming the holder once its wait is over, changing nothing", async () => {
        const lease = memoryLease("DynamoDB table web-spot-ecs-lease");
        const c = clock(Date.parse("2026-12-06T10:00:00Z"));
        await lease.acquire("spot-ecs run (pid 9)", c.now(), 3_600_000);
        await assert.rejects(acquireWaiting(lease, "pulumi up (pid 1)", 600_000, { waitMs: 30_000, pollMs: 10_000, ...c, log: () => undefined }),
            { message: "the cluster's lease (DynamoDB table web-spot-ecs-lease) is held by spot-ecs run (pid 9) since 2026-12-06T10:00:00.000Z, until "
                + "2026-12-06T11:00:00.000Z; waited 30 s. Run again once it is free; a holder that stopped lets go at that time by itself" });
        assert.equal(lease.holderNow()?.holder, "spot-ecs run (pid 9)");
    });
});

describe("runner against moto @moto", function () {
    this.timeout(180_000);
    const server = motoWithEnv();
    const TABLE = "web-spot-ecs-lease";

    describe("the lease in DynamoDB", () => {
        beforeEach(async () => {
            await server.moto.reset();
            await createLeaseTable(server.moto.endpoint, TABLE);
        });

        it("goes to exactly one of two actors racing for it, and to no one else until it expires or is given back", async () => {
            const lease = dynamoLease(REGION, TABLE, "web");
            const now = Date.now();
            const race = await Promise.all([lease.acquire("runner A", now, 60_000), lease.acquire("runner B", now, 60_000)]);
            assert.equal(race.filter((r) => r.taken).length, 1, JSON.stringify(race));
            const loser = race.find((r) => !r.taken)!;
            const winner = race[0].taken ? "runner A" : "runner B";
            assert.ok(!loser.taken && loser.by.holder === winner, JSON.stringify(loser));
            assert.deepEqual((await lease.acquire("pulumi up", now + 1000, 60_000)).taken, false);
            assert.equal((await lease.current(now + 1000))?.holder, winner);
            assert.ok((await lease.acquire(winner, now + 2000, 60_000)).taken, "its holder may take it again");
            await lease.release("pulumi up");
            assert.equal((await lease.current(now + 3000))?.holder, winner, "only its holder gives it back");
            assert.ok((await lease.acquire("pulumi up", now + 70_000, 60_000)).taken, "an expired lease goes to the next");
            await lease.release("pulumi up");
            assert.equal(await lease.current(now + 71_000), undefined);
            assert.deepEqual(lease.requests.PutItem > 0 && lease.requests.DeleteItem > 0, true);
        });

        it("keeps the runner's last outcome per cluster", async () => {
            const web = dynamoLease(REGION, TABLE, "web");
            const api = dynamoLease(REGION, TABLE, "api");
            await web.recordRun({ at: 1_765_000_000_000, outcome: "acted", summary: "1 action: scale out 4 → 5" });
            assert.deepEqual(await web.lastRun(), { at: 1_765_000_000_000, outcome: "acted", summary: "1 action: scale out 4 → 5" });
            assert.equal(await api.lastRun(), undefined);
        });
    });

    describe("the Lambda entry point, in-process", () => {
        let m: MotoCluster;
        const context = (id: string) => ({ awsRequestId: id, getRemainingTimeInMillis: () => 150_000 });
        const settingsFor = (c: MotoCluster, version = "1"): ScalerSettings => deployed({
            region: REGION, clusterName: c.clusterName, autoScalingGroupName: c.autoScalingGroupName, launchTemplateId: c.launchTemplateId,
            launchTemplateVersion: version, targetGroupArns: c.targetGroupArn === undefined ? [] : [c.targetGroupArn],
            scaling: { ...simSettings(busyWorld()).scaling }, draining: { ...simSettings(busyWorld()).draining, batchSize: 2 },
        });
        const desired = async (c: MotoCluster) => (await c.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [c.autoScalingGroupName] })))
            .AutoScalingGroups![0].DesiredCapacity;

        beforeEach(async () => {
            await server.moto.reset();
            await createLeaseTable(server.moto.endpoint, TABLE);
            m = await createMotoCluster(server.moto.endpoint, { name: "run", instances: 2, tasksPerInstance: 1, maxSize: 6 });
        });

        /** Invokes the handler (once per request id, at once) with `settings` as deployed, ECS played meanwhile. */
        async function invoke(settings: unknown, ...ids: string[]) {
            process.env.SPOT_ECS_SETTINGS = JSON.stringify(settings);
            const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
            const logged: string[] = [];
            const log = console.log;
            console.log = (line: string) => logged.push(line);
            try {
                const results = await Promise.allSettled(ids.map((id) => handler({}, context(id))));
                return { results, logged, moved: ecs.moved(), r: results[0].status === "fulfilled" ? results[0].value : undefined };
            } finally {
                console.log = log;
                await ecs.stop();
                delete process.env.SPOT_ECS_SETTINGS;
            }
        }

        it("scales out with the settings it was deployed with, logging one JSON line per step, and records the outcome", async () => {
            await putReservations(m.clients, m.clusterName, 95, 40, 10);
            const { r: result, logged } = await invoke(settingsFor(m), "req-1");
            const r = result!;
            assert.equal(r.outcome, "acted", r.summary);
            assert.ok((await desired(m))! > 2);
            const lines = logged.map((l) => JSON.parse(l));
            const last = lines[lines.length - 1];
            assert.equal(last.event, "runner-step");
            assert.equal(last.outcome, "acted");
            assert.match(last.plan[0], /^scale out 2 → \d+: CPUReservation 95% > 88% over 2 min/);
            assert.ok(lines.slice(0, -1).every((l) => l.level === "info" && typeof l.message === "string"), "progress lines are JSON too");
            assert.equal((await dynamoLease(REGION, TABLE, m.clusterName).lastRun())?.outcome, "acted");
            assert.equal(await dynamoLease(REGION, TABLE, m.clusterName).current(Date.now()), undefined, "the lease is given back");
        });

        it("scales in when both reservations stay low, draining the instance before it terminates it", async () => {
            await putReservations(m.clients, m.clusterName, 10, 10, 10);
            const { r: result, moved } = await invoke(settingsFor(m), "req-in");
            const r = result!;
            assert.equal(r.outcome, "acted", r.summary);
            assert.equal(r.summary, "1 action: scale in 2 → 1: CPUReservation at most 10% and MemoryReservation at most 10% over 10 min: "
                + "room to remove an instance of 2 within the 85% scale-in target");
            assert.equal(await desired(m), 1);
            assert.equal(moved, 1, "its service task was moved before it went");
        });

        it("finishes a rollout the last up deployed, draining before it terminates", async () => {
            await putReservations(m.clients, m.clusterName, 50, 40, 10);
            await m.clients.asg.send(new asg.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: m.autoScalingGroupName,
                LaunchTemplate: { LaunchTemplateId: m.launchTemplateId, Version: "2" } }));
            const { r: result, moved } = await invoke(settingsFor(m, "2"), "req-2");
            const r = result!;
            assert.equal(r.outcome, "acted", r.summary);
            assert.match(r.summary, /surge 2 → 4: 2 instances to replace with launch template v2; replace 2 instances \(→ launch template v2\), batch 1 of 1$/);
            const g = (await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }))).AutoScalingGroups![0];
            assert.ok(!g.Instances!.some((i) => m.instanceIds.includes(i.InstanceId!)), "the old instances are gone");
            assert.equal(moved, 2, "their service tasks were moved first");
        });

        it("skips while a pulumi up holds the lease, changing nothing", async () => {
            await putReservations(m.clients, m.clusterName, 95, 40, 10);
            await dynamoLease(REGION, TABLE, m.clusterName).acquire("pulumi up (pid 7)", Date.now(), 600_000);
            const r = (await invoke(settingsFor(m), "req-3")).r!;
            assert.equal(r.outcome, "skipped");
            assert.match(r.summary, /^skipped: pulumi up \(pid 7\) holds the cluster's lease until /);
            assert.equal(await desired(m), 2);
        });

        it("lets exactly one of two invocations racing for the cluster act; the other skips, saying who holds the lease", async () => {
            await putReservations(m.clients, m.clusterName, 95, 40, 10);
            const both = (await invoke(settingsFor(m), "race-a", "race-b")).results.map((x) => {
                assert.equal(x.status, "fulfilled");
                return (x as PromiseFulfilledResult<{ outcome: string; summary: string }>).value;
            });
            assert.deepEqual(both.map((r) => r.outcome).sort(), ["acted", "skipped"], JSON.stringify(both));
            assert.match(both.find((r) => r.outcome === "skipped")!.summary, /^skipped: runner \(Lambda request race-[ab]\) holds the cluster's lease until /);
        });

        it("is shown in the scaler's preview: on, its schedule and actions, its last step, and who holds the lease", async () => {
            await dynamoLease(REGION, TABLE, m.clusterName).recordRun({ at: Date.now() - 60_000, outcome: "nothing-to-do", summary: "nothing to do" });
            const r = await scalerProvider.check({}, settingsFor(m) as unknown as Record<string, unknown>);
            const plan = (r.inputs as { plan: string[] }).plan;
            assert.ok(plan.some((l) => /^note: runner web-spot-ecs-runner on, rate\(1 minute\), may scale-out, scale-in, spot, replace; it last ran \S+ \(1 min ago\): nothing-to-do: nothing to do$/.test(l)),
                plan.join("\n"));
            assert.equal(await dynamoLease(REGION, TABLE, m.clusterName).current(Date.now()), undefined, "a preview takes no lease");
        });

        it("says in the preview of the update that creates it that its lease table is created in this update", async () => {
            const notes = await runnerNotes(settingsFor(m), dynamoLease(REGION, "no-such-table", m.clusterName), Date.now());
            assert.deepEqual(notes, ["runner web-spot-ecs-runner: its lease table is created in this update"]);
        });

        it("makes pulumi up wait for a runner step that holds the lease, saying so, then act under it", async () => {
            await putReservations(m.clients, m.clusterName, 95, 40, 10);
            await dynamoLease(REGION, TABLE, m.clusterName).acquire("runner (Lambda request r-9)", Date.now(), 4_000);
            const inputs = settingsFor(m) as unknown as Record<string, unknown>;
            const checked = (await scalerProvider.check({}, inputs)).inputs;
            const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
            const logged: string[] = [];
            const log = console.log;
            console.log = (line: string) => logged.push(line);
            try {
                await scalerProvider.update("id", { lastRun: null }, checked);
            } finally {
                console.log = log;
                await ecs.stop();
            }
            assert.match(logged[0], /^\[run\] waiting for the cluster's lease \(DynamoDB table web-spot-ecs-lease\): held by runner \(Lambda request r-9\) until \S+, \d+ s more at most$/);
            assert.ok(logged.some((l) => /^\[run\] scale out 2 → \d+/.test(l)), logged.join("\n"));
            assert.equal(await dynamoLease(REGION, TABLE, m.clusterName).current(Date.now()), undefined, "the up gave the lease back");
        });

        it("fails the invocation on settings hand-edited to be invalid, sending nothing to AWS", async () => {
            const [result] = (await invoke({ ...settingsFor(m), maxSize: 0 }, "req-4")).results;
            assert.equal(result.status, "rejected");
            assert.match(String((result as PromiseRejectedResult).reason), /^Error: invalid-settings: .*`maxSize` must be an integer between 1 and 1000, got 0/s);
            assert.equal(await dynamoLease(REGION, TABLE, m.clusterName).lastRun(), undefined, "not even the outcome was written");
        });
    });
});
