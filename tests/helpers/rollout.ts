// A rolled fleet on the simulated cluster, and how to crash a run after any of its steps: shared by
// the fault tests and the runner's.
import { strict as assert } from "node:assert";
import { Cloud } from "../../provider/cloud";
import { buildCluster, ClusterSpec, newLaunchTemplateVersion, simSettings } from "../../provider/sim/scenario";
import { ScalerSettingsDefaults } from "../../provider/sim/defaults";
import { SimWorld } from "../../provider/sim/world";
import { ScalerSettings } from "../../provider/settings";

export const MINUTE = 60_000;

/** A mixed fleet (On-Demand base, Spot above), three services, one standalone task, a target group, rolled to v2. */
export function mixedFleet(): SimWorld {
    const world = buildCluster({
        instances: 6, onDemand: 2, maxSize: 9, targetGroups: 1,
        services: [
            { name: "web", count: 10, cpu: 256, memory: 512, minHealthyPercent: 100, maxPercent: 200 },
            { name: "api", count: 6, cpu: 256, memory: 512, minHealthyPercent: 50, maxPercent: 200 },
            { name: "worker", count: 4, cpu: 512, memory: 1024, minHealthyPercent: 0, maxPercent: 100 },
        ],
        standalone: [{ family: "report", cpu: 128, memory: 128, onInstance: 3 }],
    } satisfies ClusterSpec);
    world.clock.advance(6 * MINUTE);
    newLaunchTemplateVersion(world);
    return world;
}

export function rollSettings(world: SimWorld, o: ScalerSettingsDefaults = {}): ScalerSettings {
    return simSettings(world, {
        targetGroupArns: world.group.targetGroupArns,
        launchTemplateVersion: world.group.launchTemplateVersion,
        ...o,
        // The roll alone: the fleet is lightly used, and consolidation would scale it in once its delay
        // has passed; these tests compare end states over runs shorter than this delay.
        scaling: { scaleInAfterMinutes: 60, ...o.scaling },
        draining: { batchSize: 2, standaloneTasks: "stop", timeoutSeconds: 300, ...o.draining },
    });
}

/** What a finished replacement looks like, independent of instance ids. */
export function endState(world: SimWorld) {
    const live = world.liveInstances();
    return {
        desired: world.group.desired,
        live: live.length,
        versions: [...new Set(live.map((i) => i.ltVersion))],
        statuses: [...new Set(live.map((i) => i.container?.status))],
        surgeTag: world.group.tags["spot-ecs:surge-baseline"],
        marks: live.filter((i) => i.container?.attributes["spot-ecs.drain"] !== undefined).length,
        running: Object.fromEntries([...world.services.keys()].map((s) => [s, world.serviceTasks(s).filter((t) => t.status === "RUNNING").length])),
    };
}

export function assertNothingLost(world: SimWorld): void {
    assert.deepEqual(world.violations, []);
    assert.deepEqual(world.killedTasks("scaler").map((t) => t.family), []);
}

export const WRITES = ["setDesiredCapacity", "recordSurge", "markDrain", "clearDrainMark", "setContainerInstanceState",
    "deregisterTargets", "stopTask", "deregisterContainerInstance", "terminateInstance"];

/** A Cloud whose process "dies" after `after` write calls have gone through: every later call throws. */
export function crashingAfter(cloud: Cloud, after: number): { cloud: Cloud; writes: () => number } {
    let writes = 0;
    let dead = false;
    const wrapped: Record<string, unknown> = {};
    for (const [key, fn] of Object.entries(cloud)) {
        if (typeof fn !== "function") continue;
        wrapped[key] = async (...args: unknown[]) => {
            if (dead) throw Object.assign(new Error("the process was killed"), { name: "Crash" });
            if (WRITES.includes(key)) {
                if (writes >= after) {
                    dead = true;
                    throw Object.assign(new Error("the process was killed"), { name: "Crash" });
                }
                writes++;
            }
            return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        };
    }
    return { cloud: wrapped as unknown as Cloud, writes: () => writes };
}

