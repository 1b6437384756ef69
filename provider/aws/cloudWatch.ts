// The Cloud port's CloudWatch calls through SDK v3: the cluster's reservation metrics over a window,
// and the scaler's own metrics.
import type * as CW from "@aws-sdk/client-cloudwatch";
import { Cloud, CloudTarget } from "../cloud";
import { AlarmState, Datapoint } from "../model";
import { LIMITS } from "../quotas";
import { SCALER_NAMESPACE } from "../scalerMetrics";
import { AwsClients, chunks } from "./clients";

export type CloudWatchCalls = Pick<Cloud, "reservationMetrics" | "publishMetrics" | "alarmStates">;

/** The CloudWatch calls for `target.clusterName`. */
export function cloudWatchCalls(k: AwsClients, target: CloudTarget): CloudWatchCalls {
    const cluster = target.clusterName;
    return {
        async reservationMetrics(startMs: number, endMs: number) {
            const query = (id: string, metric: string): CW.MetricDataQuery => ({
                Id: id,
                MetricStat: {
                    Metric: { Namespace: "AWS/ECS", MetricName: metric, Dimensions: [{ Name: "ClusterName", Value: cluster }] },
                    Period: 60,
                    Stat: "Average",
                },
                ReturnData: true,
            });
            const series: Record<string, Datapoint[]> = { cpu: [], memory: [] };
            let NextToken: string | undefined;
            do {
                const r = await k.cwClient.send(new k.cw.GetMetricDataCommand({
                    MetricDataQueries: [query("cpu", "CPUReservation"), query("memory", "MemoryReservation")],
                    StartTime: new Date(startMs),
                    EndTime: new Date(endMs),
                    NextToken,
                }));
                for (const result of r.MetricDataResults ?? []) {
                    const times = result.Timestamps ?? [];
                    const values = result.Values ?? [];
                    series[result.Id!]?.push(...times.map((t, i) => ({ time: new Date(t).getTime(), value: values[i] })));
                }
                NextToken = r.NextToken;
            } while (NextToken);
            return { cpu: series.cpu, memory: series.memory };
        },

        async alarmStates(names: string[]) {
            const out: Record<string, AlarmState> = Object.fromEntries(names.map((n) => [n, "missing"]));
            for (const batch of chunks(names, LIMITS.describeAlarms)) {
                let NextToken: string | undefined;
                do {
                    // Composite alarms are listed only when asked for by type.
                    const r = await k.cwClient.send(new k.cw.DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], NextToken }));
                    for (const a of [...(r.MetricAlarms ?? []), ...(r.CompositeAlarms ?? [])]) {
                        if (a.AlarmName !== undefined && a.AlarmName in out) out[a.AlarmName] = (a.StateValue ?? "INSUFFICIENT_DATA") as AlarmState;
                    }
                    NextToken = r.NextToken;
                } while (NextToken);
            }
            return out;
        },

        async publishMetrics(metrics) {
            const now = new Date();
            await k.cwClient.send(new k.cw.PutMetricDataCommand({
                Namespace: SCALER_NAMESPACE,
                MetricData: metrics.map((m) => ({
                    MetricName: m.name, Value: m.value, Unit: m.unit, Timestamp: now,
                    Dimensions: [{ Name: "ClusterName", Value: cluster }],
                })),
            }));
        },
    };
}
