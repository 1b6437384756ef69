import { strict as assert } from "node:assert";
import * as cw from "@aws-sdk/client-cloudwatch";
import { awsCloud } from "../../provider/aws/cloud";
import { isScalerRunError } from "../../provider/run";
import { Plan } from "../../provider/model";
import { reconcile } from "../../provider/reconcile";
import { plannedDesiredCapacity, SCALER_NAMESPACE } from "../../provider/scalerMetrics";
import { simCloud, simDeps } from "../../provider/sim/cloud";
import { buildCluster, newLaunchTemplateVersion, simReconcile, simSettings } from "../../provider/sim/scenario";
import { SimWorld } from "../../provider/sim/world";
import { motoWithEnv } from "../helpers/motoEnv";
import { clientsFor, REGION } from "../helpers/motoCluster";

const MINUTE = 60_000;

function rolled(standalone = false): SimWorld {
    const world = buildCluster({
        instances: 4, maxSize: 8, services: [{ name: "web", count: 8, cpu: 256, memory: 512 }],
        standalone: standalone ? [{ family: "report", cpu: 64, memory: 64, onInstance: 0 }] : [],
    });
    world.clock.advance(6 * MINUTE);
    newLaunchTemplateVersion(world);
    return world;
}

const valuesOf = (metrics: { name: string; value: number }[]) => Object.fromEntries(metrics.map((m) => [m.name, m.value]));

describe("scaler metrics", () => {
    it("computes the desired capacity a plan ends with", () => {
        const plan: Plan = { notes: [], actions: [
            { kind: "set-desired", cause: "surge", from: 4, to: 8, waitForActive: 0, baseline: 4, reason: "" },
            { kind: "drain", purpose: "replace", batch: 1, batches: 1, waitForActive: 6, endsSurge: true, reason: "",
                victims: [1, 2, 3, 4].map((n) => ({ instanceId: `i-${n}`, lifecycle: "spot" as const, tasks: 2, decrement: true, reason: "" })) },
        ] };
        assert.equal(plannedDesiredCapacity(4, plan), 4);
        assert.equal(plannedDesiredCapacity(4, { notes: [], actions: [] }), 4);
    });

    it("are published in one request after a run that acted", async () => {
        const world = rolled();
        const r = await simReconcile(world, simSettings(world, { launchTemplateVersion: "2", draining: { batchSize: 4 } }));
        assert.equal(r.cloud.requests.PutMetricData, 1);
        assert.equal(world.published.length, 1);
        const v = valuesOf(world.published[0].metrics);
        assert.deepEqual([v.PlannedDesiredCapacity, v.InstancesDrained, v.TasksMoved, v.DrainsTimedOut, v.SpotInstances, v.OnDemandInstances],
            [4, 4, 8, 0, 4, 0]);
        assert.ok(v.DrainSecondsMax > 0);
        assert.equal(v.TasksMoved, [...world.tasks.values()].filter((t) => t.stopCause === "drain").length, "the tasks ECS moved off drained instances");
        assert.deepEqual(world.published[0].metrics.map((m) => m.unit), ["Count", "Count", "Count", "Seconds", "Count", "Count", "Count", "Count"]);
        assert.ok(r.lines.some((l) => l.startsWith("[sim] published PlannedDesiredCapacity=4 InstancesDrained=4 TasksMoved=8 ")));
        assert.deepEqual(r.report.metrics, world.published[0].metrics);
    });

    it("are not published when there was nothing to do", async () => {
        const world = buildCluster({ instances: 3, services: [{ name: "web", count: 9, cpu: 256, memory: 1024 }] });
        world.clock.advance(6 * MINUTE);
        const r = await simReconcile(world, simSettings(world));
        assert.deepEqual(r.plan.actions, []);
        assert.equal(world.published.length, 0);
        assert.equal(r.cloud.requests.PutMetricData, undefined);
    });

    it("are published for a run that failed part-way, counting the timed-out drain", async () => {
        const world = rolled(true);
        const error = await simReconcile(world, simSettings(world, { launchTemplateVersion: "2", draining: { timeoutSeconds: 60, batchSize: 4 } })).then(() => undefined, (e) => e);
        assert.ok(isScalerRunError(error));
        assert.equal(world.published.length, 1);
        assert.equal(valuesOf(world.published[0].metrics).DrainsTimedOut, 1);
    });

    it("never fail the update when they cannot be published", async () => {
        const world = rolled();
        const cloud = simCloud(world);
        const lines: string[] = [];
        const broken = { ...cloud, publishMetrics: async () => { throw Object.assign(new Error("User is not authorized to perform: cloudwatch:PutMetricData"), { name: "AccessDenied" }); } };
        const r = await world.clock.run(reconcile(broken, simDeps(world, 1, (l) => lines.push(l)),
            simSettings(world, { launchTemplateVersion: "2", draining: { batchSize: 4 } })));
        assert.ok(Object.values(r.report.instances).every((o) => o === "terminated"));
        assert.equal(r.report.metrics, undefined);
        assert.ok(lines.includes("[sim] could not publish metrics to SpotEcs/Scaler: AccessDenied: User is not authorized to perform: cloudwatch:PutMetricData"));
    });

    describe("against moto @moto", function () {
        this.timeout(120_000);
        const server = motoWithEnv();

        it("can be read back with GetMetricData", async () => {
            const cloud = awsCloud({ region: REGION, clusterName: "metrics", autoScalingGroupName: "metrics-asg" });
            await cloud.publishMetrics([
                { name: "PlannedDesiredCapacity", value: 6, unit: "Count" },
                { name: "DrainSecondsMax", value: 412, unit: "Seconds" },
            ]);
            assert.deepEqual(cloud.requests, { PutMetricData: 1 });
            const end = new Date(Date.now() + 60_000);
            const start = new Date(Date.now() - 10 * 60_000);
            const query = (id: string, name: string): cw.MetricDataQuery => ({
                Id: id, MetricStat: { Metric: { Namespace: SCALER_NAMESPACE, MetricName: name, Dimensions: [{ Name: "ClusterName", Value: "metrics" }] }, Period: 60, Stat: "Maximum" },
            });
            const r = await clientsFor(server.moto.endpoint).cw.send(new cw.GetMetricDataCommand({
                MetricDataQueries: [query("planned", "PlannedDesiredCapacity"), query("drain", "DrainSecondsMax")], StartTime: start, EndTime: end,
            }));
            const byId = Object.fromEntries((r.MetricDataResults ?? []).map((x) => [x.Id, x.Values]));
            assert.deepEqual(byId, { planned: [6], drain: [412] });
        });
    });
});
