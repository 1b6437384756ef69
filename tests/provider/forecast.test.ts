import { strict as assert } from "node:assert";
import { Action, Observed, ObservedInstance, ObservedTask, Plan, ServiceFacts } from "../../provider/model";
import { ASSUMED_BOOT_SECONDS, ASSUMED_DEREGISTRATION_DELAY_SECONDS, ASSUMED_TASK_START_SECONDS, forecastOf, ForecastFacts, observedBoot, servicesDrained } from "../../provider/planner/forecast";
import { isForecastLine, planHasActions, renderPlan } from "../../provider/render";
import { DEFAULT_DRAINING, DrainingPolicy } from "../../provider/settings";
import { buildCluster, newLaunchTemplateVersion, simReconcile, simSettings } from "../../provider/sim/scenario";
import { watchServices } from "../../provider/sim/serviceWatch";
import { simCloud, simDeps } from "../../provider/sim/cloud";
import { previewPlan } from "../../provider/reconcile";
import { Cloud } from "../../provider/cloud";
import { NOW, instance, observed, tasksOn } from "../helpers/observed";

const draining = (o: Partial<DrainingPolicy> = {}): DrainingPolicy => ({ ...DEFAULT_DRAINING, ...o });

/** A replacement drain batch of `victims`. */
function batch(n: number, of: number, victims: ObservedInstance[]): Extract<Action, { kind: "drain" }> {
    return { kind: "drain", purpose: "replace", batch: n, batches: of, waitForActive: 0, endsSurge: n === of, reason: "",
        victims: victims.map((v) => ({ instanceId: v.instanceId, containerInstanceArn: v.container!.arn, lifecycle: "spot", tasks: 0, decrement: true,
            reason: "launch template v3 → v4" })) };
}

function service(o: Partial<ServiceFacts> = {}): ServiceFacts {
    return { desired: 6, running: 6, daemon: false, minimumHealthyPercent: 50, maximumPercent: 200, targetGroupArns: [], stopTimeoutSeconds: 30, ...o };
}

function facts(services: Record<string, ServiceFacts>, delays: Record<string, number> = {}, instanceTargetGroupArns: string[] = []): ForecastFacts {
    return { services, delays, instanceTargetGroupArns };
}

/** Three old instances with two `web` tasks each, and a fourth, new one. */
function threeOld(extra: (i: ObservedInstance[]) => ObservedTask[] = () => []): { o: Observed; old: ObservedInstance[] } {
    const old = [1, 2, 3].map((n) => instance(n, { version: "3", tasks: 2 }));
    const fresh = instance(4);
    const tasks = [...old.flatMap((i) => tasksOn(i, 2, 256, 256)), ...extra([...old, fresh])];
    return { o: observed([...old, fresh], { tasks }), old };
}

const oneByOne = (old: ObservedInstance[]): Plan => ({ actions: old.map((i, k) => batch(k + 1, old.length, [i])), notes: [] });

