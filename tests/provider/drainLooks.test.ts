// How a drain batch reads AWS at scale: the gate's tasks from the cluster's list when that takes fewer
// requests, one read of the stopping tasks and of the services per look for the whole batch, and
// per-victim calls a few at a time.
import { strict as assert } from "node:assert";
import { Cloud } from "../../provider/cloud";
import { VICTIM_CONCURRENCY } from "../../provider/drain";
import { forEachLimit } from "../../provider/limit";
import { reconcile } from "../../provider/reconcile";
import { simCloud, simDeps } from "../../provider/sim/cloud";
import { ScalerSettings } from "../../provider/settings";
import { ScalerSettingsDefaults } from "../../provider/sim/defaults";
import { buildCluster, ClusterSpec, newLaunchTemplateVersion, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";

/** The Cloud calls made: by method with the arguments of each, and all of them in order. */
function recording(cloud: Cloud): { cloud: Cloud; calls: Record<string, unknown[][]>; log: [string, unknown[]][] } {
    const calls: Record<string, unknown[][]> = {};
    const log: [string, unknown[]][] = [];
    const wrapped = Object.fromEntries(Object.entries(cloud).map(([name, value]) => [name, typeof value !== "function" ? value
        : (...args: unknown[]) => {
            (calls[name] = calls[name] ?? []).push(args);
            log.push([name, args]);
            return (value as (...a: unknown[]) => unknown).apply(cloud, args);
        }]));
    return { cloud: wrapped as unknown as Cloud, calls, log };
}

/** A cluster of `spec` whose instances are all on an older launch template version than the group now launches. */
function outdatedCluster(spec: ClusterSpec): SimWorld {
    const world = buildCluster(spec);
    world.clock.advance(11 * 60_000);
    newLaunchTemplateVersion(world);
    return world;
}

/** Scaler settings that replace the instances onto the group's version, draining with `draining`. */
function replacing(world: SimWorld, draining: ScalerSettingsDefaults["draining"]): ScalerSettings {
    return simSettings(world, { targetGroupArns: world.group.targetGroupArns, launchTemplateVersion: world.group.launchTemplateVersion, draining });
}

/** 20 instances with 8 service tasks each, replaced onto a new launch template in batches of `batchSize`. */
async function replaceAll(batchSize: number) {
    const world = outdatedCluster({ instances: 20, maxSize: 40, targetGroups: 1,
        services: [{ name: "web", count: 80, cpu: 128, memory: 256, minHealthyPercent: 50 }, { name: "api", count: 80, cpu: 128, memory: 256, minHealthyPercent: 50 }] });
    const { cloud, calls } = recording(simCloud(world));
    const settings = replacing(world, { batchSize, minHealthyPercent: 50, maxUpdateSeconds: 86400 });
    const result = await world.clock.run(reconcile(cloud, simDeps(world), settings));
    assert.equal(Object.values(result.report.instances).filter((s) => s === "terminated").length, 20);
    assert.deepEqual(world.killedTasks(), []);
    return calls;
}

describe("drain looks at scale", () => {
    it("reads the gate's tasks from the cluster's list for a large batch, and per victim for a small one", async () => {
        // 160 tasks: the cluster's list is 2 pages and their descriptions; a victim's own lists are about 3 requests.
        const large = await replaceAll(20);
        assert.equal((large.listTasksOn ?? []).filter(([, withNeeds]) => withNeeds === true).length, 0, "no victim listed on its own");
        assert.equal(large.listTasks.length, 2, "once to observe, once for the gate");
        const small = await replaceAll(1);
        assert.equal((small.listTasksOn ?? []).filter(([, withNeeds]) => withNeeds === true).length, 20, "each victim's own list");
        assert.equal(small.listTasks.length, 1, "only to observe");
    });

    it("reads the tasks still stopping, and the services, once per look for all the batch's emptied victims", async () => {
        const calls = await replaceAll(20);
        assert.equal((calls.listTasksOn ?? []).length, 0, "no per-victim task list while draining");
        const asked = calls.stoppingTasks.map(([arns]) => (arns as string[]).length);
        assert.ok(Math.max(...asked) > 1, `the emptied victims of a look are asked about together (${asked.join(", ")})`);
        assert.ok(calls.stoppingTasks.length <= calls.describeContainerInstances.length, "at most one read per look");
        assert.ok(calls.serviceHealth.every(([names]) => (names as string[]).length === new Set(names as string[]).size));
    });

    it("runs per-victim calls at most a given number at a time, and on an error starts no more and throws the first", async () => {
        let running = 0;
        let most = 0;
        const started: number[] = [];
        await forEachLimit(Array.from({ length: 25 }, (_, i) => i), VICTIM_CONCURRENCY, async (i) => {
            started.push(i);
            running++;
            most = Math.max(most, running);
            await new Promise((r) => setTimeout(r, 1));
            running--;
        });
        assert.deepEqual([started.length, most], [25, VICTIM_CONCURRENCY]);

        const begun: number[] = [];
        const finished: number[] = [];
        await assert.rejects(forEachLimit(Array.from({ length: 10 }, (_, i) => i), 3, async (i) => {
            begun.push(i);
            await new Promise((r) => setTimeout(r, i === 1 ? 1 : 5));
            if (i === 1 || i === 2) throw new Error(`item ${i}`);
            finished.push(i);
        }), /item 1/);
        assert.deepEqual(begun, [0, 1, 2], "nothing started after the first error");
        assert.deepEqual(finished, [0], "the calls under way finished");
    });
});

describe("a target registered again during a drain", () => {
    it("is deregistered again, and the drain finishes with nothing lost", async () => {
        const world = outdatedCluster({ instances: 3, maxSize: 6, targetGroups: 1,
            services: [{ name: "web", count: 6, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        const [tg] = world.group.targetGroupArns;
        const [first] = [...world.instances.keys()];
        const lines: string[] = [];
        const settings = replacing(world, { batchSize: 3, minHealthyPercent: 50, maxUpdateSeconds: 86400 });
        const run = reconcile(simCloud(world), simDeps(world, 1, (l) => lines.push(l)), settings);
        // Once the victims are DRAINING and out of the target group, someone puts the first one back.
        const meddle = (async () => {
            while (world.instances.get(first)!.container?.status !== "DRAINING") await world.clock.sleep(5_000);
            await world.clock.sleep(30_000);
            world.registerTarget(tg, first, "operator");
        })();
        const [result] = await world.clock.run(Promise.all([run, meddle]));
        assert.equal(Object.values(result.report.instances).filter((s) => s === "terminated").length, 3);
        assert.ok(lines.some((l) => l.includes(`${first} still registered in targetgroup/web-1 while draining`)), lines.join("\n"));
        assert.deepEqual(world.killedTasks(), []);
        assert.deepEqual(world.violations, []);
    });
});

describe("when a drain batch looks", () => {
    it("looks as the drain timeout ends, not up to a poll later", async () => {
        // Two instances with no room to surge: the victim's task fits on the other one when the plan is
        // made, but a task started there as the drain begins takes that room. ECS stops the victim's task
        // (min healthy 50%, max 100%: it stops first) and has nowhere to start it, so the service stays short and the instance is held.
        const world = outdatedCluster({ instances: 2, maxSize: 2, services: [{ name: "web", count: 2, cpu: 1000, memory: 1024, minHealthyPercent: 50, maxPercent: 100 }] });
        const timed: { at: number; line: string }[] = [];
        const settings = replacing(world, { batchSize: 1, minHealthyPercent: 50, timeoutSeconds: 50, maxUpdateSeconds: 3600 });
        const [a, b] = [...world.instances.keys()];
        const filler = (async () => {
            while (![a, b].some((id) => world.instances.get(id)!.container?.status === "DRAINING")) await world.clock.sleep(1_000);
            const other = [a, b].find((id) => world.instances.get(id)!.container?.status === "ACTIVE")!;
            world.runTask("filler", 1000, 512, other);
        })();
        const [error] = await world.clock.run(Promise.all([
            reconcile(simCloud(world), simDeps(world, 1, (line) => timed.push({ at: world.now, line })), settings).then(() => undefined, (e: Error) => e),
            filler]));
        assert.match(String(error?.message), /a service it ran is still short \d+ s after its last task stopped/, timed.map((t) => t.line).join("\n"));
        const held = timed.find((t) => t.line.includes("empty, termination held"))!;
        const failed = timed.find((t) => t.line.includes("still short") && t.line.includes("after its last task stopped"))!;
        const seconds = (failed.at - held.at) / 1000;
        // Polls 5 s apart growing to 15 s would see the 50 s pass up to 15 s late.
        assert.ok(seconds >= 50 && seconds <= 52, `the drain timeout was seen ${seconds} s after the instance emptied`);
        assert.deepEqual(world.killedTasks(), []);
    });
});

describe("a victim whose container instance is gone", () => {
    it("is terminated only once the services it ran are whole, as any other", async () => {
        const world = outdatedCluster({ instances: 2, maxSize: 4, targetGroups: 1,
            services: [{ name: "web", count: 4, cpu: 256, memory: 256, minHealthyPercent: 50 }] });
        const [victim] = [...world.instances.keys()];
        const arn = world.instances.get(victim)!.container!.arn;
        const recorded = recording(simCloud(world));
        // From the moment the victim drains, ECS no longer describes its container instance.
        const cloud: Cloud = { ...recorded.cloud,
            describeContainerInstances: async (arns) => (await recorded.cloud.describeContainerInstances(arns))
                .filter((c) => !(c.arn === arn && world.instances.get(victim)!.container?.status === "DRAINING")),
        };
        const settings = replacing(world, { batchSize: 1, minHealthyPercent: 50, maxUpdateSeconds: 86400 });
        await world.clock.run(reconcile(cloud, simDeps(world), settings));
        const order = recorded.log.flatMap(([name, args]) => name === "serviceHealth" ? [`health ${(args[0] as string[]).join(",")}`]
            : name === "setContainerInstanceState" ? [`${args[1]} ${(args[0] as string[]).length}`]
            : name === "terminateInstance" ? [`terminate ${args[0]}`] : []);
        const terminated = order.indexOf(`terminate ${victim}`);
        const drained = order.indexOf("DRAINING 1");
        assert.ok(drained >= 0 && terminated > drained, order.join(" / "));
        assert.ok(order.slice(drained, terminated).includes("health web"), `the services were read after the drain began: ${order.join(" / ")}`);
        assert.deepEqual(world.killedTasks(), []);
    });
});
