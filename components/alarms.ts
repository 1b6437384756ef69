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
    memoryHigh: aws.cloudwatch.MetricAlarm;
}

/** Period of every alarm, in seconds: ECS publishes the reservation metrics once a minute. */
export const ALARM_PERIOD_SECONDS = 60;

/**
 * High alarms on CPUReservation and MemoryReservation: they add capacity through a step scaling
 * policy (always safe between deploys). There is no scale-in alarm: scale-in is the scaler's
 * consolidation, through its drain, never a plain ASG scale-in that kills tasks.
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

    const alarm = (suffix: string, metricName: string, threshold: number) =>
        new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
            alarmDescription: `${metricName} of ${name} above ${threshold}% for ${s.evaluationMinutes} min: add ${s.scaleOutStep} instance(s)`,
            namespace: "AWS/ECS",
            metricName,
            dimensions: { ClusterName: s.clusterName },
            statistic: "Average",
            period: ALARM_PERIOD_SECONDS,
            evaluationPeriods: s.evaluationMinutes,
            threshold,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [scaleOutPolicy.arn],
            tags: s.tags,
        }, { parent });

    return {
        scaleOutPolicy,
        cpuHigh: alarm("cpu-high", "CPUReservation", s.cpuHighPercent),
        memoryHigh: alarm("memory-high", "MemoryReservation", s.memoryHighPercent),
    };
}
