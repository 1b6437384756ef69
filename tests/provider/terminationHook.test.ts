// The scaler's own termination lifecycle hook: every termination the group starts waits in it while
// the scaler drains the instance; a hook no one answers ends in ABANDON and the group retains the
// instance; a drain past its timeout is abandoned the same way and finished later. In the planner, and
// on the simulated cluster set up as the component sets it up with the runner.
import { strict as assert } from "node:assert";
import { HOOK_WAIT_STATE, RETAINED_STATE, TERMINATION_HOOK_NAME } from "../../provider/model";
import { plan } from "../../provider/planner";
import { isForecastLine, renderPlan } from "../../provider/render";
import { healthReplacement, rebalanceRecommendation } from "../../provider/sim/groupEvents";
import { completeAction, hookCapMs, recordHeartbeat } from "../../provider/sim/lifecycleHooks";
import { buildCluster, ClusterSpec, newLaunchTemplateVersion, simReconcile, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";
import { simCloud } from "../../provider/sim/cloud";
import { observe } from "../../provider/observe";
import { instance, observed, policy, series } from "../helpers/observed";

const MINUTE = 60_000;
const OWN = { name: TERMINATION_HOOK_NAME, defaultResult: "ABANDON" as const, heartbeatTimeoutSeconds: 300 };

function world(spec: Partial<ClusterSpec> = {}): SimWorld {
    const w = buildCluster({ instances: 4, maxSize: 8, managedDraining: false, terminationHook: true,
        services: [{ name: "web", count: 8, cpu: 256, memory: 256, minHealthyPercent: 50, loadBalanced: true }], targetGroups: 1, ...spec });
    w.clock.advance(6 * MINUTE);
    return w;
}

/**
 * A full cluster (two tasks of 1000 CPU units on each instance, none free for more) whose second
 * instance the group begins terminating after a failed health check.
 */
function fullClusterTerminating(spec: Partial<ClusterSpec> = {}) {
    const w = world({ services: [{ name: "web", count: 8, cpu: 1000, memory: 1000, minHealthyPercent: 100, maxPercent: 200 }], targetGroups: 0, ...spec });
    const victim = w.liveInstances()[1];
    healthReplacement(w, victim.id);
    return { w, victim };
}

/** Tasks killed by anyone but a Spot reclaim or an operator. */
const lost = (w: SimWorld) => w.killedTasks().filter((t) => t.stoppedBy === "asg" || t.stoppedBy === "scaler").length;

describe("plan: instances held in the scaler's termination hook", () => {
    it("drains each instance waiting in the hook first in the plan, and says how it lets it go", () => {
        const o = observed([instance(1), instance(2, { tasks: 3, asgState: HOOK_WAIT_STATE }), instance(3)]);
        o.terminationHooks = [OWN];
        const p = plan(o, policy());
        assert.deepEqual(p.terminationHook, { name: TERMINATION_HOOK_NAME, heartbeatSeconds: 300 });
        assert.deepEqual(renderPlan(p).slice(0, 2), [
            `drain 1 instance the group is terminating, held in termination hook ${TERMINATION_HOOK_NAME}`,
            "  drain i-0002 (3 tasks), then let its termination go on (CompleteLifecycleAction CONTINUE)",
        ]);
        assert.equal(p.actions[0].kind, "hook-drain");
        assert.ok(p.actions[0].kind === "hook-drain" && p.actions[0].heartbeatSeconds === 300);
    });

    it("leaves an instance waiting in someone else's hook alone", () => {
        const o = observed([instance(1), instance(2, { tasks: 3, asgState: HOOK_WAIT_STATE })]);
        o.terminationHooks = [{ name: "ecs-managed-draining-termination-hook", defaultResult: "CONTINUE", heartbeatTimeoutSeconds: 3600 }];
        const p = plan(o, policy());
        assert.equal(p.terminationHook, undefined);
        assert.ok(p.actions.every((a) => a.kind !== "hook-drain"), renderPlan(p).join("\n"));
    });

    it("holds scale-in while an instance in the hook still has tasks: they need the room", () => {
        const o = observed([instance(1, { usedCpu: 100 }), instance(2, { usedCpu: 100 }), instance(3, { usedCpu: 100 }),
            instance(4, { tasks: 2, asgState: HOOK_WAIT_STATE })], { metrics: { cpu: series(10), memory: series(10) }, desired: 4 });
        o.terminationHooks = [OWN];
        const p = plan(o, policy());
        assert.deepEqual(p.actions.map((a) => a.kind), ["hook-drain"]);
        assert.ok(p.notes.some((n) => /^scale-in held: CPUReservation at most 10% and MemoryReservation at most 10% over 10 min: .*, but instances the group is terminating still hold tasks/.test(n)),
            p.notes.join("\n"));
        // Once it is empty, scale-in goes ahead.
        const emptied = observed([...o.instances.slice(0, 3), instance(4, { tasks: 0, asgState: HOOK_WAIT_STATE })],
            { metrics: { cpu: series(10), memory: series(10) }, desired: 4, terminationHooks: [OWN] });
        assert.ok(plan(emptied, policy()).actions.some((a) => a.kind === "drain"), "scale-in once the hook's instance is empty");
    });

    it("drains a retained instance and terminates it without lowering desired capacity", () => {
        const o = observed([instance(1), instance(2, { tasks: 2, asgState: RETAINED_STATE })]);
        o.terminationHooks = [OWN];
        assert.deepEqual(renderPlan(plan(o, policy())).slice(0, 2), [
            `drain 1 instance the group retained after that hook ended in ABANDON`,
            "  drain retained i-0002 (2 tasks), then terminate it (desired capacity unchanged)",
        ]);
    });
});

describe("the scaler's termination hook on the simulated cluster", () => {
    it("holds a health replacement until the scaler has drained the instance, then lets it go: nothing lost", async () => {
        const w = world();
        const victim = w.liveInstances()[1];
        healthReplacement(w, victim.id);
        w.clock.advance(MINUTE);
        assert.equal(victim.asgState, "Terminating", "the instance waits in the hook");
        assert.equal(w.tasksOn(victim.id).length > 0, true, "its tasks still run: nothing drains it yet");
        const r = await simReconcile(w, simSettings(w, { targetGroupArns: w.group.targetGroupArns }));
        assert.equal(r.plan.actions[0].kind, "hook-drain");
        assert.equal(victim.asgState, "Terminated");
        assert.equal(r.report.instances[victim.id], "terminated");
        assert.ok((r.cloud.requests.RecordLifecycleActionHeartbeat ?? 0) >= 1, "heartbeats while it drained");
        assert.equal(r.cloud.requests.CompleteLifecycleAction, 1);
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("a rebalance recommendation's termination is drained the same way", async () => {
        const w = world();
        const old = w.liveInstances()[0];
        rebalanceRecommendation(w, old.id);
        w.clock.advance(5 * MINUTE);
        assert.equal(old.asgState, "Terminating");
        await simReconcile(w, simSettings(w, { targetGroupArns: w.group.targetGroupArns }));
        assert.equal(old.asgState, "Terminated");
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("the scaler's own scale-in passes through the hook and is let go at once, not at the heartbeat timeout", async () => {
        const w = world({ services: [{ name: "web", count: 2, cpu: 128, memory: 128, minHealthyPercent: 50 }], minSize: 1 });
        w.clock.advance(10 * MINUTE);
        const r = await simReconcile(w, simSettings(w));
        const terminated = Object.entries(r.report.instances).filter(([, o]) => o === "terminated").map(([id]) => id);
        assert.ok(terminated.length > 0, r.lines.join("\n"));
        for (const id of terminated) assert.equal(w.instances.get(id)!.asgState, "Terminated", `${id} was let go`);
        assert.equal(r.cloud.requests.CompleteLifecycleAction, terminated.length);
        assert.deepEqual(w.hookTimeouts, []);
        assert.equal(lost(w), 0);
    });

    it("with no runner answering, the hook times out into ABANDON and the group retains the instance: its tasks keep running", async () => {
        const w = world();
        const victim = w.liveInstances()[1];
        const tasks = w.tasksOn(victim.id).length;
        const desired = w.group.desired;
        healthReplacement(w, victim.id);
        w.clock.advance(301_000);
        assert.equal(victim.asgState, "Retained");
        assert.deepEqual(w.hookTimeouts.map((t) => [t.instanceId, t.result, t.tasks]), [[victim.id, "ABANDON", tasks]]);
        assert.equal(w.tasksOn(victim.id).length, tasks, "nothing was killed");
        assert.equal(w.group.desired, desired);
        assert.equal(w.liveInstances().length, desired, "the group launched a replacement: a retained instance does not count");
        // The runner is back: it drains the retained instance and terminates it.
        const r = await simReconcile(w, simSettings(w, { targetGroupArns: w.group.targetGroupArns }));
        assert.equal(victim.asgState, "Terminated", r.lines.join("\n"));
        assert.equal(w.group.desired, desired, "desired capacity unchanged");
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("without an instance lifecycle policy that retains, the same timeout kills the tasks (what the component's policy prevents)", () => {
        const w = world({ terminationHook: { retain: false } });
        const victim = w.liveInstances()[1];
        const tasks = w.tasksOn(victim.id).length;
        healthReplacement(w, victim.id);
        w.clock.advance(301_000);
        assert.equal(victim.asgState, "Terminated");
        assert.equal(w.killedTasks("asg").length, tasks);
        assert.deepEqual(w.violations, [], "counted as the hook's default result, in hookTimeouts");
        assert.equal(w.hookTimeouts.length, 1);
    });

    it("a drain past draining.timeoutSeconds completes with ABANDON, naming the task, and a later run finishes the retained instance", async () => {
        const w = world();
        const victim = w.liveInstances()[1];
        const stuck = w.tasksOn(victim.id)[0];
        stuck.neverStops = true;
        healthReplacement(w, victim.id);
        const r = await simReconcile(w, simSettings(w, { targetGroupArns: w.group.targetGroupArns, draining: { timeoutSeconds: 120 } }));
        assert.equal(r.report.instances[victim.id], "abandoned", r.lines.join("\n"));
        assert.ok(r.lines.some((l) => l.includes(`ABANDON for ${victim.id}`) && l.includes("service:web")), r.lines.join("\n"));
        assert.equal(victim.asgState, "Retained");
        const metric = (run: { report: { metrics?: { name: string; value: number }[] } }, name: string) => run.report.metrics?.find((m) => m.name === name)?.value;
        assert.deepEqual([metric(r, "RetainedInstances"), metric(r, "DrainsTimedOut")], [1, 1], "published for the -retained alarm");
        stuck.neverStops = false;
        w.clock.advance(MINUTE);
        const again = await simReconcile(w, simSettings(w, { targetGroupArns: w.group.targetGroupArns }));
        assert.equal(again.report.instances[victim.id], "terminated", again.lines.join("\n"));
        assert.equal(metric(again, "RetainedInstances"), 0);
        assert.equal(victim.asgState, "Terminated");
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("takes up an instance the group begins terminating while a run is busy (a rollout), so it does not time out", async () => {
        const w = world();
        newLaunchTemplateVersion(w);
        let victim: string | undefined;
        w.tickHooks.push((x) => {
            const old = x.liveInstances().find((i) => i.ltVersion === "1" && i.container?.status === "ACTIVE");
            if (victim === undefined && x.group.desired > 4 && old !== undefined) {
                victim = old.id;
                healthReplacement(x, old.id);
            }
        });
        const r = await simReconcile(w, simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion, targetGroupArns: w.group.targetGroupArns }));
        assert.ok(victim !== undefined, "the group began a termination during the run");
        assert.ok(r.plan.actions.every((a) => a.kind !== "hook-drain"), "it was not in the plan");
        assert.ok(r.lines.some((l) => l.includes(`${victim} entered hook ${TERMINATION_HOOK_NAME} during this run`)), r.lines.join("\n"));
        assert.equal(w.instances.get(victim!)!.asgState, "Terminated");
        assert.deepEqual(w.hookTimeouts, []);
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("makes room first when the tasks of an instance in the hook fit on no ACTIVE instance, and lets it go in the same run", async () => {
        const { w, victim } = fullClusterTerminating();
        w.clock.advance(MINUTE);
        assert.equal(w.liveInstances().length, 3, "the group launches no replacement while the instance waits in the hook");
        const r = await simReconcile(w, simSettings(w));
        assert.deepEqual(renderPlan(r.plan).filter((l) => !isForecastLine(l)).slice(0, 3), [
            `drain 1 instance the group is terminating, held in termination hook ${TERMINATION_HOOK_NAME}`,
            `  drain ${victim.id} (2 tasks), then let its termination go on (CompleteLifecycleAction CONTINUE)`,
            "scale out 4 → 5: room for the tasks of 1 instance the group is terminating (2 tasks that fit on no ACTIVE instance)",
        ]);
        assert.equal(r.report.instances[victim.id], "terminated", r.lines.join("\n"));
        assert.deepEqual(w.hookTimeouts, []);
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("counts the tasks on an instance in the hook that ECS says it cannot place as unplaced, so that a scale-out is sized for them", async () => {
        const { w, victim } = fullClusterTerminating();
        w.setContainerStatus(victim.container!.arn, "DRAINING", "operator");
        w.clock.advance(MINUTE);
        const s = simSettings(w);
        const o = await w.clock.run(observe(simCloud(w), s, { scaling: s.scaling, draining: s.draining }, w.now));
        assert.deepEqual(o.unplaced?.map((u) => [u.name, u.missing, u.cpu, u.memory]), [["web", 2, 1000, 1000]]);
        assert.match(o.unplaced![0].event, /^\(service web\) was unable to place a task/);
    });

    it("counts them the same in ECS's managed-draining hook alone, reading the tasks of those instances only", async () => {
        const { w, victim } = fullClusterTerminating({ managedDraining: true, terminationHook: false });
        w.clock.advance(MINUTE);
        const s = simSettings(w);
        const cloud = simCloud(w);
        const o = await w.clock.run(observe(cloud, s, { scaling: s.scaling, draining: s.draining }, w.now));
        assert.equal(o.tasks, undefined, "the cluster's tasks were not read");
        assert.equal(victim.container?.status, "DRAINING");
        assert.deepEqual(o.unplaced?.map((u) => [u.name, u.missing]), [["web", 2]]);
    });

    it("beside ECS's managed-draining hook: both drain the same instance, and it goes once both let it go", async () => {
        const w = world({ managedDraining: true });
        assert.deepEqual(w.terminationHooks().map((h) => h.name), ["ecs-managed-draining-termination-hook", TERMINATION_HOOK_NAME]);
        const victim = w.liveInstances()[1];
        healthReplacement(w, victim.id);
        w.clock.advance(MINUTE);
        assert.equal(victim.container?.status, "DRAINING", "ECS's hook drains it at once");
        assert.equal(victim.asgState, "Terminating", "the scaler's hook still holds it, emptied or not");
        const r = await simReconcile(w, simSettings(w, { targetGroupArns: w.group.targetGroupArns }));
        assert.ok(r.plan.notes.some((n) => n.startsWith(`termination hook ${TERMINATION_HOOK_NAME} defaults to ABANDON: when it times out, the group skips the other hooks`)));
        assert.equal(victim.asgState, "Terminated");
        assert.equal(lost(w), 0);
        assert.deepEqual(w.violations, []);
    });

    it("a Spot reclaim does not wait in the hook", () => {
        const w = world();
        const victim = w.liveInstances().find((i) => i.lifecycle === "spot")!;
        healthReplacement(w, victim.id);
        w.interrupt(victim.id);
        w.clock.advance(3 * MINUTE);
        assert.equal(victim.asgState, "Terminated");
        assert.equal(victim.terminatedBy, "spot");
    });

    it("heartbeats hold an instance at most 100 × the heartbeat timeout (under 48 hours), then the default result applies", () => {
        const w = world({ terminationHook: { heartbeatTimeoutSeconds: 60 } });
        const victim = w.liveInstances()[1];
        healthReplacement(w, victim.id);
        const started = w.now;
        assert.equal(hookCapMs(w.ownHook!), 6000_000);
        while (victim.asgState === "Terminating") {
            recordHeartbeat(w, victim.id, TERMINATION_HOOK_NAME);
            w.clock.advance(30_000);
        }
        assert.equal(victim.asgState, "Retained");
        assert.ok(w.now - started >= 6000_000 && w.now - started < 6000_000 + 60_000, `${(w.now - started) / 1000} s`);
        assert.throws(() => completeAction(w, victim.id, TERMINATION_HOOK_NAME, "CONTINUE", "scaler"), /No active Lifecycle Action found/);
    });
});
