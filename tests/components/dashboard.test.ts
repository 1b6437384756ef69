import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { installMocks, oneResource, resourcesOf, valueOf, SMALL_CLUSTER_ARGS } from "../helpers/pulumiMocks";
import { SpotEcsCluster, SpotEcsClusterArgs } from "../../components";
import { dashboardUrl, Widget, MetricWidget } from "../../components/dashboard";

const base: SpotEcsClusterArgs = SMALL_CLUSTER_ARGS;

describe("SpotEcsCluster dashboard", () => {
    let widgets: Widget[];
    let c: SpotEcsCluster;

    before(async () => {
        await installMocks();
        c = new SpotEcsCluster("dash", { ...base, scaling: { cpuHighPercent: 80, scaleInTargetPercent: 70 } });
        await valueOf(c.dashboardUrl);
        widgets = JSON.parse(oneResource("dash", "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody).widgets;
    });

    const metricWidget = (title: RegExp) => widgets.find((w): w is MetricWidget => w.type === "metric" && title.test(w.properties.title))!;

    it("is named after the cluster and has a console address", async () => {
        assert.equal(oneResource("dash", "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardName, "dash-spot-ecs");
        assert.equal(await valueOf(c.dashboardName), "dash-spot-ecs");
        assert.equal(await valueOf(c.dashboardUrl), "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=dash-spot-ecs");
    });

    it("charts CPU and memory reservation at 1 minute with the thresholds as horizontal annotations", () => {
        const w = metricWidget(/reservation/);
        assert.deepEqual([w.properties.stat, w.properties.period, w.properties.region], ["Average", 60, "eu-west-1"]);
        assert.deepEqual(w.properties.metrics, [
            ["AWS/ECS", "CPUReservation", "ClusterName", "dash", { label: "CPUReservation" }],
            ["AWS/ECS", "MemoryReservation", "ClusterName", "dash", { label: "MemoryReservation" }],
        ]);
        assert.deepEqual(w.properties.annotations!.horizontal.map((a) => [a.label, a.value]), [
            ["CPU high 80%", 80], ["memory high 88%", 88], ["scale-in target 70%", 70],
        ]);
    });

    it("charts the group's desired, in-service and pending instances", () => {
        const w = metricWidget(/Auto Scaling group/);
        assert.deepEqual(w.properties.metrics.map((m) => [m[0], m[1], m[2], m[3]]), [
            ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", "dash-asg-7654321"],
            ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", "dash-asg-7654321"],
            ["AWS/AutoScaling", "GroupPendingInstances", "AutoScalingGroupName", "dash-asg-7654321"],
        ]);
        const asg = oneResource("dash", "aws:autoscaling/group:Group");
        for (const m of w.properties.metrics) assert.ok(asg.inputs.enabledMetrics.includes(m[1]), `${m[1]} is enabled on the group`);
    });

    it("shows the four alarms' states", () => {
        const w = widgets.find((x) => x.type === "alarm")!;
        assert.equal(w.type, "alarm");
        const arns = resourcesOf("dash", "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${a.name}`);
        assert.deepEqual(w.type === "alarm" ? [...w.properties.alarms].sort() : [], arns.sort());
    });

    it("charts the scaler's own metrics and the Spot/On-Demand split in its namespace", () => {
        const scalerMetrics = widgets.flatMap((w) => w.type === "metric" ? w.properties.metrics : []).filter((m) => m[0] === "SpotEcs/Scaler");
        assert.deepEqual(scalerMetrics.map((m) => m[1]).sort(), ["DrainSecondsMax", "DrainsTimedOut", "InstancesDrained",
            "OnDemandInstances", "PlannedDesiredCapacity", "RetainedInstances", "SpotInstances", "TasksMoved"]);
        assert.ok(scalerMetrics.every((m) => m[2] === "ClusterName" && m[3] === "dash"));
    });

    it("lays the widgets out on the 24-column grid without overlap", () => {
        const cells = new Set<string>();
        for (const w of widgets) {
            assert.ok(w.x + w.width <= 24);
            for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) {
                assert.ok(!cells.has(`${x},${y}`), `overlap at ${x},${y}`);
                cells.add(`${x},${y}`);
            }
        }
    });

    it("has one row per widget in docs/how-it-works.md", () => {
        const page = fs.readFileSync(path.join(__dirname, "../../docs/how-it-works.md"), "utf8");
        const table = page.slice(page.indexOf("| widget | what it shows |")).split("\n").slice(2);
        const rows = table.slice(0, table.findIndex((l) => !l.startsWith("|")));
        assert.equal(rows.length, widgets.length, rows.join("\n"));
    });

    it("is left out with dashboard: false", async () => {
        const off = new SpotEcsCluster("nodash", { ...base, dashboard: false });
        assert.equal(await valueOf(off.dashboardName), undefined);
        await valueOf(off.alarmArns);
        assert.equal(resourcesOf("nodash", "aws:cloudwatch/dashboard:Dashboard").length, 0);
    });

    it("links to the partition's console", () => {
        assert.equal(dashboardUrl("aws-cn", "cn-north-1", "a b"), "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards:name=a%20b");
        assert.equal(dashboardUrl("aws-us-gov", "us-gov-west-1", "x"), "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#dashboards:name=x");
    });
});