describe("the plan's forecast", () => {
    describe("each service's lowest running count", () => {
        it("counts the tasks of every batch so far: a moved task may land on a later batch's instance and be stopped again, never below the minimum healthy count", () => {
            const { o, old } = threeOld();
            const f = forecastOf(oneByOne(old), o, facts({ web: service() }), draining())!;
            assert.deepEqual(f.services, [{
                service: "web", desired: 6, running: 6, minimumHealthyPercent: 50, maximumPercent: 200, lowest: 3, lowestDuring: "replace batch 2 of 3",
                tasksBy: [{ step: "replace batch 1 of 3", tasks: 2 }, { step: "replace batch 2 of 3", tasks: 2 }, { step: "replace batch 3 of 3", tasks: 2 }],
                tasksDrained: 6, cannotMove: false,
            }]);
        });

        it("with minimumHealthyPercent 0 the service may run no task at all by the last batch", () => {
            const { o, old } = threeOld();
            const f = forecastOf(oneByOne(old), o, facts({ web: service({ minimumHealthyPercent: 0 }) }), draining())!;
            assert.equal(f.services[0].lowest, 0);
            assert.equal(f.services[0].lowestDuring, "replace batch 3 of 3");
        });

        it("with minimumHealthyPercent 100 it never runs fewer than its desired count (ECS starts the new task first)", () => {
            const { o, old } = threeOld();
            const f = forecastOf(oneByOne(old), o, facts({ web: service({ minimumHealthyPercent: 100 }) }), draining())!;
            assert.equal(f.services[0].lowest, 6);
            assert.ok(renderPlan({ actions: oneByOne(old).actions, forecast: f, notes: [] })[0]
                .startsWith("service web: never below 6 of 6 tasks running (minimumHealthyPercent 100, maximumPercent 200)"));
        });

        it("starts from what runs now when the service is short already, and says so", () => {
            const { o, old } = threeOld();
            const f = forecastOf({ actions: [batch(1, 1, old)], notes: [] }, o, facts({ web: service({ running: 5, minimumHealthyPercent: 0 }) }), draining())!;
            assert.equal(f.services[0].lowest, 0);
            const line = renderPlan({ actions: [], forecast: f, notes: [] }).find((l) => l.startsWith("service web"))!;
            assert.ok(line.includes("as few as 0 of 6 tasks running, from replace batch 1 of 1 (5 running now)"), line);
        });

        it("lists no daemon service and no service the drains do not touch", () => {
            const { o, old } = threeOld((all) => [...tasksOn(all[0], 1, 64, 64, "service:agent").map((t) => ({ ...t, arn: `${t.arn}/agent`, daemon: true })),
                ...tasksOn(all[3], 1, 64, 64, "service:api")]);
            const f = forecastOf(oneByOne(old), o, facts({ web: service(), agent: service({ daemon: true }), api: service() }), draining())!;
            assert.deepEqual(f.services.map((s) => s.service), ["web"]);
            assert.deepEqual(servicesDrained(oneByOne(old), o).sort(), ["agent", "web"]);
        });
    });

    describe("drains that cannot work, named first with the setting to change", () => {
        it("a service ECS can neither stop first (minimum healthy 100%) nor start one more for (maximum rounds down to the desired count)", () => {
            const { o, old } = threeOld();
            const f = forecastOf(oneByOne(old), o, facts({ web: service({ minimumHealthyPercent: 100, maximumPercent: 100 }) }), draining())!;
            assert.deepEqual(f.blockers, [{ subject: "service web",
                problem: "minimumHealthyPercent 100 and maximumPercent 100 of 6 desired: ECS may neither stop a task before another runs nor start one more, "
                    + "so its 6 tasks on the drained instances cannot move; the drain waits out its timeout (900 s), then fails",
                change: "set its deploymentConfiguration.maximumPercent to 117 or more, or minimumHealthyPercent to 83 or less" }]);
            assert.equal(f.services[0].cannotMove, true);
            assert.equal(f.services[0].lowest, 6);
            const lines = renderPlan({ actions: oneByOne(old).actions, forecast: f, notes: [] });
            assert.ok(lines[0].startsWith("blocked: service web: minimumHealthyPercent 100 and maximumPercent 100"), lines[0]);
        });

        it("rounds as ECS does: 150% of one task is one, so a single task with minimum 100% cannot move; 134% of three is four, so it can", () => {
            const { o, old } = threeOld();
            const one = forecastOf(oneByOne(old), o, facts({ web: service({ desired: 1, running: 1, minimumHealthyPercent: 100, maximumPercent: 150 }) }), draining())!;
            assert.equal(one.blockers[0].change, "set its deploymentConfiguration.maximumPercent to 200 or more, or minimumHealthyPercent to 0 or less");
            const three = forecastOf(oneByOne(old), o, facts({ web: service({ desired: 3, running: 3, minimumHealthyPercent: 100, maximumPercent: 134 }) }), draining())!;
            assert.deepEqual(three.blockers, []);
        });

        it("a standalone task: the batch fails under standaloneTasks \"fail\", the task is stopped under \"stop\"", () => {
            const { o, old } = threeOld((all) => tasksOn(all[1], 1, 64, 64, "family:job"));
            const fail = forecastOf(oneByOne(old), o, facts({ web: service() }), draining({ standaloneTasks: "fail" }))!;
            assert.deepEqual(fail.blockers, [{ subject: "task 0 (family:job) on i-0002",
                problem: "a standalone task, which ECS does not move: with draining.standaloneTasks \"fail\", replace batch 2 of 3 fails at the drain timeout (900 s) with it running",
                change: "stop it before the up, or set draining.standaloneTasks to \"stop\"" }]);
            const stop = forecastOf(oneByOne(old), o, facts({ web: service() }), draining({ standaloneTasks: "stop" }))!;
            assert.ok(stop.blockers[0].problem.endsWith("the scaler stops it at the drain timeout (900 s) (draining.standaloneTasks \"stop\")"), stop.blockers[0].problem);
        });

        it("a task bound by memberOf to what no ACTIVE instance that stays offers", () => {
            const { o, old } = threeOld((all) => tasksOn(all[0], 1, 64, 64, "service:zonal")
                .map((t) => ({ ...t, arn: `${t.arn}/z`, needs: { memberOf: ["attribute:ecs.availability-zone == us-east-1a"] } })));
            for (const i of o.instances) i.container!.attributes = { "ecs.availability-zone": i.instanceId === "i-0001" ? "us-east-1a" : "us-east-1b" };
            const f = forecastOf(oneByOne(old), o, facts({ web: service(), zonal: service({ desired: 1, running: 1 }) }), draining())!;
            assert.deepEqual(f.blockers.map((b) => b.subject), ["task z (service:zonal) on i-0001"]);
            assert.ok(f.blockers[0].problem.startsWith("it needs memberOf(attribute:ecs.availability-zone == us-east-1a), which no ACTIVE instance that stays meets"));
        });
    });

    describe("the estimated duration", () => {
        it("moves each service's tasks in waves of what its deployment configuration lets ECS have in flight, each its deregistration delay, stop timeout and, when one side must wait, the new task's start", () => {
            const { o, old } = threeOld();
            const tg = "arn:tg/web";
            // 4 desired, minimum 100%, maximum 125%: one task in flight at a time, the new one started first.
            const f = forecastOf({ actions: [batch(1, 1, [old[0]])], notes: [] }, o,
                facts({ web: service({ desired: 4, running: 4, minimumHealthyPercent: 100, maximumPercent: 125, targetGroupArns: [tg], stopTimeoutSeconds: 20 }) },
                    { [tg]: 60 }), draining())!;
            assert.equal(f.estimateSeconds, 2 * (60 + 20 + ASSUMED_TASK_START_SECONDS));
            assert.deepEqual(f.steps, [{ step: "replace batch 1 of 1", instanceIds: ["i-0001"], seconds: 220, why: "web moves 2 tasks" }]);
        });

        it("waits at least the instance target groups' deregistration delay, and the new instances' boot as the newest instances took", () => {
            const { o, old } = threeOld();
            o.instances.forEach((i, k) => Object.assign(i, { launchTime: NOW - 3_600_000 + k * 1000 }) && Object.assign(i.container!, { registeredAt: NOW - 3_600_000 + k * 1000 + (100 + k) * 1000 }));
            assert.deepEqual(observedBoot(o), { seconds: 102, samples: 4 });
            const surge: Action = { kind: "set-desired", cause: "surge", from: 4, to: 7, waitForActive: 0, reason: "" };
            const f = forecastOf({ actions: [surge, batch(1, 1, old)], notes: [] }, o, facts({ web: service() }, { "arn:tg/instances": 300 }, ["arn:tg/instances"]), draining())!;
            assert.deepEqual(f.steps.map((s) => [s.step, s.seconds, s.why]), [
                ["new instances (surge)", 102, "the median boot of the 4 newest instances"],
                ["replace batch 1 of 1", 300, "the instance target groups' 300 s deregistration delay"],
            ]);
            assert.equal(f.estimateSeconds, 402);
            const none = forecastOf({ actions: [surge, batch(1, 1, old)], notes: [] }, threeOld().o, facts({ web: service() }), draining())!;
            assert.equal(none.steps[0].seconds, ASSUMED_BOOT_SECONDS);
        });

        it("ends at the first batch that fails: no batch after it starts", () => {
            const { o, old } = threeOld();
            const f = forecastOf(oneByOne(old), o, facts({ web: service({ minimumHealthyPercent: 100, maximumPercent: 100 }) }), draining({ timeoutSeconds: 600 }))!;
            assert.deepEqual(f.steps.map((s) => s.step), ["replace batch 1 of 3"]);
            assert.equal(f.estimateSeconds, 600);
            assert.equal(f.steps[0].why, "web cannot move: the drain timeout, then the up fails");
        });

        it("counts the drains of instances the group terminates alongside the batches, not after them", () => {
            const { o, old } = threeOld();
            const hook: Action = { kind: "hook-drain", hook: "spot-ecs-drain", heartbeatSeconds: 300, reason: "",
                victims: [{ instanceId: "i-0003", containerInstanceArn: old[2].container!.arn, tasks: 2, retained: false }] };
            const f = forecastOf({ actions: [hook, batch(1, 2, [old[0]]), batch(2, 2, [old[1]])], notes: [] }, o, facts({ web: service() }), draining())!;
            assert.deepEqual(f.steps.map((s) => [s.step, s.seconds]), [["the hook's drains", 30], ["replace batch 1 of 2", 30], ["replace batch 2 of 2", 30]]);
            assert.equal(f.estimateSeconds, 60);
            // The hook's tasks count from the start: by batch 1 the service may have lost 4.
            assert.equal(f.services[0].lowest, 3);
            assert.equal(f.services[0].lowestDuring, "replace batch 1 of 2");
        });
    });

    it("says a plan of many batches in a few words: runs of alike batches as one, a service's first three steps and the rest summed", () => {
        const many = Array.from({ length: 40 }, (_, k) => instance(k + 1, { version: "3", tasks: 2 }));
        const o = observed(many, { tasks: many.flatMap((i) => tasksOn(i, 2, 256, 256)) });
        const f = forecastOf(oneByOne(many), o, facts({ web: service({ desired: 80, running: 80 }) }, { "arn:tg/i": 300 }, ["arn:tg/i"]), draining())!;
        assert.equal(f.steps.length, 40, "the data keeps every step");
        assert.equal(f.services[0].tasksBy.length, 10, "and a service's first ten steps");
        const [serviceLine, estimate] = renderPlan({ actions: [], forecast: f, notes: [] });
        assert.equal(serviceLine, "service web: as few as 40 of 80 tasks running, from replace batch 20 of 40 (minimumHealthyPercent 50, maximumPercent 200); "
            + "its tasks on the instances drained: 2 in replace batch 1 of 40, 2 in replace batch 2 of 40, 2 in replace batch 3 of 40, 74 more in later steps");
        assert.equal(estimate, "estimate: about 3 h 20 min (replace batches 1 to 40 of 40 5 min each: the instance target groups' 300 s deregistration delay); "
            + "longer than draining.maxUpdateSeconds (3600 s): the up stops there, and the next run goes on");
        assert.equal(f.maxUpdateSeconds, 3600);
    });

    it("is made only for a plan that drains", () => {
        const { o } = threeOld();
        const scaleOut: Action = { kind: "set-desired", cause: "scale-out", from: 4, to: 5, waitForActive: 5, reason: "scale out 4 → 5" };
        assert.equal(forecastOf({ actions: [scaleOut], notes: [] }, o, facts({}), draining()), undefined);
    });

    it("comes first in the rendered plan, and its lines are not actions", () => {
        const { o, old } = threeOld((all) => tasksOn(all[1], 1, 64, 64, "family:job"));
        const p = oneByOne(old);
        const f = forecastOf(p, o, facts({ web: service() }), draining())!;
        const lines = renderPlan({ ...p, forecast: f, notes: ["a note"] });
        assert.deepEqual(lines.map((l) => l.split(":")[0]), ["blocked", "service web", "estimate",
            ...old.map((i) => `replace ${i.instanceId} (launch template v3 → v4)`), "note"]);
        assert.ok(lines.slice(0, 3).every(isForecastLine));
        assert.equal(planHasActions(lines.slice(0, 3)), false, "the forecast alone is nothing to carry out");
        assert.equal(planHasActions(lines), true);
    });
});

