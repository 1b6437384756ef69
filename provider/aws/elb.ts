// The Cloud port's Elastic Load Balancing calls through SDK v3: target states, target groups with their
// port and deregistration delay, and deregistering and registering instance targets.
import { Cloud, TargetGroupInfo, TargetState } from "../cloud";
import { LIMITS } from "../quotas";
import { AwsClients, chunks, inBatches } from "./clients";

export type ElbCalls = Pick<Cloud, "targetStates" | "targetGroups" | "deregisterTargets" | "registerTargets">;

/** The Elastic Load Balancing calls. */
export function elbCalls(k: AwsClients): ElbCalls {
    return {
        async targetStates(targetGroupArn: string, instanceIds: string[], port?: number) {
            const out: Record<string, TargetState | undefined> = Object.fromEntries(instanceIds.map((id) => [id, undefined]));
            const described = await inBatches(instanceIds, LIMITS.describeTargetHealth, async (batch) =>
                (await k.elbClient.send(new k.elb.DescribeTargetHealthCommand({
                    TargetGroupArn: targetGroupArn, Targets: batch.map((Id) => ({ Id, Port: port })),
                }))).TargetHealthDescriptions ?? []);
            for (const d of described) {
                const id = d.Target?.Id;
                // Another port on the same instance is a task's target, registered and removed by ECS.
                if (port !== undefined && d.Target?.Port !== undefined && d.Target.Port !== port) continue;
                if (id !== undefined && id in out) out[id] = d.TargetHealth?.State as TargetState | undefined;
            }
            return out;
        },

        async targetGroups(targetGroupArns: string[]) {
            const out: Record<string, TargetGroupInfo> = {};
            for (const batch of chunks(targetGroupArns, LIMITS.describeTargetGroups)) {
                const r = await k.elbClient.send(new k.elb.DescribeTargetGroupsCommand({ TargetGroupArns: batch }));
                for (const tg of r.TargetGroups ?? []) {
                    const a = await k.elbClient.send(new k.elb.DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }));
                    const value = a.Attributes?.find((x) => x.Key === "deregistration_delay.timeout_seconds")?.Value;
                    out[tg.TargetGroupArn!] = {
                        targetType: tg.TargetType ?? "instance",
                        ...(tg.Port === undefined ? {} : { port: tg.Port }),
                        deregistrationDelaySeconds: value !== undefined && /^\d+$/.test(value) ? Number(value) : 300,
                    };
                }
            }
            return out;
        },

        async deregisterTargets(targetGroupArn: string, instanceIds: string[], port?: number) {
            for (const batch of chunks(instanceIds, LIMITS.deregisterTargets)) {
                await k.elbClient.send(new k.elb.DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch.map((Id) => ({ Id, Port: port })) }));
            }
        },

        async registerTargets(targetGroupArn: string, instanceIds: string[], port?: number) {
            for (const batch of chunks(instanceIds, LIMITS.deregisterTargets)) {
                await k.elbClient.send(new k.elb.RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch.map((Id) => ({ Id, Port: port })) }));
            }
        },
    };
}
