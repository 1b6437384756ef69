import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ScalingPolicy } from "../provider/settings";

export interface AlarmSettings extends ScalingPolicy {
    clusterName: pulumi.Input<string>;
    autoScalingGroupName: pulumi.Input<string>;
    tags: Record<string, string>;
}

export interface ClusterAlarms {
    scaleOutPolicy: aws.autoscaling.Policy;
    cpuHigh: aws.cloudwatch.MetricAlarm;
    cpuLow: aws.cloudwatch.MetricAlarm;
    memoryHigh: aws.cloudwatch.MetricAlarm;
    memoryLow: aws.cloudwatch.MetricAlarm;
}

/** Period of every alarm, in seconds: ECS publishes the reservation metrics once a minute. */
export const ALARM_PERIOD_SECONDS = 60;

/**
 * High and low alarms on CPUReservation and MemoryReservation. The high alarms add capacity through a
 * step scaling policy (always safe between deploys); the low alarms take no action, because scale-in
 * must go through the scaler's drain and never through a plain ASG scale-in that kills tasks.
 */
export function createAlarms(name: string, s: AlarmSettings, parent: pulumi.Resource): ClusterAlarms {
    const scaleOutPolicy = new aws.autoscaling.Policy(`${name}-scale-out`, {
        autoscalingGroupName: s.autoScalingGroupName,
        policyType: "StepScaling",
        adjustmentType: "ChangeInCapacity",
        metricAggregationType: "Average",
        estimatedInstanceWarmup: s.cooldownSeconds,
        stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: s.scaleOutStep }],
    }, { parent });

    const alarm = (suffix: string, metricName: string, threshold: number, high: boolean) =>
        new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
            alarmDescription: high
                ? `${metricName} of ${name} above ${threshold}% for ${s.evaluationMinutes} min: add ${s.scaleOutStep} instance(s)`
                : `${metricName} of ${name} below ${threshold}% for ${s.evaluationMinutes} min: the scaler may drain and remove instances`,
            namespace: "AWS/ECS",
            metricName,
            dimensions: { ClusterName: s.clusterName },
            statistic: "Average",
            period: ALARM_PERIOD_SECONDS,
            evaluationPeriods: s.evaluationMinutes,
            threshold,
            comparisonOperator: high ? "GreaterThanThreshold" : "LessThanThreshold",
            treatMissingData: "notBreaching",
            alarmActions: high ? [scaleOutPolicy.arn] : [],
            tags: s.tags,
        }, { parent });

    return {
        scaleOutPolicy,
        cpuHigh: alarm("cpu-high", "CPUReservation", s.cpuHighPercent, true),
        cpuLow: alarm("cpu-low", "CPUReservation", s.cpuLowPercent, false),
        memoryHigh: alarm("memory-high", "MemoryReservation", s.memoryHighPercent, true),
        memoryLow: alarm("memory-low", "MemoryReservation", s.memoryLowPercent, false),
    };
}