describe("the forecast on the simulated cluster", () => {
    it("is what the replacement puts the service through: the lowest count is reached, never passed, and the run records its seconds against the estimate", async () => {
        const w = buildCluster({ instances: 3, targetGroups: 1, services: [{ name: "web", count: 6, cpu: 256, memory: 256, minHealthyPercent: 50, maxPercent: 200,
            loadBalanced: true }], timings: { deregistrationDelaySeconds: 60, taskStopSeconds: 20 } });
        w.clock.advance(6 * 60_000);
        newLaunchTemplateVersion(w);
        const watch = watchServices(w);
        const r = await simReconcile(w, simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion, targetGroupArns: w.group.targetGroupArns,
            draining: { ...DEFAULT_DRAINING, batchSize: 3 } }));
        const f = r.report.forecast!;
        assert.ok(r.plan.forecast !== undefined && r.lines.length > 0);
        assert.deepEqual(renderPlan(r.plan).slice(0, 2).map((l) => l.split(":")[0]), ["service web", "estimate"]);
        const ran = watch.stop(f);
        assert.equal(f.services[0].lowest, 3, "6 tasks, minimum healthy 50%, all in one batch");
        assert.equal(ran.web, 3, "ECS took it down to its minimum healthy count, not below");
        assert.ok(Math.abs(f.actualSeconds - f.estimateSeconds) <= 0.25 * f.estimateSeconds, `estimate ${f.estimateSeconds} s, actual ${f.actualSeconds} s`);
        assert.deepEqual(w.violations, []);
    });

    it("reads the instance target groups for a plan that drains only empty instances: their deregistration delay is the drain's floor", async () => {
        const w = buildCluster({ instances: 2, targetGroups: 1, timings: { deregistrationDelaySeconds: 120 } });
        w.clock.advance(6 * 60_000);
        newLaunchTemplateVersion(w);
        const p = await w.clock.run(previewPlan(simCloud(w), simDeps(w), simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion,
            targetGroupArns: w.group.targetGroupArns })));
        const drains = p.plan.forecast!.steps.filter((x) => x.step.startsWith("replace"));
        assert.ok(drains.length > 0);
        assert.deepEqual([...new Set(drains.map((x) => `${x.seconds} ${x.why}`))], ["120 the instance target groups' 120 s deregistration delay"]);
    });

    it("assumes ELB's default deregistration delay for a service's target group it cannot read, rather than fail the preview", async () => {
        const w = buildCluster({ instances: 2, services: [{ name: "web", count: 2, cpu: 256, memory: 256, minHealthyPercent: 50, loadBalanced: true }],
            timings: { deregistrationDelaySeconds: 20, taskStopSeconds: 10 } });
        w.clock.advance(6 * 60_000);
        newLaunchTemplateVersion(w);
        const settings = simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion });
        const read = async (cloud: Cloud) => (await w.clock.run(previewPlan(cloud, simDeps(w), settings))).plan.forecast!;
        const base = simCloud(w);
        const readable = await read(base);
        const refused = await read({ ...base, targetGroups: async (arns) => {
            if (arns.some((a) => a.includes("targetgroup/svc-"))) throw Object.assign(new Error("One or more target groups not found"), { name: "TargetGroupNotFoundException" });
            return base.targetGroups(arns);
        } });
        assert.deepEqual([readable.steps[1].seconds, refused.steps[1].seconds], [20 + 10, ASSUMED_DEREGISTRATION_DELAY_SECONDS + 10]);
    });
});
