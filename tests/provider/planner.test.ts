import { strict as assert } from "node:assert";
import { plan, needsTasks } from "../../provider/planner";
import { renderPlan } from "../../provider/render";
import { Action, Plan } from "../../provider/model";
import { NOW, instance, observed, policy, series, tasksOn } from "../helpers/observed";

const kinds = (p: Plan) => p.actions.map((a) => a.kind);
const drains = (p: Plan) => p.actions.filter((a): a is Extract<Action, { kind: "drain" }> => a.kind === "drain");
const desiredChange = (p: Plan) => p.actions.find((a): a is Extract<Action, { kind: "set-desired" }> => a.kind === "set-desired");
const fleet = (n: number, o: Parameters<typeof instance>[1] = {}) => Array.from({ length: n }, (_, i) => instance(i + 1, o));

describe("plan", () => {
    describe("when nothing is to be done", () => {
        it("returns no actions and no notes for reservations between the thresholds", () => {
            const p = plan(observed(fleet(4)), policy());
            assert.deepEqual(p, { actions: [], notes: [] });
            assert.deepEqual(renderPlan(p), []);
        });

        it("renders the same empty plan every time", () => {
            const o = observed(fleet(4));
            assert.deepEqual(renderPlan(plan(o, policy())), renderPlan(plan({ ...o, now: NOW + 60_000 }, policy(), NOW + 60_000)));
        });

        it("plans nothing for an empty cluster without metrics", () => {
            assert.deepEqual(plan(observed([], { desired: 0, minSize: 0, metrics: { cpu: [], memory: [] } }), policy()),
                { actions: [], notes: [] });
        });

        it("makes no scaling decision without a full window of data, and says so", () => {
            const p = plan(observed(fleet(3), { metrics: { cpu: series(95, 1), memory: series(95, 1) } }), policy());
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, ["no scaling decision: fewer than 2 minutes of reservation data"]);
        });
    });

    describe("scale out", () => {
        it("adds enough instances to bring CPUReservation back under the high threshold", () => {
            // 91% of 4 instances is 4.14 at 88%: 5.
            const p = plan(observed(fleet(4), { metrics: { cpu: series(91), memory: series(50) } }), policy({ scaling: { scaleOutStep: 1 } }));
            assert.deepEqual(p.actions, [{
                kind: "set-desired", cause: "scale-out", from: 4, to: 5, waitForActive: 5,
                reason: "scale out 4 → 5: CPUReservation 91% > 88% over 2 min",
            }]);
        });

        it("sizes by the higher of the two reservations", () => {
            // CPU: 90% of 10 is 10.2 at 88%, so 11; memory: 100% of 10 is 11.4, so 12.
            const p = plan(observed(fleet(10), { metrics: { cpu: series(90), memory: series(100) } }), policy({ scaling: { scaleOutStep: 1 } }));
            assert.equal(desiredChange(p)!.to, 12);
            assert.equal(desiredChange(p)!.reason,
                "scale out 10 → 12: CPUReservation 90% > 88% over 2 min, MemoryReservation 100% > 88% over 2 min");
        });

        it("adds at least scaleOutStep instances", () => {
            const p = plan(observed(fleet(4), { metrics: { cpu: series(90), memory: series(50) } }), policy({ scaling: { scaleOutStep: 3 } }));
            assert.equal(desiredChange(p)!.to, 7);
        });

        it("is capped at maxSize", () => {
            const p = plan(observed(fleet(4), { maxSize: 5, metrics: { cpu: series(100), memory: series(100) } }), policy());
            assert.equal(desiredChange(p)!.to, 5);
        });

        it("says so when maxSize is already reached", () => {
            const p = plan(observed(fleet(5), { maxSize: 5, metrics: { cpu: series(100), memory: series(50) } }), policy());
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, ["scale-out held: CPUReservation 100% > 88% over 2 min, but maxSize 5 is reached: raise maxSize to 7"]);
        });

        it("does not act at exactly the high threshold", () => {
            assert.deepEqual(plan(observed(fleet(4), { metrics: { cpu: series(88), memory: series(88) } }), policy()).actions, []);
        });

        it("does not act when one minute of the window dipped under the threshold", () => {
            const p = plan(observed(fleet(4), { metrics: { cpu: series(0, 10, [95, 70, 95, 95, 95, 95, 95, 95, 95, 95]), memory: series(50) } }), policy());
            assert.deepEqual(p.actions, []);
        });

        it("waits while instances are still launching", () => {
            const p = plan(observed(fleet(4), { desired: 6, metrics: { cpu: series(95), memory: series(50) } }), policy());
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, ["scale-out held: CPUReservation 95% > 88% over 2 min, and 2 instances are still launching"]);
        });

        const unplaced = (missing: number) => [{ name: "web", missing, event: "(service web) was unable to place a task because no container instance "
            + "met all of its requirements. The closest matching container-instance c/1 has insufficient CPU units available." }];

        it("sizes a reservation's scale-out for the tasks ECS cannot place too, and names them", () => {
            const p = plan(observed(fleet(4), { unplaced: unplaced(5), metrics: { cpu: series(91), memory: series(50) } }), policy());
            assert.equal(desiredChange(p)!.to, 9, "4 + 5 unplaced tasks, more than the reservation's 5");
            assert.match(desiredChange(p)!.reason, /^scale out 4 → 9: CPUReservation 91% > 88% over 2 min; service web cannot place 5 tasks \(ECS: /);
        });

        it("packs unplaced tasks of known size onto instances like the registered ones, filled to the high thresholds", () => {
            // 5 tasks of 512 CPU units and 1 GiB on instances of 2048 units and 7.5 GiB filled to 88%: two instances, not five.
            const sized = [{ ...unplaced(5)[0], cpu: 512, memory: 1024 }];
            assert.equal(desiredChange(plan(observed(fleet(4), { unplaced: sized }), policy()))!.to, 6);
            // Memory-bound: 5 tasks of 3 GiB are 15 GiB, three instances of 7.5 GiB at 88%.
            assert.equal(desiredChange(plan(observed(fleet(4), { unplaced: [{ ...sized[0], cpu: 128, memory: 3072 }] }), policy()))!.to, 7);
        });

        it("adds the unplaced tasks to the reservation when it sizes a scale-out", () => {
            // CPU 90% of 4 instances is 4.1 at 88%; 3 tasks of 1024 units add 1.7 more at 88%: 5.8, so 6 (alone, 5).
            const p = plan(observed(fleet(4), { unplaced: [{ ...unplaced(3)[0], cpu: 1024, memory: 512 }], metrics: { cpu: series(90), memory: series(50) } }),
                policy({ scaling: { scaleOutStep: 1 } }));
            assert.equal(desiredChange(p)!.to, 6);
        });

        it("gives awsvpc tasks as many instances as their ENIs need: an m6i.large holds 2 of them", () => {
            const vpc = [{ ...unplaced(5)[0], cpu: 128, memory: 128, awsvpc: true }];
            assert.equal(desiredChange(plan(observed(fleet(4), { unplaced: vpc }), policy()))!.to, 7, "4 + ⌈5 / 2⌉, where CPU and memory alone ask for 1");
            assert.equal(desiredChange(plan(observed(fleet(4), { unplaced: [{ ...vpc[0], awsvpc: false }] }), policy()))!.to, 5);
        });

        it("gives each task of a service whose tasks need an instance of their own an instance", () => {
            const ports = [{ ...unplaced(3)[0], cpu: 128, memory: 128, oneEach: true }];
            assert.equal(desiredChange(plan(observed(fleet(4), { unplaced: ports }), policy()))!.to, 7);
        });

        it("scales out for unplaced tasks while instances launch, counting each launching one as a place", () => {
            const p = plan(observed(fleet(4), { desired: 6, unplaced: unplaced(5), metrics: { cpu: series(95), memory: series(50) } }), policy());
            assert.equal(desiredChange(p)!.to, 9, "6 + (5 − 2 launching)");
            assert.match(desiredChange(p)!.reason, /\(besides the 2 instances launching\)$/);
        });

        it("leaves unplaced tasks to the instances launching when there are as many, and says so", () => {
            const p = plan(observed(fleet(4), { desired: 7, unplaced: unplaced(2) }), policy());
            assert.deepEqual(p.actions, []);
            assert.match(p.notes[0], /^service web cannot place 2 tasks \(ECS: .*\): the 3 instances launching may place them$/);
        });

        it("scales out above the instances the group keeps over desired capacity, since it launches only above them", () => {
            const p = plan(observed(fleet(8), { desired: 6, unplaced: unplaced(2) }), policy());
            assert.deepEqual(desiredChange(p), { kind: "set-desired", cause: "scale-out", from: 6, to: 10, waitForActive: 10,
                reason: desiredChange(p)!.reason });
        });

        it("does not count an instance still unregistered past its grace as one that may place a task", () => {
            const stray = (n: number) => ({ ...instance(n, { registered: false }), launchTime: NOW - 30 * 60_000 });
            const p = plan(observed([...fleet(4), stray(5), stray(6)], { unplaced: unplaced(3) }), policy());
            assert.equal(desiredChange(p)!.to, 9, "6 + 3: the two strays launch nothing and place nothing");
            assert.doesNotMatch(desiredChange(p)!.reason, /launching/);
        });

        it("honours the cooldown after a scaling activity", () => {
            const p = plan(observed(fleet(4), { lastScalingActivity: NOW - 20_000, metrics: { cpu: series(95), memory: series(50) } }), policy());
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, ["scale-out held: CPUReservation 95% > 88% over 2 min, but the last scaling activity is within the 180 s cooldown (160 s left)"]);
        });

        it("acts once the cooldown has passed", () => {
            const p = plan(observed(fleet(4), { lastScalingActivity: NOW - 180_000, metrics: { cpu: series(95), memory: series(50) } }), policy());
            assert.deepEqual(kinds(p), ["set-desired"]);
        });
    });

    describe("headroom", () => {
        it("scales out when the ACTIVE instances have room for fewer headroom tasks than asked, by what the rest needs", () => {
            // Each instance has 148 CPU units free: no room for a 512-unit task; an instance like these holds 4.
            const p = plan(observed(fleet(4, { usedCpu: 1900, usedMemory: 1000 })), policy({ scaling: { headroom: "6x512/1024", scaleOutStep: 1 } }));
            assert.deepEqual(desiredChange(p), { kind: "set-desired", cause: "scale-out", from: 4, to: 6, waitForActive: 6,
                reason: "scale out 4 → 6: headroom 6x512/1024: room for 0 of 6 tasks of 512 CPU / 1024 MiB" });
        });

        it("plans nothing when the room is there", () => {
            const p = plan(observed(fleet(4, { usedCpu: 1000 })), policy({ scaling: { headroom: "8x512/1024" } }));
            assert.deepEqual(p, { actions: [], notes: [] });
        });

        it("keeps the headroom free when it scales in", () => {
            const low = { cpu: series(5), memory: series(5) };
            const victims = (headroom?: string) => drains(plan(observed(fleet(4), { metrics: low, tasks: [] }),
                policy({ scaling: { maxScaleInPercent: 100, ...(headroom === undefined ? {} : { headroom }) }, draining: { batchSize: 10 } })))
                .flatMap((d) => d.victims).length;
            assert.equal(victims(), 3, "without headroom, all but one");
            assert.equal(victims("8x512/1024"), 2, "two instances hold the eight headroom tasks");
            assert.equal(victims("16x512/1024"), 0, "all four do");
        });

        it("says so when a headroom task is larger than the instances", () => {
            const p = plan(observed(fleet(4)), policy({ scaling: { headroom: "1x4096/1024" } }));
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, ["headroom 1x4096/1024: room for 0 of 1 task of 4096 CPU / 1024 MiB; no instance like the registered ones holds one of them: "
                + "scale-out for the headroom held"]);
        });
    });

    describe("scale in", () => {
        const low = { cpu: series(20), memory: series(20) };
        const lowText = (n: number, target = 85) => "CPUReservation at most 20% and MemoryReservation at most 20% over 10 min: "
            + `room to remove an instance of ${n} within the ${target}% scale-in target`;

        it("drains the least-used instance whose tasks fit on the rest, lowering desired capacity", () => {
            const a = instance(1, { usedCpu: 1024, usedMemory: 2048, tasks: 2 });
            const b = instance(2, { usedCpu: 256, usedMemory: 512, tasks: 1 });
            const c = instance(3, { usedCpu: 512, usedMemory: 1024, tasks: 1 });
            const tasks = [...tasksOn(a, 2, 512, 1024), ...tasksOn(b, 1, 256, 512), ...tasksOn(c, 1, 512, 1024)];
            const p = plan(observed([a, b, c], { metrics: low, tasks }), policy());
            assert.deepEqual(p.actions, [{
                kind: "drain", purpose: "scale-in", batch: 1, batches: 1, waitForActive: 3, endsSurge: false,
                victims: [{ instanceId: "i-0002", containerInstanceArn: "arn:ci/i-0002", lifecycle: "spot", tasks: 1, decrement: true,
                    reason: "1 task fit on 2 remaining instances" }],
                reason: `scale in 3 → 2: ${lowText(3)}`,
            }]);
        });

        it("does not scale in when only one reservation leaves room for an instance to go", () => {
            // Of 4 instances one may go while both stay below 85% × 3 / 4 = 63.75%.
            assert.deepEqual(plan(observed(fleet(4), { metrics: { cpu: series(20), memory: series(64) } }), policy()).actions, []);
            assert.ok(drains(plan(observed(fleet(4), { metrics: { cpu: series(20), memory: series(63) }, tasks: [] }), policy())).length > 0);
        });

        it("does not act at exactly the consolidation threshold, the scale-in target × (n − 1) / n", () => {
            // 5 instances: 85% × 4 / 5 = 68%.
            assert.deepEqual(plan(observed(fleet(5), { metrics: { cpu: series(68), memory: series(20) }, tasks: [] }), policy()).actions, []);
        });

        it("waits for the whole scale-in delay: one minute of it above the threshold holds it", () => {
            const p = plan(observed(fleet(4), { metrics: { cpu: series(0, 10, [20, 20, 20, 20, 20, 20, 20, 20, 20, 70]), memory: series(20) }, tasks: [] }),
                policy());
            assert.deepEqual(p.actions, []);
        });

        it("keeps minSize", () => {
            const p = plan(observed(fleet(2), { minSize: 2, metrics: low, tasks: [] }), policy());
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, [`scale-in held: ${lowText(2)}, but desired capacity 2 is at minSize 2`]);
        });

        it("removes at most maxScaleInPercent of the instances per run", () => {
            const p = plan(observed(fleet(20), { metrics: low, tasks: [] }), policy({ draining: { batchSize: 5 } }));
            assert.equal(drains(p).flatMap((d) => d.victims).length, 10, "50% of 20");
        });

        it("removes at least one instance when the percentage rounds to zero", () => {
            const p = plan(observed(fleet(5), { metrics: low, tasks: [] }), policy({ scaling: { maxScaleInPercent: 10 } }));
            assert.equal(drains(p).flatMap((d) => d.victims).length, 1);
        });

        it("splits victims into batches of batchSize with one wait each", () => {
            const p = plan(observed(fleet(20), { metrics: low, tasks: [] }), policy({ scaling: { maxScaleInPercent: 20 }, draining: { batchSize: 3 } }));
            assert.deepEqual(drains(p).map((d) => [d.batch, d.batches, d.victims.length, d.waitForActive]), [[1, 2, 3, 20], [2, 2, 1, 17]]);
            assert.deepEqual(drains(p).map((d) => d.reason.split(":")[0]), ["scale in 20 → 17", "scale in 17 → 16"]);
        });

        it("does not scale in when the tasks would not fit on the rest, and says why", () => {
            // In total the others have room (reservation after removal 87.5%), but no single instance does.
            const a = instance(1, { usedCpu: 1024, tasks: 1 });
            const b = instance(2, { usedCpu: 1280, tasks: 1 });
            const c = instance(3, { usedCpu: 1280, tasks: 1 });
            const tasks = [...tasksOn(a, 1, 1024, 100), ...tasksOn(b, 1, 1280, 100), ...tasksOn(c, 1, 1280, 100)];
            const p = plan(observed([a, b, c], { metrics: low, tasks }), policy({ scaling: { cpuHighPercent: 100, scaleInTargetPercent: 99 } }));
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, [`no scale-in: ${lowText(3, 99)}, but the 1 task of i-0001 would not fit on the 2 other ACTIVE instances: CPU on every other instance`]);
        });

        it("checks the fit task by task, not only in total", () => {
            // i-0001 is least used, but its 1024-CPU task fits on neither other instance (768 free each);
            // i-0002's two 640-CPU tasks fit, one on each of the others.
            const a = instance(1, { usedCpu: 1024, tasks: 1 });
            const b = instance(2, { usedCpu: 1280, tasks: 2 });
            const c = instance(3, { usedCpu: 1280, tasks: 1 });
            const tasks = [...tasksOn(a, 1, 1024, 100), ...tasksOn(b, 2, 640, 100), ...tasksOn(c, 1, 1280, 100)];
            const p = plan(observed([a, b, c], { metrics: low, tasks }), policy({ scaling: { cpuHighPercent: 100, scaleInTargetPercent: 99 } }));
            assert.deepEqual(drains(p).flatMap((d) => d.victims.map((v) => v.instanceId)), ["i-0002"]);
        });

        it("moves again the tasks an earlier victim was planned onto, when that instance is a candidate too", () => {
            // i-0001's 500-CPU task is planned onto i-0003 (best fit). i-0003 can then only go if its own
            // 1000 and that 500 both fit elsewhere: i-0002 has 1448 free, not 1500, so i-0003 stays.
            const a = instance(1, { usedCpu: 500, tasks: 1 });
            const b = instance(2, { usedCpu: 600, tasks: 1 });
            const c = instance(3, { usedCpu: 1000, tasks: 1 });
            const d = instance(4, { usedCpu: 1900, tasks: 1 });
            const tasks = [...tasksOn(a, 1, 500, 10), ...tasksOn(b, 1, 600, 10), ...tasksOn(c, 1, 1000, 10), ...tasksOn(d, 1, 1900, 10)];
            const p = plan(observed([a, b, c, d], { metrics: low, tasks }),
                policy({ scaling: { cpuHighPercent: 100, scaleInTargetPercent: 99, maxScaleInPercent: 100 }, draining: { batchSize: 10 } }));
            assert.deepEqual(drains(p).flatMap((x) => x.victims.map((v) => v.instanceId)), ["i-0001"]);
        });

        it("prefers Spot over On-Demand within the On-Demand base when usage is equal", () => {
            const od = instance(1, { lifecycle: "on-demand" });
            const spot = instance(2, { lifecycle: "spot" });
            const p = plan(observed([od, spot, instance(3, { usedCpu: 100 })], { metrics: low, tasks: [], onDemandBase: 1 }), policy());
            assert.equal(drains(p)[0].victims[0].instanceId, "i-0002");
        });

        it("removes On-Demand instances above the On-Demand base first, however used, then the least used", () => {
            const fleetOf = [instance(1, { lifecycle: "on-demand", usedCpu: 600 }), instance(2, { lifecycle: "on-demand", usedCpu: 500 }),
                instance(3, { usedCpu: 100 }), instance(4, { usedCpu: 300 }), instance(5, { usedCpu: 200 }), instance(6, { usedCpu: 700 })];
            const victims = (base: number) => drains(plan(observed(fleetOf, { metrics: low, tasks: [], onDemandBase: base }),
                policy({ scaling: { maxScaleInPercent: 50 }, draining: { batchSize: 10 } }))).flatMap((d) => d.victims.map((v) => v.instanceId));
            assert.deepEqual(victims(0), ["i-0002", "i-0001", "i-0003"], "both On-Demand above a base of 0, least used first, then the least used Spot");
            assert.deepEqual(victims(1), ["i-0002", "i-0003", "i-0005"], "one On-Demand above a base of 1: the less used one");
            assert.deepEqual(victims(2), ["i-0003", "i-0005", "i-0004"], "none above a base of 2");
            assert.deepEqual(drains(plan(observed(fleetOf, { metrics: low, tasks: [], onDemandBase: 2 }),
                policy({ scaling: { maxScaleInPercent: 100 }, draining: { batchSize: 10 } }))).flatMap((d) => d.victims.map((v) => v.instanceId)),
            ["i-0003", "i-0005", "i-0004", "i-0006"], "every Spot instance before those of the base, as far as the target allows");
        });

        it("removes the larger of two equally used instances first, then the older", () => {
            const big = { ...instance(1), instanceType: "m6i.xlarge" };
            big.container = { ...big.container!, registered: { cpu: 4096, memory: 15360 }, remaining: { cpu: 4096, memory: 15360 } };
            const older = { ...instance(2), launchTime: NOW - 7_200_000 };
            const newer = { ...instance(3), launchTime: NOW - 3_600_000 };
            const order = drains(plan(observed([newer, older, big, instance(4, { usedCpu: 1500 })], { metrics: { cpu: series(5), memory: series(5) }, tasks: [] }),
                policy({ scaling: { maxScaleInPercent: 100 }, draining: { batchSize: 10 } }))).flatMap((d) => d.victims.map((v) => v.instanceId));
            assert.deepEqual(order, ["i-0001", "i-0002", "i-0003"]);
        });

        it("passes over a larger instance whose going would cross the target, for a smaller one whose does not", () => {
            // An empty m6i.xlarge (4096 units) and three m6i.large nearly full (2000 of 2048 each): 6000 of 10240.
            // Without the xlarge, 6000 of 6144 (98%); without one large, 6000 of 8192 (73%), its tasks on the xlarge.
            const big = { ...instance(1), instanceType: "m6i.xlarge" };
            big.container = { ...big.container!, registered: { cpu: 4096, memory: 15360 }, remaining: { cpu: 4096, memory: 15360 } };
            const larges = [2, 3, 4].map((n) => instance(n, { usedCpu: 2000, usedMemory: 200, tasks: 2 }));
            const tasks = larges.flatMap((i) => tasksOn(i, 2, 1000, 100));
            const p = plan(observed([big, ...larges], { metrics: { cpu: series(59), memory: series(2) }, tasks }),
                policy({ scaling: { maxScaleInPercent: 100 }, draining: { batchSize: 10 } }));
            assert.deepEqual(drains(p).flatMap((d) => d.victims.map((v) => v.instanceId)), ["i-0002"], renderPlan(p).join("\n"));
        });

        it("stops before the reservation left would cross the scale-in target", () => {
            // 4 instances at 30% CPU: removing one gives 40%, two gives 60%, three gives 120%.
            const ins = fleet(4, { usedCpu: 614, tasks: 0 });
            const p = plan(observed(ins, { metrics: { cpu: series(30), memory: series(10) }, tasks: [] }),
                policy({ scaling: { maxScaleInPercent: 100 }, draining: { batchSize: 10 } }));
            assert.equal(drains(p)[0].victims.length, 2);
            // At 45% each: one gives 60%, two 90%, above the 85% target.
            const busier = fleet(4, { usedCpu: 922, tasks: 0 });
            const q = plan(observed(busier, { metrics: { cpu: series(45), memory: series(10) }, tasks: [] }),
                policy({ scaling: { maxScaleInPercent: 100 }, draining: { batchSize: 10 } }));
            assert.equal(drains(q)[0].victims.length, 1);
        });

        it("holds scale-in during the cooldown", () => {
            const p = plan(observed(fleet(4), { metrics: low, tasks: [], lastScalingActivity: NOW - 60_000 }), policy());
            assert.deepEqual(p.actions, []);
            assert.match(p.notes[0], /^scale-in held: .* within the 300 s scale-in cooldown \(240 s left\)$/);
        });

        it("finishes its own scale-in drain from an earlier run while reservation stays low", () => {
            const resumed = instance(1, { status: "DRAINING", mark: "scale-in" });
            const p = plan(observed([resumed, ...[2, 3, 4].map((n) => instance(n, { usedCpu: 800 }))], { metrics: low, tasks: [] }), policy());
            assert.deepEqual(drains(p)[0].victims.map((v) => v.instanceId), ["i-0001"]);
        });

        it("undoes its own scale-in drain once reservation is no longer low", () => {
            const resumed = instance(1, { status: "DRAINING", mark: "scale-in" });
            const p = plan(observed([resumed, instance(2), instance(3)], { metrics: { cpu: series(60), memory: series(60) } }), policy());
            assert.deepEqual(p.actions, [{ kind: "undrain", instanceId: "i-0001", containerInstanceArn: "arn:ci/i-0001",
                reason: "undrain i-0001: scale-in no longer needed (reservation is not below the low thresholds)" }]);
        });
    });

    describe("replacement", () => {
        const old = (n: number, o: Parameters<typeof instance>[1] = {}) => instance(n, { version: "3", tasks: 2, ...o });

        it("surges into the room below maxSize, then drains old instances in batches", () => {
            const p = plan(observed([old(1), old(2), old(3)], { maxSize: 6 }), policy({ draining: { batchSize: 2 } }));
            assert.deepEqual(p.actions[0], { kind: "set-desired", cause: "surge", from: 3, to: 6, waitForActive: 0, baseline: 3,
                reason: "surge 3 → 6: 3 instances to replace with launch template v4" });
            assert.deepEqual(drains(p).map((d) => [d.batch, d.waitForActive, d.victims.map((v) => [v.instanceId, v.decrement]), d.endsSurge]), [
                [1, 5, [["i-0001", true], ["i-0002", true]], false],
                [2, 4, [["i-0003", true]], true],
            ]);
        });

        it("renders each victim as replace <id> (launch template vN → vM): drain N tasks, batch b of B", () => {
            const p = plan(observed([old(1, { tasks: 7 }), instance(2), instance(3)], { maxSize: 3 }), policy({ draining: { minHealthyPercent: 50 } }));
            assert.deepEqual(renderPlan(p), ["replace i-0001 (launch template v3 → v4): drain 7 tasks, batch 1 of 1"]);
        });

        it("keeps minHealthyPercent of the baseline ACTIVE with a one-instance surge", () => {
            const ins = [old(1), old(2), old(3), old(4)];
            const p = plan(observed(ins, { maxSize: 5 }), policy({ draining: { batchSize: 4 } }));
            assert.equal(desiredChange(p)!.to, 5);
            // Each batch drains one: 5 ACTIVE before, 4 after; the three first are replaced, the last lowers desired.
            assert.deepEqual(drains(p).map((d) => [d.waitForActive, d.victims.length, d.victims[0].decrement]),
                [[5, 1, false], [5, 1, false], [5, 1, false], [5, 1, true]]);
        });

        it("is blocked without surge room at minHealthyPercent 100, and says what to change", () => {
            const p = plan(observed([old(1), old(2)], { maxSize: 2 }), policy());
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, ["replacement blocked: 2 instances on an old launch template, but maxSize 2 leaves no room to surge "
                + "and draining.minHealthyPercent 100 keeps 2 of 2 ACTIVE; raise maxSize (to 3 to replace 1 instance at a time) or lower draining.minHealthyPercent"]);
        });

        it("drains without surge when minHealthyPercent allows, letting the group replace each instance", () => {
            const p = plan(observed([old(1), old(2), old(3), old(4)], { maxSize: 4 }), policy({ draining: { minHealthyPercent: 50, batchSize: 2 } }));
            assert.equal(desiredChange(p), undefined);
            assert.deepEqual(drains(p).map((d) => [d.waitForActive, d.victims.map((v) => v.decrement)]),
                [[4, [false, false]], [4, [false, false]]]);
        });

        it("drains unregistered old instances first, at no cost to ACTIVE capacity", () => {
            const p = plan(observed([old(1), old(2, { registered: false }), instance(3)], { maxSize: 3 }), policy({ draining: { minHealthyPercent: 60 } }));
            // No surge room and 2 of 3 must stay ACTIVE: the unregistered one goes first, the other once its replacement is up.
            assert.deepEqual(drains(p).map((d) => [d.waitForActive, d.victims.map((v) => v.instanceId)]), [[0, ["i-0002"]], [3, ["i-0001"]]]);
        });

        it("resumes an interrupted replacement from the surge record and returns to the baseline", () => {
            // Before: 4 old, surged to 8, one old replaced with decrement: 3 old + 4 new, desired 7.
            const ins = [old(1, { status: "DRAINING", mark: "replace" }), old(2), old(3), ...[4, 5, 6, 7].map((n) => instance(n))];
            const p = plan(observed(ins, { desired: 7, maxSize: 8, surgeBaseline: 4 }), policy({ draining: { batchSize: 8 } }));
            assert.equal(desiredChange(p), undefined, "no second surge");
            const victims = drains(p).flatMap((d) => d.victims);
            assert.equal(victims[0].instanceId, "i-0001", "the drain under way finishes first");
            assert.deepEqual(victims.map((v) => v.decrement), [true, true, true]);
        });

        it("forgets a surge record whose capacity now serves a service that lacks room, and replaces nothing meanwhile", () => {
            // Surged 4 → 6 and undone: a service grew since and cannot place tasks; lowering back to 4 would leave it short.
            const unplaced = [{ name: "web", missing: 2, event: "(service web) was unable to place a task because no container instance met all of its "
                + "requirements. The closest matching container-instance c/1 has insufficient CPU units available." }];
            const p = plan(observed([old(1), old(2), old(3), old(4), instance(5), instance(6)], { desired: 6, maxSize: 6, surgeBaseline: 4, unplaced }),
                policy());
            assert.deepEqual(p.actions, [{ kind: "end-surge", baseline: 4, reason: "forget the surge record (desired was 4 before it): service web lacks room, "
                + "so the 6 instances now serve its tasks; the replacement surges anew from 6" }]);
        });

        it("forgets a surge record when the plan scales out for the tasks, so the replacement does not give that capacity back", () => {
            const p = plan(observed([old(1), old(2), old(3), old(4), instance(5), instance(6)], { desired: 6, maxSize: 12, surgeBaseline: 4,
                metrics: { cpu: series(95), memory: series(50) } }), policy());
            assert.deepEqual(kinds(p).slice(0, 2), ["set-desired", "end-surge"], renderPlan(p).join("\n"));
            const to = desiredChange(p)!.to;
            assert.equal(p.actions[1].reason, `forget the surge record (desired was 4 before it): this plan scales out to ${to} for the tasks; `
                + `the replacement surges anew from ${to}`);
            const surge = p.actions.find((a): a is Extract<Action, { kind: "set-desired" }> => a.kind === "set-desired" && a.cause === "surge");
            const decrements = drains(p).flatMap((d) => d.victims).filter((v) => v.decrement).length;
            assert.equal((surge?.to ?? to) - decrements, to, "the replacement ends at the scaled-out desired capacity, not at the old record of 4");
        });

        it("forgets the surge record when nothing is left to replace", () => {
            const p = plan(observed(fleet(4), { surgeBaseline: 4 }), policy());
            assert.deepEqual(p.actions, [{ kind: "end-surge", baseline: 4, reason: "replacement finished: forget the surge record (desired was 4 before it)" }]);
        });

        it("undoes its own replacement drain when the instance's version is current again", () => {
            const p = plan(observed([instance(1, { status: "DRAINING", mark: "replace" }), instance(2)]), policy());
            assert.deepEqual(kinds(p), ["undrain"]);
            assert.equal(p.actions[0].reason, "undrain i-0001: launch template v4 is current again");
        });

        it("leaves instances drained by someone else alone and says so", () => {
            const p = plan(observed([old(1, { status: "DRAINING" }), instance(2)], { maxSize: 4 }), policy());
            assert.deepEqual(p.actions, []);
            assert.deepEqual(p.notes, ["i-0001 is DRAINING but not by the scaler (Spot interruption notice or an operator): left alone"]);
        });

        it("treats an instance with no launch template version as outdated", () => {
            const unknown = { ...instance(1), launchTemplateVersion: undefined };
            const p = plan(observed([unknown, instance(2)], { maxSize: 3 }), policy());
            assert.equal(drains(p)[0].victims[0].reason, "launch template unknown → v4");
        });

        it("holds scale-in until the replacement is done", () => {
            const p = plan(observed([old(1), instance(2)], { maxSize: 3, metrics: { cpu: series(10), memory: series(10) }, tasks: [] }), policy());
            assert.ok(p.notes.some((n) => n.startsWith("scale-in held until the replacement is done")));
            assert.ok(drains(p).every((d) => d.purpose === "replace"));
        });
    });

    describe("notes", () => {
        const ecsHook = { name: "ecs-managed-draining-termination-hook", defaultResult: "CONTINUE" as const, heartbeatTimeoutSeconds: 3600 };

        it("says when no termination hook holds the group's own terminations, naming Capacity Rebalancing when it is on", () => {
            const p = plan(observed(fleet(2), { capacityRebalance: true, managedDrainingProviders: [], terminationHooks: [] }), policy());
            assert.deepEqual(p.notes, ["no termination lifecycle hook on the group: an instance it terminates on its own (Capacity Rebalancing is on, "
                + "a failed health check, an instance refresh) goes without a drain"]);
        });

        it("says when a capacity provider has managed draining on but its hook is not on the group", () => {
            const p = plan(observed(fleet(2), { managedDrainingProviders: ["cp-web"], terminationHooks: [] }), policy());
            assert.deepEqual(p.notes, ["no termination lifecycle hook on the group: an instance it terminates on its own (a failed health check, "
                + "an instance refresh) goes without a drain; capacity provider cp-web has managed draining on, but ECS puts its hook on the group "
                + "only while the capacity provider is associated with the cluster"]);
        });

        it("says nothing of hooks when a termination hook is on the group, or when the hooks were not read", () => {
            assert.deepEqual(plan(observed(fleet(2), { capacityRebalance: true, terminationHooks: [ecsHook] }), policy()).notes, []);
            assert.deepEqual(plan(observed(fleet(2), { capacityRebalance: true }), policy()).notes, []);
        });

        it("says that a hook defaulting to ABANDON makes the group skip the others when it times out", () => {
            const p = plan(observed(fleet(2), { terminationHooks: [ecsHook, { name: "backup", defaultResult: "ABANDON", heartbeatTimeoutSeconds: 300 }] }),
                policy());
            assert.deepEqual(p.notes, ["termination hook backup defaults to ABANDON: when it times out, the group skips the other hooks "
                + "(ecs-managed-draining-termination-hook) and terminates the instance"]);
        });
    });
});

describe("needsTasks", () => {
    it("asks for task details only when both reservations leave room for an instance to go", () => {
        assert.equal(needsTasks(observed(fleet(2), { metrics: { cpu: series(20), memory: series(20) } }), policy()), true);
        assert.equal(needsTasks(observed(fleet(2), { metrics: { cpu: series(20), memory: series(50) } }), policy()), false);
        assert.equal(needsTasks(observed(fleet(2, { tasks: 3 }), { metrics: { cpu: [], memory: [] } }), policy()), false);
    });

    it("counts a minute without a datapoint as 0% while no instance holds a task: ECS sends none then", () => {
        assert.equal(needsTasks(observed(fleet(2), { metrics: { cpu: [], memory: [] } }), policy()), true);
        // One minute of the delay with a datapoint above the threshold keeps it.
        assert.equal(needsTasks(observed(fleet(2), { metrics: { cpu: series(0, 4, [0, 0, 0, 60]), memory: [] } }), policy()), false);
    });
});
