// The cluster at a glance: a CloudWatch dashboard built from typed widget definitions.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ScalingPolicy } from "../provider/settings";
import { SCALER_METRICS, SCALER_NAMESPACE } from "../provider/scalerMetrics";

/** `[namespace, metric, dimension name, dimension value, options]` as CloudWatch dashboards take it. */
export type MetricSpec = [string, string, string, string, { label?: string; stat?: string; color?: string; yAxis?: "left" | "right" }?];

export interface HorizontalAnnotation {
    label: string;
    value: number;
    color: string;
}

export interface MetricWidget {
    type: "metric";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: {
        title: string;
        region: string;
        view: "timeSeries";
        stacked: boolean;
        period: number;
        stat: "Average" | "Maximum" | "Sum";
        metrics: MetricSpec[];
        annotations?: { horizontal: HorizontalAnnotation[] };
        yAxis?: { left?: { min?: number; max?: number; label?: string } };
    };
}

export interface AlarmWidget {
    type: "alarm";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: { title: string; alarms: string[] };
}

export interface TextWidget {
    type: "text";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: { markdown: string };
}

export type Widget = MetricWidget | AlarmWidget | TextWidget;

export interface DashboardInputs {
    region: string;
    clusterName: string;
    autoScalingGroupName: string;
    alarmArns: string[];
    scaling: ScalingPolicy;
    /** The runner's function, and its alarms (among `alarmArns`); undefined without a runner. */
    runnerFunctionName?: string;
}

const HIGH = "#d62728";
const LOW = "#2ca02c";

/** The dashboard's widgets, top to bottom: reservations, the group, lifecycle, alarms, the scaler. */
export function dashboardWidgets(i: DashboardInputs): Widget[] {
    const s = i.scaling;
    const cluster = (metric: string, label: string): MetricSpec => ["AWS/ECS", metric, "ClusterName", i.clusterName, { label }];
    const group = (metric: string, label: string): MetricSpec => ["AWS/AutoScaling", metric, "AutoScalingGroupName", i.autoScalingGroupName, { label }];
    const scaler = (metric: string, label: string): MetricSpec => [SCALER_NAMESPACE, metric, "ClusterName", i.clusterName, { label }];
    const runner = (metric: string, label: string, stat: string): MetricSpec => ["AWS/Lambda", metric, "FunctionName", i.runnerFunctionName!, { label, stat }];
    const runs = i.runnerFunctionName === undefined ? 0 : 6;
    const chart = (x: number, y: number, title: string, stat: MetricWidget["properties"]["stat"], period: number,
        metrics: MetricSpec[], extra: Partial<MetricWidget["properties"]> = {}): MetricWidget => ({
        type: "metric", x, y, width: 12, height: 6,
        properties: { region: i.region, view: "timeSeries", stacked: false, title, stat, period, metrics, ...extra },
    });
    return [
        chart(0, 0, `${i.clusterName}: CPU and memory reservation`, "Average", 60,
            [cluster("CPUReservation", "CPUReservation"), cluster("MemoryReservation", "MemoryReservation")], {
                annotations: {
                    horizontal: [
                        { label: `CPU high ${s.cpuHighPercent}%`, value: s.cpuHighPercent, color: HIGH },
                        { label: `memory high ${s.memoryHighPercent}%`, value: s.memoryHighPercent, color: HIGH },
                        { label: `scale-in target ${s.scaleInTargetPercent}%`, value: s.scaleInTargetPercent, color: LOW },
                    ],
                },
                yAxis: { left: { min: 0, max: 100, label: "%" } },
            }),
        chart(12, 0, "Auto Scaling group: desired, in service, pending", "Average", 60,
            [group("GroupDesiredCapacity", "desired"), group("GroupInServiceInstances", "in service"), group("GroupPendingInstances", "pending")]),
        chart(0, 6, "Instances by lifecycle (as the scaler last saw them)", "Maximum", 300,
            [scaler("SpotInstances", "Spot"), scaler("OnDemandInstances", "On-Demand")], { stacked: true }),
        {
            type: "alarm", x: 12, y: 6, width: 12, height: 6,
            properties: { title: i.runnerFunctionName === undefined ? "Reservation alarms" : "Reservation and runner alarms", alarms: i.alarmArns },
        },
        chart(0, 12, "Scaler: planned desired capacity, instances drained, tasks moved", "Maximum", 300,
            [scaler("PlannedDesiredCapacity", "planned desired"), scaler("InstancesDrained", "instances drained"), scaler("TasksMoved", "tasks moved")]),
        chart(12, 12, "Scaler: longest drain (s), drains timed out, instances retained", "Maximum", 300,
            [scaler("DrainSecondsMax", "longest drain (s)"), scaler("DrainsTimedOut", "drains timed out"), scaler("RetainedInstances", "instances retained")]),
        ...(runs === 0 ? [] : [{ ...chart(0, 18, `Runner ${i.runnerFunctionName}: invocations, errors, longest duration (ms, right)`, "Sum", 300,
            [runner("Invocations", "invocations", "Sum"), runner("Errors", "errors", "Sum"),
                ["AWS/Lambda", "Duration", "FunctionName", i.runnerFunctionName!, { label: "longest duration (ms)", stat: "Maximum", yAxis: "right" }] as MetricSpec]),
        width: 24 }]),
        {
            type: "text", x: 0, y: 18 + runs, width: 24, height: 2,
            properties: {
                markdown: `The scaler publishes ${SCALER_METRICS.join(", ")} to \`${SCALER_NAMESPACE}\` (dimension ClusterName) after each `
                    + (runs === 0 ? "`pulumi up` that acted; the reservation alarms add capacity between deploys, scale-in goes only through the scaler's drain."
                        : "`pulumi up` and each runner step that acted; scale-in goes only through the scaler's drain."),
            },
        },
    ];
}

/** Console address of a dashboard, in the partition's console domain. */
export function dashboardUrl(partition: string, region: string, name: string): string {
    const host = partition === "aws-cn" ? "console.amazonaws.cn" : partition === "aws-us-gov" ? "console.amazonaws-us-gov.com" : "console.aws.amazon.com";
    return `https://${host}/cloudwatch/home?region=${region}#dashboards:name=${encodeURIComponent(name)}`;
}

/** DashboardInputs whose values may still be Outputs. */
export interface DashboardArgs {
    region: pulumi.Input<string>;
    clusterName: pulumi.Input<string>;
    autoScalingGroupName: pulumi.Input<string>;
    alarmArns: pulumi.Input<string>[];
    scaling: ScalingPolicy;
    runnerFunctionName?: pulumi.Input<string>;
}

export function createDashboard(name: string, inputs: DashboardArgs, parent: pulumi.Resource): { dashboard: aws.cloudwatch.Dashboard; url: pulumi.Output<string> } {
    const all = pulumi.output(inputs) as pulumi.Output<DashboardInputs>;
    const dashboardName = all.apply((i) => `${i.clusterName}-spot-ecs`.slice(0, 255));
    const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
        dashboardName,
        dashboardBody: all.apply((i) => JSON.stringify({ widgets: dashboardWidgets(i) })),
    }, { parent });
    const partition = aws.getPartitionOutput({}, { parent }).partition;
    const url = pulumi.all([partition, all, dashboard.dashboardName]).apply(([p, i, n]) => dashboardUrl(p, i.region, n));
    return { dashboard, url };
}
