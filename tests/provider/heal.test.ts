import { strict as assert } from "node:assert";
import { plan } from "../../provider/planner";
import { buildCluster, simReconcile, simSettings } from "../../provider/sim/scenario";
import { NOW, instance, observed, policy, tasksOn } from "../helpers/observed";

const MINUTE = 60_000;

describe("instances whose agent is disconnected", function () {
    this.timeout(60_000);

    it("marks one at first sight, replaces it once still disconnected after the grace, new capacity first, naming the tasks that end with it", async () => {
        // The group set up as the component sets it up with the runner: the scaler's own hook, no ECS managed draining (which would hold an
        // instance ECS cannot drain in its own hook until that times out).
        const w = buildCluster({ instances: 3, targetGroups: 1, services: [{ name: "web", count: 6, cpu: 256, memory: 256, minHealthyPercent: 50, loadBalanced: true }],
            timings: { deregistrationDelaySeconds: 30, taskStopSeconds: 10 }, managedDraining: false, terminationHook: true });
        w.clock.advance(6 * MINUTE);
        const lost = w.liveInstances()[0];
        const onIt = w.tasksOn(lost.id).length;
        w.setAgentConnected(lost.id, false);
        const settings = simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion, targetGroupArns: w.group.targetGroupArns });
        const first = await simReconcile(w, settings);
        assert.deepEqual(first.plan.actions.map((a) => a.kind), ["mark-disconnected"], first.lines.join("\n"));
        assert.equal(first.plan.actions[0].reason, `note the disconnected agent of ${lost.id}: replaced if still disconnected 600 s from now`);
        w.clock.advance(11 * MINUTE);
        const second = await simReconcile(w, settings);
        const drain = second.plan.actions.find((a) => a.kind === "drain");
        assert.ok(drain !== undefined && drain.kind === "drain" && drain.victims[0].instanceId === lost.id, second.lines.join("\n"));
        assert.match(drain.victims[0].reason, /^agent disconnected since .* \(11 min\): its \d+ tasks? cannot be drained and end with it \(/);
        assert.ok(second.plan.actions.some((a) => a.kind === "set-desired" && a.cause === "surge"), "new capacity first");
        assert.equal(w.instances.get(lost.id)!.asgState, "Terminated");
        assert.equal(w.healedTasks().length, onIt, "its tasks ended with it, counted apart");
        assert.ok(second.lines.some((l) => l.includes(`${lost.id}: agent disconnected, so ECS cannot stop its tasks`)), second.lines.join("\n"));
        assert.equal(w.killedTasks("scaler").length - w.healedTasks().length, 0, "no other task killed");
        assert.deepEqual(w.violations, []);
        w.clock.advance(2 * MINUTE);
        assert.equal(w.serviceTasks("web").filter((t) => t.status === "RUNNING").length, 6, "the service whole again");
    });

    it("clears the mark when the agent connects again within the grace, and replaces nothing", async () => {
        // Busy enough that no instance may go for consolidation.
        const w = buildCluster({ instances: 3, services: [{ name: "web", count: 16, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        w.clock.advance(6 * MINUTE);
        const flaky = w.liveInstances()[0];
        w.setAgentConnected(flaky.id, false);
        const settings = simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion });
        await simReconcile(w, settings);
        w.setAgentConnected(flaky.id, true);
        w.clock.advance(11 * MINUTE);
        const r = await simReconcile(w, settings);
        assert.deepEqual(r.plan.actions.map((a) => a.reason), [`clear the disconnection mark on ${flaky.id}: its agent is connected again`]);
        assert.notEqual(w.instances.get(flaky.id)!.asgState, "Terminated");
    });

    it("holds when more than maintenance.maxDisconnectedPercent of the instances are disconnected at once, and says so", () => {
        const fleet = [1, 2, 3, 4].map((n) => instance(n, { tasks: 1 }));
        for (const i of fleet.slice(0, 2)) Object.assign(i.container!, { agentConnected: false, drainMark: "heal", drainSince: NOW - 20 * MINUTE });
        const o = observed(fleet, { tasks: fleet.flatMap((i) => tasksOn(i, 1, 256, 256)) });
        const held = plan(o, policy());
        assert.ok(!held.actions.some((a) => a.kind === "drain" || a.kind === "set-desired"), "nothing replaced");
        assert.ok(held.notes.some((n) => n.startsWith("2 of 4 registered instances have their agent disconnected at once (i-0001, i-0002): more than "
            + "maintenance.maxDisconnectedPercent 20%")), held.notes.join("\n"));
        // An outdated one among them is not drained either: its tasks would end with it.
        const outdated = plan({ ...o, target: { launchTemplateId: "lt-1", version: "5" } }, policy());
        assert.ok(!outdated.actions.some((a) => a.kind === "drain" && a.victims.some((v) => v.instanceId === "i-0001" || v.instanceId === "i-0002")),
            outdated.actions.map((a) => a.reason).join("\n"));
        const allowed = plan(o, policy({ maintenance: { maxDisconnectedPercent: 50 } }));
        assert.ok(allowed.actions.some((a) => a.kind === "drain"), "within the share: replaced");
    });
});
