// Scale-in fit by the rules ECS places by: host ports, ENIs for awsvpc tasks, GPUs, distinctInstance,
// memberOf, daemon tasks. Planner tests on plain data, and the pure rules themselves.
import { strict as assert } from "node:assert";
import { ObservedInstance, ObservedTask } from "../../provider/model";
import { plan } from "../../provider/planner";
import { awsvpcEnis } from "../../provider/instanceTypes";
import { blockedBy, parseMemberOf } from "../../provider/placement";
import { SIM_TYPE_FACTS } from "../../provider/sim/instanceTypeFacts";
import { placementNeedsOf } from "../../provider/aws/cloud";
import { renderPlan } from "../../provider/render";
import { buildCluster, simReconcile, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";
import { instance, observed, policy, series, tasksOn } from "../helpers/observed";

const low = { cpu: series(20), memory: series(20) };
const LOW_TEXT = "CPUReservation at most 20% and MemoryReservation at most 20% over 10 min: room to remove an instance of 3 within the 85% scale-in target";

/** An instance with `ports` bound, some CPU used, and what else it offers. */
function host(n: number, o: { ports?: string[]; type?: string; az?: string; usedCpu?: number; gpus?: number } = {}): ObservedInstance {
    const i = instance(n, { usedCpu: o.usedCpu ?? 256, tasks: 1 });
    return {
        ...i,
        instanceType: o.type ?? "m6i.large",
        container: { ...i.container!, portsInUse: ["tcp:22", "tcp:51678", ...(o.ports ?? [])], freeGpus: o.gpus ?? 0,
            attributes: { "ecs.availability-zone": o.az ?? "us-east-1a" } },
    };
}

function task(i: ObservedInstance, needs: ObservedTask["needs"], group = "service:web", extra: Partial<ObservedTask> = {}): ObservedTask {
    return { ...tasksOn(i, 1, 256, 256, group)[0], needs, ...extra };
}

const scaleInPlan = (instances: ObservedInstance[], tasks: ObservedTask[]) => plan(observed(instances, { metrics: low, tasks }), policy());
const drained = (p: ReturnType<typeof plan>) => p.actions.flatMap((a) => a.kind === "drain" ? a.victims.map((v) => v.instanceId) : []);

describe("scale-in fit by ECS's placement rules", () => {
    it("does not move a task with a static host port onto an instance that has the port bound, and says so", () => {
        const hosts = [1, 2, 3].map((n) => host(n, { ports: ["tcp:80"] }));
        const tasks = hosts.map((h) => task(h, { hostPorts: ["tcp:80"] }));
        const p = scaleInPlan(hosts, tasks);
        assert.deepEqual(drained(p), []);
        assert.deepEqual(p.notes, [`no scale-in: ${LOW_TEXT}, but the 1 task of i-0001 would not fit on the 2 other ACTIVE instances: port 80 in use on every other instance`]);
    });

    it("scales in where the port is free on another instance", () => {
        const a = host(1, { ports: ["tcp:80"] });
        const b = host(2, { ports: ["tcp:80"] });
        const c = host(3, { ports: ["tcp:8080"] });
        const p = scaleInPlan([a, b, c], [task(a, { hostPorts: ["tcp:80"] }), task(b, { hostPorts: ["tcp:80"] }), task(c, { hostPorts: ["tcp:8080"] })]);
        assert.deepEqual(drained(p), ["i-0001"], "its port-80 task fits on i-0003");
    });

    it("counts one ENI per awsvpc task against the instance type's interfaces, less the primary", () => {
        // m6i.large: 3 interfaces, 2 for tasks. Each instance already runs two awsvpc tasks.
        const hosts = [1, 2, 3].map((n) => host(n));
        const tasks = hosts.flatMap((h) => [task(h, { awsvpc: true }, "service:a"), { ...task(h, { awsvpc: true }, "service:a"), arn: `${h.instanceId}/b` }]);
        const p = scaleInPlan(hosts, tasks);
        assert.deepEqual(drained(p), []);
        assert.match(p.notes[0], /would not fit on the 2 other ACTIVE instances: no free ENI on every other instance$/);
    });

    it("takes an instance type's ENIs from EC2's facts, and treats a type whose facts were not read as having no room for awsvpc tasks", () => {
        assert.equal(awsvpcEnis(SIM_TYPE_FACTS["m6i.large"]), 2);
        assert.equal(awsvpcEnis(SIM_TYPE_FACTS["m6i.metal"]), 14);
        assert.equal(awsvpcEnis(undefined), undefined);
        assert.equal(blockedBy({ awsvpc: true }, {}), "the instance type's network interfaces not known");
    });

    it("keeps distinctInstance tasks apart", () => {
        const hosts = [1, 2, 3].map((n) => host(n));
        const tasks = hosts.map((h) => task(h, { distinctGroup: "service:spread" }, "service:spread"));
        const p = scaleInPlan(hosts, tasks);
        assert.deepEqual(drained(p), []);
        assert.match(p.notes[0], /distinctInstance \(service:spread\) on every other instance$/);
    });

    it("evaluates memberOf on instance type and availability zone", () => {
        const a = host(1, { az: "us-east-1a" });
        const b = host(2, { az: "us-east-1b" });
        const c = host(3, { az: "us-east-1b" });
        const zoneA = "attribute:ecs.availability-zone == us-east-1a";
        const p = scaleInPlan([a, b, c], [task(a, { memberOf: [zoneA] }), task(b, {}), task(c, {})]);
        assert.ok(!drained(p).includes("i-0001"), "its task may only run in us-east-1a, where no other instance is");
        assert.ok(p.notes.every((n) => !n.includes("i-0001 stays")));
        assert.equal(parseMemberOf("attribute:ecs.instance-type in [m6i.large, m5.large]")!({ "ecs.instance-type": "m5.large" }), true);
        assert.equal(parseMemberOf("attribute:ecs.instance-type != m6i.large and attribute:team == pay")!({ "ecs.instance-type": "m5.large", team: "pay" }), true);
    });

    it("keeps an instance whose task has a constraint it cannot evaluate, naming the task", () => {
        const hosts = [1, 2, 3].map((n) => host(n));
        const wild = "attribute:ecs.instance-type =~ g4dn.*";
        const p = scaleInPlan(hosts, [task(hosts[0], { memberOf: [wild] }, "service:gpu"), task(hosts[1], {}), task(hosts[2], {})]);
        assert.ok(!drained(p).includes("i-0001"));
        assert.ok(p.notes.includes(`i-0001 stays: task 0 (service:gpu): memberOf(${wild}) cannot be evaluated by the scaler`), p.notes.join("\n"));
    });

    it("keeps an instance whose task needs what the scaler does not model (a shared GPU), naming the task", () => {
        const hosts = [1, 2, 3].map((n) => host(n, { gpus: 1 }));
        const p = scaleInPlan(hosts, [task(hosts[0], { unmodelled: "a shared GPU (sharingStrategy)" }, "service:infer"), task(hosts[1], {}), task(hosts[2], {})]);
        assert.ok(!drained(p).includes("i-0001"));
        assert.ok(p.notes.includes("i-0001 stays: task 0 (service:infer): a shared GPU (sharingStrategy) cannot be evaluated by the scaler"), p.notes.join("\n"));
    });

    it("counts GPUs", () => {
        assert.equal(blockedBy({ gpus: 1 }, { freeGpus: 0 }), "not enough GPUs");
        assert.equal(blockedBy({ gpus: 1 }, { freeGpus: 1 }), undefined);
    });

    it("never moves daemon tasks: an instance whose other tasks fit is drained", () => {
        // Every instance runs the port-bound daemon; moving it would never fit, and it does not move.
        const hosts = [1, 2, 3].map((n) => host(n, { ports: ["tcp:9100"] }));
        const tasks = hosts.map((h) => task(h, { hostPorts: ["tcp:9100"] }, "service:agent", { daemon: true }));
        const p = scaleInPlan(hosts, tasks);
        assert.deepEqual(drained(p), ["i-0001"]);
        assert.deepEqual(renderPlan(p).slice(1), ["  drain i-0001 (spot, 0 tasks fit on 2 remaining instances), batch 1 of 1"]);
    });

});

describe("excess above a lowered maxSize, by the same rules", () => {
    it("keeps an instance whose tasks would not fit elsewhere, and says why", () => {
        const hosts = [1, 2, 3].map((n) => host(n, { ports: ["tcp:80"] }));
        const tasks = hosts.map((h) => task(h, { hostPorts: ["tcp:80"] }));
        const p = plan(observed(hosts, { tasks, desired: 2, maxSize: 2 }), policy());
        assert.deepEqual(drained(p), []);
        assert.deepEqual(p.notes, [
            "i-0001 stays above maxSize 2: its 1 task would not fit on the other instances: port 80 in use on every other instance",
            "i-0002 stays above maxSize 2: its 1 task would not fit on the other instances: port 80 in use on every other instance",
            "i-0003 stays above maxSize 2: its 1 task would not fit on the other instances: port 80 in use on every other instance",
            "maxSize 2 is too low for the tasks: 3 of the 3 instances must stay; raise maxSize to 3",
        ]);
    });

    it("raises desired capacity to the instances that must stay when maxSize leaves room", () => {
        const hosts = [1, 2, 3].map((n) => host(n, { ports: ["tcp:80"] }));
        const tasks = hosts.map((h) => task(h, { hostPorts: ["tcp:80"] }));
        const p = plan(observed(hosts, { tasks, desired: 2, maxSize: 4 }), policy());
        assert.deepEqual(drained(p), []);
        assert.deepEqual(p.actions.map((a) => [a.kind, a.kind === "set-desired" ? a.to : undefined, a.reason]),
            [["set-desired", 3, "desired capacity 2 → 3: the tasks of 1 instance above it fit nowhere else"]]);
    });

    it("lowers desired capacity with each termination above a declared maxSize the group has not taken (a run of the scaler alone)", () => {
        const hosts = [1, 2, 3, 4].map((n) => host(n, {}));
        const p = plan(observed(hosts, { tasks: [], desired: 4, maxSize: 2 }), policy({ draining: { batchSize: 2 } }));
        assert.deepEqual(drained(p).length, 2);
        assert.ok(p.actions.every((a) => a.kind !== "drain" || a.victims.every((v) => v.decrement)), "desired 4 → 2 with the terminations");
    });
});

describe("bounds declared and held", () => {
    const unplaced = [{ name: "web", missing: 3, event: "(service web) was unable to place a task because no container instance met all of its requirements. "
        + "The closest matching container-instance arn:aws:ecs:us-east-1:1:container-instance/c/1 has insufficient CPU units available." }];

    it("plans within the group's maxSize when it holds a lower one than declared (a run of the scaler alone), and says so", () => {
        const hosts = [1, 2].map((n) => host(n, {}));
        const p = plan(observed(hosts, { tasks: [], desired: 2, maxSize: 6, groupBounds: { minSize: 1, maxSize: 3 }, unplaced }), policy());
        assert.deepEqual(p.actions.map((a) => a.kind === "set-desired" ? a.to : a.kind), [3], renderPlan(p).join("\n"));
        assert.ok(p.notes.includes("maxSize 6 as declared: the group holds 3 until a full `pulumi up` applies it (a run of the scaler alone does not); "
            + "planned within the group's 3"), p.notes.join("\n"));
    });

    it("plans to the declared maxSize when the group holds a higher one (a full `pulumi up` lowers it first)", () => {
        const hosts = [1, 2].map((n) => host(n, {}));
        const p = plan(observed(hosts, { tasks: [], desired: 2, maxSize: 4, groupBounds: { minSize: 1, maxSize: 9 }, unplaced }), policy());
        assert.deepEqual(p.actions.map((a) => a.kind === "set-desired" ? a.to : a.kind), [4], renderPlan(p).join("\n"));
    });
});

describe("placement rules on the simulated cluster", () => {
    it("holds the excess above a lowered maxSize when the port-bound tasks would have nowhere to go", async () => {
        const world = buildCluster({ instances: 4, maxSize: 8, services: [{ name: "edge", count: 4, cpu: 128, memory: 128, minHealthyPercent: 50,
            maxPercent: 100, needs: { hostPorts: ["tcp:80"] } }] });
        world.clock.advance(11 * 60_000);
        world.setMaxSize(3, "operator");
        const r = await simReconcile(world, simSettings(world));
        assert.deepEqual(r.plan.actions, [], renderPlan(r.plan).join("\n"));
        assert.equal(world.liveInstances().length, 4);
        assert.equal(world.serviceTasks("edge").filter((t) => t.status === "RUNNING").length, 4);
    });

    it("does not move a zone-bound task out of its zone, though its instance is the emptiest", async () => {
        // Two instances in two zones: one task bound to the first zone, three to the second.
        const world = buildCluster({ instances: 2, minSize: 1, services: [
            { name: "zonal", count: 1, cpu: 128, memory: 128, minHealthyPercent: 0, needs: { memberOf: ["attribute:ecs.availability-zone == us-east-1a"] } },
            { name: "web", count: 3, cpu: 128, memory: 128, minHealthyPercent: 0, needs: { memberOf: ["attribute:ecs.availability-zone == us-east-1b"] } },
        ] });
        const zoneOf = (id: string) => world.instances.get(id)!.zone;
        assert.deepEqual(world.serviceTasks("zonal").map((t) => zoneOf(t.instanceId)), ["us-east-1a"], "ECS placed it by its constraint");
        assert.deepEqual(world.serviceTasks("web").map((t) => zoneOf(t.instanceId)), ["us-east-1b", "us-east-1b", "us-east-1b"]);
        world.clock.advance(11 * 60_000);
        const r = await simReconcile(world, simSettings(world));
        assert.deepEqual(drained(r.plan), [], renderPlan(r.plan).join("\n"));
        assert.ok(r.plan.notes.some((n) => /would not fit on the 1 other ACTIVE instance: memberOf\(attribute:ecs\.availability-zone == us-east-1a\) on every other instance$/.test(n)),
            r.plan.notes.join("\n"));
        assert.equal(world.liveInstances().length, 2);
    });

    it("keeps a GPU task's instance when no other instance has a GPU free", async () => {
        const world = buildCluster({ instances: 3, instanceType: "g4dn.xlarge", services: [{ name: "ml", count: 3, cpu: 256, memory: 512,
            minHealthyPercent: 0, needs: { gpus: 1 } }] });
        world.clock.advance(11 * 60_000);
        const r = await simReconcile(world, simSettings(world));
        assert.deepEqual(drained(r.plan), [], renderPlan(r.plan).join("\n"));
        assert.ok(r.plan.notes.some((n) => /would not fit on the 2 other ACTIVE instances: not enough GPUs on every other instance$/.test(n)), r.plan.notes.join("\n"));
        world.setServiceDesired("ml", 4);
        world.clock.advance(60_000);
        assert.match(world.services.get("ml")!.lastEvent ?? "", /does not meet the requirements of your task \(not enough GPUs\)\.$/);
    });

    it("reports a task ECS cannot place in the words of its service event", () => {
        const world = buildCluster({ instances: 2, services: [{ name: "edge", count: 2, cpu: 128, memory: 128, needs: { hostPorts: ["tcp:80"] } }] });
        world.setServiceDesired("edge", 3);
        world.clock.advance(60_000);
        assert.match(world.services.get("edge")!.lastEvent ?? "", /^\(service edge\) was unable to place a task because no container instance met all of its requirements\. The closest matching container-instance \S+ is already using a port required by your task\.$/);
    });
});

describe("what a task needs, read from its task definition and service as ECS returns them", () => {
    const container = (extra: object) => ({ name: "app", image: "app", ...extra });
    it("reads static host ports in bridge and host mode, none in awsvpc, and leaves dynamic ports out", () => {
        assert.deepEqual(placementNeedsOf({ networkMode: "bridge", containerDefinitions: [container({ portMappings: [
            { containerPort: 8080, hostPort: 80 }, { containerPort: 53, hostPort: 53, protocol: "udp" }, { containerPort: 9000, hostPort: 0 }, { containerPort: 9001 }] })] },
        undefined, "service:web"), { hostPorts: ["tcp:80", "udp:53"] });
        assert.deepEqual(placementNeedsOf({ networkMode: "host", containerDefinitions: [container({ portMappings: [{ containerPort: 8080 }] })] }, undefined, "service:web"),
            { hostPorts: ["tcp:8080"] });
        assert.deepEqual(placementNeedsOf({ networkMode: "awsvpc", containerDefinitions: [container({ portMappings: [{ containerPort: 8080, hostPort: 8080 }] })] },
            undefined, "service:web"), { awsvpc: true });
    });

    it("reads distinctInstance from the service and memberOf from both", () => {
        const needs = placementNeedsOf({ placementConstraints: [{ type: "memberOf", expression: "attribute:ecs.instance-type == m6i.large" }], containerDefinitions: [] },
            { placementConstraints: [{ type: "distinctInstance" }, { type: "memberOf", expression: "attribute:team == pay" }] }, "service:api");
        assert.deepEqual(needs, { distinctGroup: "service:api", memberOf: ["attribute:ecs.instance-type == m6i.large", "attribute:team == pay"] });
    });

    it("counts GPUs by value, and marks a shared GPU or another device as not modelled", () => {
        assert.deepEqual(placementNeedsOf({ containerDefinitions: [container({ resourceRequirements: [{ type: "GPU", value: "2" }] })] }, undefined, "service:ml"), { gpus: 2 });
        assert.deepEqual(placementNeedsOf({ containerDefinitions: [container({ resourceRequirements: [{ type: "GPU", sharingStrategy: { shareType: "TIME_SLICING" } }] })] },
            undefined, "service:ml"), { unmodelled: "a shared GPU (sharingStrategy)" });
        assert.deepEqual(placementNeedsOf({ containerDefinitions: [container({ resourceRequirements: [{ type: "NeuronDevice", value: "1" }] })] }, undefined, "service:ml"),
            { unmodelled: "a NeuronDevice resource requirement" });
    });
});


describe("replacement of an instance whose task is bound to what no other instance offers", () => {
    const zoneA = "attribute:ecs.availability-zone == us-east-1a";
    /** Three old instances; the first, alone in us-east-1a, runs a task bound to that zone. */
    function fleet(o: { oldMark?: "replace"; status?: "ACTIVE" | "DRAINING" } = {}) {
        const a = { ...host(1, { az: "us-east-1a" }), launchTemplateVersion: "3" };
        if (o.status !== undefined) a.container = { ...a.container!, status: o.status, ...(o.oldMark ? { drainMark: o.oldMark } : {}) };
        const b = host(2, { az: "us-east-1b" });
        const c = host(3, { az: "us-east-1b" });
        const d = host(4, { az: "us-east-1b" });
        return { instances: [a, b, c, d], tasks: [task(a, { memberOf: [zoneA] }, "service:zonal"), task(b, {}), task(c, {}), task(d, {})] };
    }

    it("holds it, with the reason, once the surge's new instances are there and none meets the constraint", () => {
        const { instances, tasks } = fleet();
        const p = plan(observed(instances, { tasks, surgeBaseline: 3, desired: 4 }), policy());
        assert.deepEqual(p.actions, [], renderPlan(p).join("\n"));
        assert.deepEqual(p.notes, [`replacement of i-0001 held: task 0 (service:zonal) needs memberOf(${zoneA}), which no instance that stays meets; `
            + "it is replaced once another instance meets it"]);
    });

    it("puts it back ACTIVE when a previous run left it DRAINING", () => {
        const { instances, tasks } = fleet({ status: "DRAINING", oldMark: "replace" });
        const p = plan(observed(instances, { tasks, surgeBaseline: 3, desired: 4 }), policy());
        assert.deepEqual(renderPlan(p).filter((l) => !l.startsWith("note: ")), ["undrain i-0001: its replacement is held (see the note)"]);
    });

    it("replaces it once an instance that stays is in its zone", () => {
        const { instances, tasks } = fleet();
        instances[3] = { ...instances[3], container: { ...instances[3].container!, attributes: { "ecs.availability-zone": "us-east-1a" } } };
        const p = plan(observed(instances, { tasks, surgeBaseline: 3, desired: 4 }), policy());
        assert.deepEqual(drained(p), ["i-0001"], renderPlan(p).join("\n"));
    });

    it("launches one instance for it when none is launching and no surge is recorded (the group is above desired capacity)", () => {
        const { instances, tasks } = fleet();
        const p = plan(observed(instances, { tasks, desired: 2, maxSize: 8 }), policy());
        assert.deepEqual(p.actions.filter((a) => a.kind === "set-desired"), [{ kind: "set-desired", cause: "surge", from: 2, to: 5, waitForActive: 0, baseline: 2,
            reason: "surge 2 → 5: a new instance for the held replacement of i-0001" }], renderPlan(p).join("\n"));
        assert.deepEqual(drained(p), []);
    });

    it("says to what maxSize must rise when there is no room to launch one for it", () => {
        const { instances, tasks } = fleet();
        const p = plan(observed(instances, { tasks, desired: 4, maxSize: 4 }), policy());
        assert.deepEqual(drained(p), []);
        assert.ok(p.notes.includes("no room to launch an instance for the held replacement: maxSize 4 is reached; raise maxSize to 5"), p.notes.join("\n"));
    });

    it("does not hold it before the surge: the new instances may meet the constraint, and the executor checks then", () => {
        const { instances, tasks } = fleet();
        const p = plan(observed(instances, { tasks, maxSize: 8 }), policy());
        assert.deepEqual(drained(p), ["i-0001"], renderPlan(p).join("\n"));
    });
});

describe("replacement held on the simulated cluster", () => {
    it("leaves the zone-bound instance ACTIVE when every new instance lands in the other zone, and launches nothing more for it", async () => {
        const world = buildCluster({ instances: 3, maxSize: 8, version: "1", services: [
            { name: "zonal", count: 1, cpu: 128, memory: 128, minHealthyPercent: 50, needs: { memberOf: ["attribute:ecs.availability-zone == us-east-1a"] } },
            { name: "web", count: 3, cpu: 256, memory: 256, minHealthyPercent: 50 },
        ] });
        world.clock.advance(11 * 60_000);
        for (const pool of world.spotPools().filter((x) => x.endsWith("/us-east-1a"))) world.drySpotPools.add(pool);
        world.group.launchTemplateVersion = "2";
        const zonalHost = () => world.serviceTasks("zonal").find(SimWorld.meantToRun)!.instanceId;
        const bound = zonalHost();
        assert.equal(world.instances.get(bound)!.zone, "us-east-1a");
        const settings = simSettings(world, { launchTemplateVersion: "2", draining: { ...simSettings(world).draining, batchSize: 3 } });

        const first = await simReconcile(world, settings);
        assert.ok(first.lines.some((l) => l.includes(`${bound} held, not drained: task`)), first.lines.join("\n"));
        assert.equal(world.instances.get(bound)!.container!.status, "ACTIVE");
        assert.equal(zonalHost(), bound, "the zone-bound task never moved");
        const launched = world.instances.size;
        world.clock.advance(11 * 60_000);
        const second = await simReconcile(world, settings);
        assert.ok(second.plan.notes.some((n) => n.startsWith(`replacement of ${bound} held: `)), second.lines.join("\n"));
        assert.ok(!second.plan.actions.some((a) => (a.kind === "set-desired" && a.cause === "surge") || (a.kind === "drain" && a.purpose === "replace")),
            second.lines.join("\n"));
        assert.ok(!drained(second.plan).includes(bound));
        assert.equal(world.instances.size, launched, "no instance launched for it again");
        assert.deepEqual(world.killedTasks().filter((t) => t.stoppedBy === "scaler" || t.stoppedBy === "asg"), []);
        assert.deepEqual(world.violations, []);
    });
});

describe("replacement with no room to surge, by ECS's placement rules", () => {
    const old = (i: ObservedInstance): ObservedInstance => ({ ...i, launchTemplateVersion: "3" });
    const half = policy({ draining: { minHealthyPercent: 50, batchSize: 1 } });

    it("keeps an ACTIVE instance for each task that binds the same host port, and says so", () => {
        const hosts = [1, 2, 3].map((n) => old(host(n, { ports: ["tcp:80"] })));
        const tasks = hosts.map((h) => task(h, { hostPorts: ["tcp:80"] }, "service:edge"));
        const p = plan(observed(hosts, { tasks, desired: 3, maxSize: 3 }), half);
        assert.deepEqual(drained(p), [], renderPlan(p).join("\n"));
        assert.deepEqual(p.notes, ["replacement blocked: 3 instances on an old launch template, but maxSize 3 leaves no room to surge and "
            + "draining.minHealthyPercent 50 keeps 2 of 3 ACTIVE and 3 tasks bind host port tcp:80 (an instance each); "
            + "raise maxSize (to 4 to replace 1 instance at a time) or lower draining.minHealthyPercent"]);
    });

    it("drains in place only a victim whose tasks fit on the instances that stay", () => {
        // i-0001 is the least used, but its task binds port 80, which the others have bound; i-0002's task fits on i-0003.
        const a = old(host(1, { usedCpu: 128, ports: ["tcp:80"] }));
        const b = old(host(2, { usedCpu: 256, ports: ["tcp:80"] }));
        const c = old(host(3, { usedCpu: 256, ports: ["tcp:80"] }));
        const tasks = [{ ...task(a, { hostPorts: ["tcp:80"] }, "service:edge"), cpu: 128 }, task(b, {}), task(c, {})];
        const p = plan(observed([a, b, c], { tasks, desired: 3, maxSize: 3 }), half);
        const first = p.actions.find((x) => x.kind === "drain");
        assert.deepEqual(first?.kind === "drain" ? first.victims.map((v) => v.instanceId) : [], ["i-0002"], renderPlan(p).join("\n"));
    });

    it("holds the replacement, and says to what maxSize to rise, when no victim's tasks fit on the others", () => {
        const hosts = [1, 2].map((n) => old(host(n, { usedCpu: 1800 })));
        const tasks = hosts.flatMap((h) => tasksOn(h, 1, 1800, 256, "service:big"));
        const p = plan(observed(hosts, { tasks, desired: 2, maxSize: 2 }), half);
        assert.deepEqual(drained(p), [], renderPlan(p).join("\n"));
        assert.deepEqual(p.notes, ["replacement held: the 1 task of i-0001 would not fit on the other instances (CPU on every other instance), "
            + "and maxSize 2 leaves no room to surge; raise maxSize to 3"]);
    });
});
