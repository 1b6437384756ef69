// The AWS requests of a whole `pulumi up` that acts: the engine checks the scaler's inputs twice
// (preview, then the update's own check; each observes and plans), then the update observes once
// more and carries the plan out. Counted on the simulator with the network model, whose request
// table is pinned against the AWS Cloud on moto.
import { previewPlan, reconcile } from "../provider/reconcile";
import { simCloud, simDeps } from "../provider/sim/cloud";
import { NetworkModel } from "../provider/sim/network";
import { buildCluster, newLaunchTemplateVersion, simSettings } from "../provider/sim/scenario";
import { SimWorld } from "../provider/sim/world";

export interface WholeUpRow {
    instances: number;
    tasks: number;
    scenario: "replace" | "scaleIn";
    /** AWS requests of check + check + update (observe, plan, execute). */
    requests: number;
    byOperation: Record<string, number>;
    /** Of those, the requests of the update's execution. */
    executionRequests: number;
    /** What the update carried out. */
    outcome: string;
}

const TASKS_PER_INSTANCE = 8;

/**
 * `n` instances of m6i.large. Replace: 8 tasks each and a new launch template version, replaced in
 * batches of 10% of the fleet. Scale-in: 2 tasks each, reservations low for the last 20 minutes.
 */
function clusterFor(n: number, scenario: WholeUpRow["scenario"]): SimWorld {
    const perInstance = scenario === "replace" ? TASKS_PER_INSTANCE : 2;
    const tasks = n * perInstance;
    const services = Array.from({ length: Math.ceil(tasks / 40) }, (_, i) => ({
        name: `svc-${i + 1}`, count: Math.min(40, tasks - i * 40), cpu: 180, memory: 512, minHealthyPercent: 50, maxPercent: 200,
    }));
    const world = buildCluster({ instances: n, maxSize: Math.ceil(n * 1.1), minSize: 1, targetGroups: 1, services, seedEvenly: true,
        timings: { tickSeconds: 5 } });
    world.clock.advance(20 * 60_000);
    if (scenario === "replace") newLaunchTemplateVersion(world);
    return world;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function add(into: Record<string, number>, from: Record<string, number>): void {
    for (const [op, n] of Object.entries(from)) into[op] = (into[op] ?? 0) + n;
}

export async function wholeUp(n: number, scenario: WholeUpRow["scenario"], network: NetworkModel): Promise<WholeUpRow> {
    const world = clusterFor(n, scenario);
    const settings = simSettings(world, {
        targetGroupArns: world.group.targetGroupArns, launchTemplateVersion: world.group.launchTemplateVersion,
        draining: { batchSize: Math.max(1, Math.ceil(n / 10)), maxUpdateSeconds: 86400 },
    });
    const byOperation: Record<string, number> = {};
    for (let check = 0; check < 2; check++) {
        const cloud = simCloud(world, undefined, network);
        await world.clock.run(previewPlan(cloud, simDeps(world), settings));
        add(byOperation, cloud.network!.requests);
    }
    const cloud = simCloud(world, undefined, network);
    const result = await world.clock.run(reconcile(cloud, simDeps(world), settings));
    const update = cloud.network!.requests;
    // The update's own observation costs what a check's does; the rest is the execution.
    const observation = total(byOperation) / 2;
    add(byOperation, update);
    const terminated = Object.values(result.report.instances).filter((s) => s === "terminated").length;
    return {
        instances: n, tasks: world.liveTasks().length, scenario, requests: total(byOperation), byOperation,
        executionRequests: Math.round(total(update) - observation),
        outcome: `${terminated} instance${terminated === 1 ? "" : "s"} drained and terminated`,
    };
}

/** A replacing and a scaling-in `pulumi up` at each size. */
export async function wholeUpRows(sizes: number[], network: NetworkModel): Promise<WholeUpRow[]> {
    const rows: WholeUpRow[] = [];
    for (const n of sizes) for (const scenario of ["replace", "scaleIn"] as const) rows.push(await wholeUp(n, scenario, network));
    return rows;
}
