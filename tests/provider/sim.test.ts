import { strict as assert } from "node:assert";
import { buildCluster } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";

const SECOND = 1000;

function runningOn(world: SimWorld, id: string): number {
    return world.tasksOn(id).filter((t) => t.status === "RUNNING").length;
}

function serviceRunning(world: SimWorld, name: string): number {
    return world.serviceTasks(name).filter((t) => t.status === "RUNNING").length;
}

describe("simulated cluster", () => {
    it("registers a new instance ACTIVE only after the boot time", () => {
        const world = buildCluster({ instances: 1, timings: { bootSeconds: 90 } });
        world.setDesired(2, "operator");
        world.clock.advance(1 * SECOND);
        const fresh = world.liveInstances().find((i) => i.container === undefined)!;
        assert.equal(fresh.asgState, "Pending");
        world.clock.advance(89 * SECOND);
        assert.equal(fresh.container, undefined, "not registered 89 s after launch");
        world.clock.advance(1 * SECOND);
        assert.equal(world.instances.get(fresh.id)!.container?.status, "ACTIVE", "registered 90 s after launch");
    });

    it("replaces tasks of a DRAINING instance before stopping them when min healthy is 100%", () => {
        const world = buildCluster({ instances: 2, services: [{ name: "web", count: 2, cpu: 512, memory: 512, minHealthyPercent: 100, maxPercent: 200 }] });
        const [a] = world.liveInstances();
        const before = runningOn(world, a.id);
        assert.equal(before, 1, "spread puts one task on each instance");
        world.setContainerStatus(a.container!.arn, "DRAINING", "operator");
        world.clock.advance(1 * SECOND);
        assert.equal(runningOn(world, a.id), 1, "the old task keeps running while its replacement starts");
        assert.equal(serviceRunning(world, "web"), 2);
        world.clock.advance(14 * SECOND);
        assert.equal(world.tasksOn(a.id)[0].status, "RUNNING", "not stopped while the replacement is PENDING");
        world.clock.advance(1 * SECOND);
        assert.equal(world.serviceTasks("web").filter((t) => t.instanceId !== a.id && t.status === "RUNNING").length, 2,
            "the replacement is RUNNING after the start time");
        assert.equal(world.tasksOn(a.id)[0].status, "STOPPING", "only then is the old task stopped");
        world.clock.advance(30 * SECOND);
        assert.equal(world.tasksOn(a.id).length, 0, "stopped after the stop time");
        assert.deepEqual(world.violations, []);
    });

    it("stops tasks first when min healthy 50% and max 100% leave no room to start extra", () => {
        const world = buildCluster({ instances: 3, services: [{ name: "api", count: 2, cpu: 512, memory: 512, minHealthyPercent: 50, maxPercent: 100 }] });
        const host = world.liveInstances().find((i) => world.tasksOn(i.id).length > 0)!;
        world.setContainerStatus(host.container!.arn, "DRAINING", "operator");
        world.clock.advance(1 * SECOND);
        assert.equal(world.tasksOn(host.id)[0].status, "STOPPING");
        assert.equal(world.serviceTasks("api").filter((t) => t.status === "PENDING").length, 0, "max 100% forbids a third task");
        world.clock.advance(30 * SECOND);
        assert.equal(world.serviceTasks("api").filter((t) => t.status === "PENDING").length, 1, "the replacement starts once the old one is gone");
        assert.deepEqual(world.violations, []);
    });

    it("places tasks only where their CPU and memory fit, and counts the rest unplaceable", () => {
        const world = buildCluster({ instances: 1, services: [{ name: "big", count: 1, cpu: 1500, memory: 1000 }] });
        world.setServiceDesired("big", 3);
        world.clock.advance(1 * SECOND);
        assert.equal(world.serviceTasks("big").length, 1, "a second 1500-CPU task does not fit in 548 free CPU");
        assert.equal(world.unplaceable, 2);
    });

    it("keeps standalone tasks on a DRAINING instance until they are stopped", () => {
        const world = buildCluster({ instances: 2, standalone: [{ family: "batch", cpu: 256, memory: 256, onInstance: 0 }] });
        const [a] = world.liveInstances();
        world.setContainerStatus(a.container!.arn, "DRAINING", "operator");
        world.clock.advance(3600 * SECOND);
        assert.equal(world.tasksOn(a.id)[0].status, "RUNNING");
    });

    it("keeps a deregistered target draining for exactly the deregistration delay", () => {
        const world = buildCluster({ instances: 1, targetGroups: 1, timings: { deregistrationDelaySeconds: 300 } });
        const [tg] = world.group.targetGroupArns;
        const [a] = world.liveInstances();
        assert.equal(world.targetGroups.get(tg)!.get(a.id)!.state, "healthy");
        world.deregisterTarget(tg, a.id, "operator");
        world.clock.advance(299 * SECOND);
        assert.equal(world.targetGroups.get(tg)!.get(a.id)!.state, "draining");
        world.clock.advance(1 * SECOND);
        assert.equal(world.targetGroups.get(tg)!.get(a.id), undefined);
    });

    it("publishes reservation metrics each minute with DRAINING instances still in the denominator", () => {
        const world = buildCluster({ instances: 2, services: [{ name: "web", count: 2, cpu: 1024, memory: 3840, minHealthyPercent: 0, maxPercent: 100 }] });
        world.clock.advance(60 * SECOND);
        assert.deepEqual(world.metrics.cpu.map((p) => p.value), [50]);
        assert.deepEqual(world.metrics.memory.map((p) => p.value), [50]);
        // Drain one instance: its task moves to the other one, and the drained instance still counts as registered.
        const [a] = world.liveInstances();
        world.setContainerStatus(a.container!.arn, "DRAINING", "operator");
        world.clock.advance(120 * SECOND);
        const last = world.metrics.cpu[world.metrics.cpu.length - 1].value;
        assert.equal(last, 50, "the moved task is on the ACTIVE instance, and the DRAINING one still counts: 2048 of 4096");
    });

    it("drains a Spot instance at the interruption notice and terminates it two minutes later", () => {
        const world = buildCluster({ instances: 2, services: [{ name: "web", count: 2, cpu: 256, memory: 256, minHealthyPercent: 50, maxPercent: 200 }] });
        const [a] = world.liveInstances();
        world.interrupt(a.id);
        assert.equal(a.container!.status, "DRAINING");
        world.clock.advance(119 * SECOND);
        assert.notEqual(a.asgState, "Terminated");
        world.clock.advance(1 * SECOND);
        assert.equal(a.asgState, "Terminated");
        assert.equal(a.terminatedBy, "spot");
        assert.equal(world.liveInstances().length, 2, "the group launched a replacement");
        assert.equal(world.killedTasks().length, 0, "the agent drained its task in time");
        assert.deepEqual(world.violations, []);
    });

    it("refuses to deregister a container instance with running tasks, as ECS does", () => {
        const world = buildCluster({ instances: 1, services: [{ name: "web", count: 1, cpu: 256, memory: 256 }] });
        const [a] = world.liveInstances();
        assert.throws(() => world.deregisterContainer(a.container!.arn, "scaler"), { message: "Found running tasks on the instance." });
    });

    it("records a violation when the scaler terminates an instance that still runs tasks", () => {
        const world = buildCluster({ instances: 2, services: [{ name: "web", count: 2, cpu: 256, memory: 256, minHealthyPercent: 0 }], managedDraining: false });
        const [a] = world.liveInstances();
        world.terminateInGroup(a.id, true, "scaler");
        assert.equal(world.violations.length, 1);
        assert.match(world.violations[0], /scaler terminated i-0+1 with 1 task\(s\) on it: web/);
        assert.equal(world.killedTasks("scaler").length, 1);
    });

    it("records a min-healthy violation when the scaler kills service tasks", () => {
        const world = buildCluster({ instances: 2, services: [{ name: "web", count: 2, cpu: 256, memory: 256, minHealthyPercent: 100 }], managedDraining: false });
        const [a] = world.liveInstances();
        world.terminateInGroup(a.id, false, "scaler");
        world.clock.advance(1 * SECOND);
        assert.ok(world.violations.some((v) => /service web has 1 running task\(s\), below its min healthy 2/.test(v)));
    });

    it("repeats exactly: the same scenario gives the same event log", () => {
        const run = () => {
            const w = buildCluster({ instances: 3, services: [{ name: "web", count: 5, cpu: 256, memory: 256 }] });
            w.interrupt(w.liveInstances()[1].id);
            w.clock.advance(600 * SECOND);
            return w.events.map((e) => `${e.at} ${e.actor} ${e.what}`);
        };
        assert.deepEqual(run(), run());
    });

    it("boots each instance in its own time within bootSpreadSeconds, the same way every run", () => {
        const boots = () => {
            const w = buildCluster({ instances: 1, maxSize: 21, timings: { bootSeconds: 60, bootSpreadSeconds: 60, tickSeconds: 1 } });
            const start = w.now;
            w.setDesired(21, "scaler");
            const registeredAt = new Map<string, number>();
            for (let s = 0; s <= 130; s++) {
                w.clock.advance(1000);
                for (const i of w.liveInstances()) if (i.container !== undefined && !registeredAt.has(i.id)) registeredAt.set(i.id, (w.now - start) / 1000);
            }
            return [...registeredAt.values()].slice(1);
        };
        const seconds = boots();
        assert.equal(seconds.length, 20);
        assert.ok(seconds.every((t) => t >= 60 && t <= 121), seconds.join(", "));
        assert.ok(new Set(seconds).size >= 10, `spread: ${seconds.join(", ")}`);
        assert.deepEqual(boots(), seconds);
    });
});
