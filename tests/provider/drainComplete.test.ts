// When a drain is over, as ECS defines it, and the AWS edge cases around it: on the simulated cluster
// (whose tasks keep running through DEACTIVATING and STOPPING after their desired status is STOPPED)
// and in the planner.
import { strict as assert } from "node:assert";
import { Cloud } from "../../provider/cloud";
import { isScalerRunError } from "../../provider/run";
import { DRAIN_MARK_ATTRIBUTE } from "../../provider/model";
import { observe } from "../../provider/observe";
import { plan } from "../../provider/planner";
import { renderPlan } from "../../provider/render";
import { reconcile } from "../../provider/reconcile";
import { simCloud, simDeps } from "../../provider/sim/cloud";
import { buildCluster, ClusterSpec, newLaunchTemplateVersion, simReconcile, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";
import { instance, observed, policy } from "../helpers/observed";

const MINUTE = 60_000;

function scenario(spec: ClusterSpec): SimWorld {
    const world = buildCluster(spec);
    world.clock.advance(11 * MINUTE);
    return world;
}

function assertNothingLost(world: SimWorld): void {
    assert.deepEqual(world.violations, [], "no invariant was violated at any tick");
    assert.deepEqual(world.killedTasks().map((t) => `${t.family} killed by ${t.stoppedBy}`), [], "no task was killed");
}

/** Every task ever placed on an instance the scaler terminated reached STOPPED before it was terminated. */
function assertStoppedBeforeTermination(world: SimWorld): number {
    let checked = 0;
    for (const inst of world.instances.values()) {
        if (inst.terminatedBy !== "scaler") continue;
        for (const t of world.tasks.values()) {
            if (t.instanceId !== inst.id) continue;
            assert.equal(t.status, "STOPPED", `${t.arn} on ${inst.id}`);
            assert.ok(t.stoppedAt! <= inst.terminatedAt!, `${t.family} on ${inst.id} stopped at ${t.stoppedAt}, instance terminated at ${inst.terminatedAt}`);
            checked++;
        }
    }
    return checked;
}

/** A Cloud whose `terminateInstance` throws `error` the first `times` calls. */
function refusingTerminate(cloud: Cloud, error: () => Error, times: number): Cloud & { attempts: () => number } {
    let attempts = 0;
    return {
        ...cloud,
        attempts: () => attempts,
        terminateInstance: async (id, decrement) => {
            attempts++;
            if (attempts <= times) throw error();
            return cloud.terminateInstance(id, decrement);
        },
    };
}

describe("a drain ends when every task on the instance is STOPPED", () => {
    it("the simulated container instance counts only tasks ECS means to run, as ECS does", () => {
        const world = scenario({ instances: 2, services: [{ name: "web", count: 2, cpu: 256, memory: 256, loadBalanced: true }],
            timings: { deregistrationDelaySeconds: 120, taskStopSeconds: 30 } });
        const cloud = simCloud(world);
        const [task] = world.serviceTasks("web");
        world.requestStop(task, "stop-task", "operator");
        return world.clock.run((async () => {
            const [c] = await cloud.describeContainerInstances([world.instances.get(task.instanceId)!.container!.arn]);
            assert.equal(c.runningTasks, 0, "a task whose desired status is STOPPED is not counted");
            const listed = async () => (await cloud.listTasksOn(c.arn)).filter((t) => t.arn === task.arn);
            assert.deepEqual((await listed()).map((t) => [t.desiredStatus, t.lastStatus]), [["STOPPED", "DEACTIVATING"]]);
            await world.clock.sleep(121_000);
            assert.deepEqual((await listed()).map((t) => t.lastStatus), ["STOPPING"]);
            await world.clock.sleep(30_000);
            assert.deepEqual(await listed(), [], "STOPPED: no longer listed");
        })());
    });

    it("replaces instances of a load-balanced service only after their tasks have deactivated and stopped", async () => {
        const world = scenario({ instances: 4, maxSize: 8, targetGroups: 1,
            services: [{ name: "web", count: 8, cpu: 256, memory: 256, minHealthyPercent: 50, maxPercent: 200, loadBalanced: true }],
            timings: { deregistrationDelaySeconds: 120, taskStopSeconds: 60 } });
        newLaunchTemplateVersion(world);
        const r = await simReconcile(world, simSettings(world, { targetGroupArns: world.group.targetGroupArns,
            launchTemplateVersion: "2", draining: { batchSize: 2 } }));
        assert.ok(world.liveInstances().every((i) => i.ltVersion === "2"), "every instance was replaced");
        assert.ok(r.lines.some((l) => /still stopping \((DEACTIVATING|STOPPING) ×\d+/.test(l)), "the run waited on tasks being stopped");
        assert.equal(assertStoppedBeforeTermination(world), 8, "the eight original tasks were all checked");
        assertNothingLost(world);
    });

    it("gives standalone tasks it stopped their stop timeout before terminating", async () => {
        const world = scenario({ instances: 3, maxSize: 6, services: [{ name: "web", count: 3, cpu: 256, memory: 256 }],
            standalone: [{ family: "report", cpu: 128, memory: 128, onInstance: 0 }], timings: { taskStopSeconds: 90 } });
        const holder = world.liveInstances()[0];
        newLaunchTemplateVersion(world);
        await simReconcile(world, simSettings(world, { launchTemplateVersion: "2", draining: { timeoutSeconds: 60, standaloneTasks: "stop" } }));
        const report = [...world.tasks.values()].find((t) => t.family === "report")!;
        assert.equal(report.stopCause, "stop-task");
        assert.ok(report.stoppedAt! - report.stopRequestedAt! >= 90_000, "it spent its stop timeout STOPPING");
        assert.ok(holder.terminatedAt! >= report.stoppedAt!);
        assertNothingLost(world);
    });
});

describe("drain edge cases that real AWS has", () => {
    it("registers an undrained instance again in its target groups", async () => {
        const world = scenario({ instances: 5, targetGroups: 1, services: [{ name: "web", count: 4, cpu: 256, memory: 256 }],
            standalone: [{ family: "job", cpu: 128, memory: 128, onInstance: 4 }] });
        const [tg] = world.group.targetGroupArns;
        const s = simSettings(world, { targetGroupArns: [tg], draining: { maxUpdateSeconds: 60, timeoutSeconds: 30 } });
        await simReconcile(world, s).then(() => assert.fail("the standalone job holds the drain"), (e) => assert.ok(isScalerRunError(e)));
        const [drained] = world.liveInstances().filter((i) => i.container?.status === "DRAINING");
        world.clock.advance(6 * MINUTE);
        assert.equal(world.targetGroups.get(tg)!.get(drained.id), undefined, "the drain took it out of the target group");
        world.setServiceDesired("web", 30);
        world.clock.advance(6 * MINUTE);
        const second = await simReconcile(world, { ...s, draining: { ...s.draining, maxUpdateSeconds: 3600 } });
        assert.equal(second.plan.actions[0].kind, "undrain");
        assert.equal(drained.container!.status, "ACTIVE");
        assert.equal(world.targetGroups.get(tg)!.get(drained.id)?.state, "healthy", "it serves traffic again");
        assert.ok(second.lines.some((l) => l === `[sim] ${drained.id} is ACTIVE again and registered in targetgroup/web-1`), second.lines.join("\n"));
    });

    it("undoes many drains at once, with one request per step for them all", async () => {
        const world = scenario({ instances: 12, targetGroups: 1, services: [{ name: "web", count: 24, cpu: 256, memory: 256 }] });
        const [tg] = world.group.targetGroupArns;
        // A replacement was under way, and the group is back on the version those instances run.
        for (const i of world.liveInstances()) {
            i.container!.attributes[DRAIN_MARK_ATTRIBUTE] = "replace";
            world.setContainerStatus(i.container!.arn, "DRAINING", "scaler");
            world.deregisterTarget(tg, i.id, "scaler");
        }
        world.clock.advance(MINUTE);
        const r = await simReconcile(world, simSettings(world, { targetGroupArns: [tg] }));
        assert.equal(r.plan.actions.filter((a) => a.kind === "undrain").length, 12, r.lines.join("\n"));
        assert.ok(world.liveInstances().every((i) => i.container!.status === "ACTIVE" && world.targetGroups.get(tg)!.get(i.id)?.state !== undefined));
        assert.deepEqual([r.cloud.requests.UpdateContainerInstancesState, r.cloud.requests.DeleteAttributes, r.cloud.requests.RegisterTargets], [1, 1, 1],
            JSON.stringify(r.cloud.requests));
    });

    it("clears a drain mark left on an ACTIVE instance by a run that stopped before draining it", async () => {
        const world = scenario({ instances: 4, services: [{ name: "web", count: 22, cpu: 256, memory: 768 }] });
        const marked = world.liveInstances()[1];
        marked.container!.attributes[DRAIN_MARK_ATTRIBUTE] = "replace";
        const r = await simReconcile(world, simSettings(world));
        assert.deepEqual(renderPlan(r.plan), [`clear the drain mark on ACTIVE ${marked.id}: left by a run that stopped before draining it`]);
        assert.equal(marked.container!.attributes[DRAIN_MARK_ATTRIBUTE], undefined);
        assert.equal(marked.container!.status, "ACTIVE");
        // A later drain by someone else is then seen as theirs and left alone.
        world.setContainerStatus(marked.container!.arn, "DRAINING", "operator");
        const after = await simReconcile(world, simSettings(world));
        assert.ok(after.plan.notes.some((n) => n.startsWith(`${marked.id} is DRAINING but not by the scaler`)));
        assert.equal(marked.container!.status, "DRAINING");
    });

    it("keeps DRAINING a Spot instance whose interruption notice came after the scaler's drain began", async () => {
        const world = scenario({ instances: 4, maxSize: 8, services: [{ name: "web", count: 4, cpu: 256, memory: 256 }],
            standalone: [{ family: "job", cpu: 128, memory: 128, onInstance: 0 }] });
        const spot = world.liveInstances()[0];
        newLaunchTemplateVersion(world);
        const s = simSettings(world, { launchTemplateVersion: "2", draining: { timeoutSeconds: 30, maxUpdateSeconds: 300 } });
        await simReconcile(world, s).then(() => undefined, () => undefined);
        assert.equal(spot.container!.status, "DRAINING");
        world.interrupt(spot.id);
        // The rollout is called off: v1 is current again, so drains for "replace" are no longer needed.
        world.group.launchTemplateVersion = "1";
        const cloud = simCloud(world);
        const o = await world.clock.run(observe(cloud, { ...s, launchTemplateVersion: "1" }, policy(), world.now));
        assert.equal(o.instances.find((i) => i.instanceId === spot.id)!.spotInterrupted, true);
        const p = plan(o, policy());
        assert.ok(!p.actions.some((a) => a.kind === "undrain" && a.instanceId === spot.id), "no tasks are put back on it");
        assert.ok(p.notes.includes(`${spot.id} stays DRAINING although its drain is no longer needed: its Spot interruption notice has been given`));
    });

    it("in the planner, undrains an uninterrupted instance and not an interrupted one", () => {
        const o = observed([
            instance(1, { status: "DRAINING", mark: "replace" }),
            { ...instance(2, { status: "DRAINING", mark: "replace" }), spotInterrupted: true },
            instance(3), instance(4),
        ]);
        const p = plan(o, policy());
        assert.deepEqual(p.actions.map((a) => a.kind === "undrain" ? a.instanceId : a.kind), ["i-0001"]);
    });

    it("leaves a drained instance in the cluster when the group refuses to terminate it, and finishes it next run", async () => {
        const world = scenario({ instances: 3, maxSize: 6, services: [{ name: "web", count: 3, cpu: 256, memory: 256 }] });
        newLaunchTemplateVersion(world);
        const s = simSettings(world, { launchTemplateVersion: "2" });
        const refusing = refusingTerminate(simCloud(world), () => Object.assign(new Error(
            "Currently, desiredSize equals minSize (3). Terminating instance without replacement will violate group's min size constraint."),
        { name: "ValidationError", $metadata: { httpStatusCode: 400 } }), 1);
        const error = await world.clock.run(reconcile(refusing, simDeps(world), s)).then(() => undefined, (e) => e);
        assert.ok(isScalerRunError(error));
        assert.match(error.message, /Auto Scaling refused to terminate it \(Currently, desiredSize equals minSize \(3\)\..*\); it stays DRAINING in the cluster/);
        const refused = world.liveInstances().find((i) => i.ltVersion === "1" && i.container?.status === "DRAINING");
        assert.ok(refused !== undefined, "the refused instance is still registered, DRAINING");
        await simReconcile(world, s);
        assert.ok(world.liveInstances().every((i) => i.ltVersion === "2"), "the next run finished it");
        assertNothingLost(world);
    });

    it("retries a termination refused while a scaling activity is in progress", async () => {
        const world = scenario({ instances: 3, maxSize: 6, services: [{ name: "web", count: 3, cpu: 256, memory: 256 }] });
        newLaunchTemplateVersion(world);
        const s = simSettings(world, { launchTemplateVersion: "2" });
        const refusing = refusingTerminate(simCloud(world), () => Object.assign(new Error("Scaling activity 1234 is in progress and blocks this action."),
            { name: "ScalingActivityInProgressFault", $metadata: { httpStatusCode: 400 } }), 2);
        const r = await world.clock.run(reconcile(refusing, simDeps(world), s));
        assert.equal(refusing.attempts(), 5, "two refusals, then the three terminations");
        assert.deepEqual([...new Set(Object.values(r.report.instances))], ["terminated"]);
        assertNothingLost(world);
    });
});

describe("the service health gate", () => {
    /** A Cloud whose serviceHealth reports `web` short of one task until `untilMs` (epoch ms), with ECS's event. */
    function shortUntil(world: SimWorld, untilMs: number): Cloud {
        const cloud = simCloud(world);
        return {
            ...cloud,
            serviceHealth: async (names) => {
                const health = await cloud.serviceHealth(names);
                if (world.now < untilMs && health.web !== undefined) {
                    health.web = { ...health.web, running: health.web.desired - 1,
                        event: "(service web) was unable to place a task because no container instance met all of its requirements." };
                }
                return health;
            },
        };
    }

    /** 24 tasks of 256 CPU units on 5 instances (60%): one of them may go within the 85% scale-in target (75% after), not two (100%). */
    function scaleInWorld(): SimWorld {
        return scenario({ instances: 5, services: [{ name: "web", count: 24, cpu: 256, memory: 256 }] });
    }

    it("holds a drain batch while a service on it is short, naming the service and ECS's event, then goes on", async () => {
        const world = scaleInWorld();
        const lines: string[] = [];
        const cloud = shortUntil(world, world.now + 3 * MINUTE);
        const r = await world.clock.run(reconcile(cloud, simDeps(world, 1, (l) => lines.push(l)), simSettings(world)));
        assert.ok(lines.some((l) => /^\[sim\] holding before batch 1 of 1 \(scale-in\): service web: 23 of 24 tasks running \(ECS: \(service web\) was unable to place a task/.test(l)),
            lines.join("\n"));
        assert.deepEqual(Object.values(r.report.instances), ["terminated"]);
        assertNothingLost(world);
    });

    it("fails at the drain timeout without draining anything while the service stays short", async () => {
        const world = scaleInWorld();
        const cloud = shortUntil(world, Infinity);
        const error = await world.clock.run(reconcile(cloud, simDeps(world), simSettings(world, { draining: { timeoutSeconds: 120 } }))).then(() => undefined, (e) => e);
        assert.ok(isScalerRunError(error));
        assert.match(error.message, /^before batch 1 of 1 \(scale-in\): service web: 23 of 24 tasks running .* after 120 s; nothing was drained for it\./);
        assert.ok(world.liveInstances().every((i) => i.container?.status === "ACTIVE"), "no instance was set DRAINING");
    });

    it("holds the termination of an emptied instance while a service it ran is short", async () => {
        const world = scaleInWorld();
        const lines: string[] = [];
        // Short from the moment the drain starts, for three minutes.
        let cloud: Cloud = simCloud(world);
        const base = cloud;
        let shortFrom: number | undefined;
        cloud = {
            ...base,
            setContainerInstanceState: async (arns, status) => {
                if (status === "DRAINING") shortFrom = world.now;
                return base.setContainerInstanceState(arns, status);
            },
            serviceHealth: async (names) => {
                const health = await base.serviceHealth(names);
                if (shortFrom !== undefined && world.now < shortFrom + 3 * MINUTE && health.web !== undefined) health.web = { ...health.web, running: 0 };
                return health;
            },
        };
        const r = await world.clock.run(reconcile(cloud, simDeps(world, 1, (l) => lines.push(l)), simSettings(world)));
        world.clock.advance(1000);
        const victim = Object.keys(r.report.instances)[0];
        assert.ok(lines.some((l) => l.startsWith(`[sim] ${victim}: empty, termination held: service web: 0 of 24 tasks running`)), lines.join("\n"));
        assert.ok(world.instances.get(victim)!.terminatedAt! >= shortFrom! + 3 * MINUTE, "terminated only once the service was whole");
    });

    it("puts a victim back ACTIVE when its drain fails while a service it ran stays short, so the service gets its room back", async () => {
        const world = scaleInWorld();
        const base = simCloud(world);
        let shortFrom: number | undefined;
        // Short from the moment the drain starts, for good: the drain cannot finish.
        const cloud: Cloud = {
            ...base,
            setContainerInstanceState: async (arns, status) => {
                if (status === "DRAINING") shortFrom ??= world.now;
                return base.setContainerInstanceState(arns, status);
            },
            serviceHealth: async (names) => {
                const health = await base.serviceHealth(names);
                if (shortFrom !== undefined && health.web !== undefined) health.web = { ...health.web, running: health.web.desired - 1 };
                return health;
            },
        };
        const error = await world.clock.run(reconcile(cloud, simDeps(world), simSettings(world, { draining: { timeoutSeconds: 120 } })))
            .then(() => undefined, (e) => e);
        assert.ok(isScalerRunError(error), String(error));
        const [victim] = Object.keys(error.report.instances);
        assert.equal(error.report.instances[victim], "undrained");
        assert.match(error.message, new RegExp(`Put back ACTIVE, since a service they ran is short and its tasks need the room: ${victim}\\.$`));
        const inst = world.instances.get(victim)!;
        assert.equal(inst.container?.status, "ACTIVE");
        assert.equal(inst.container?.attributes?.[DRAIN_MARK_ATTRIBUTE], undefined, "no drain mark left");
        assert.equal(inst.asgState, "InService");
        assertNothingLost(world);
    });

    it("gives a service the drain timeout from the moment the instance emptied, for a task ECS starts only after the old one stopped", async () => {
        // maximumPercent 100: ECS stops the old task (300 s deactivating, 60 s stopping) before it starts
        // the new one, so the instance empties near the target wait's end and the service is short after it.
        const world = scenario({ instances: 3, maxSize: 6, targetGroups: 1,
            services: [{ name: "web", count: 3, cpu: 256, memory: 256, minHealthyPercent: 50, maxPercent: 100, loadBalanced: true }],
            timings: { deregistrationDelaySeconds: 300, taskStopSeconds: 60, taskStartSeconds: 45 } });
        newLaunchTemplateVersion(world);
        const r = await simReconcile(world, simSettings(world, { targetGroupArns: world.group.targetGroupArns,
            launchTemplateVersion: "2", draining: { batchSize: 1, timeoutSeconds: 120 } }));
        assert.ok(r.lines.some((l) => /: empty, termination held: service web: 2 of 3 tasks running/.test(l)), r.lines.join("\n"));
        assert.ok(world.liveInstances().every((i) => i.ltVersion === "2"), "every instance was replaced");
        assertNothingLost(world);
    });
});
