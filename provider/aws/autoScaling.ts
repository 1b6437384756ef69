// The Cloud port's Auto Scaling calls through SDK v3: the group and its instances, desired capacity,
// scale-in protection, terminations, scaling activities (failed Spot launches among them), the
// On-Demand base and the scaler's own group tags.
import { Cloud, CloudTarget, FALLBACK_TAG, GroupState, HALT_TAG, haltTagValue, LaunchFailure, parseHaltTag, spotCapacityCode, SURGE_TAG,
    TerminationHook } from "../cloud";
import { LIMITS } from "../quotas";
import { AwsClients, chunks } from "./clients";

/** The Auto Scaling calls of the AWS Cloud, and the launch template the group launches with. */
export type AutoScalingCalls = Pick<Cloud, "describeGroup" | "lastScalingActivity" | "setDesiredCapacity" | "setInstanceProtection"
    | "spotLaunchFailures" | "terminationHooks" | "setOnDemandBase" | "recordFallback" | "recordSurge" | "recordHalt" | "terminateInstance"
    | "recordHookHeartbeat" | "completeHookAction"> & {
    /** The launch template and version the group launches with, `$Latest` and `$Default` resolved. */
    launchTemplateTarget(): Promise<{ launchTemplateId: string; version: string }>;
};

/** The Auto Scaling calls on `target.autoScalingGroupName`. */
export function autoScalingCalls(k: AwsClients, target: CloudTarget): AutoScalingCalls {
    return { ...groupReads(k, target), ...groupChanges(k, target) };
}

/** What the group is: its instances and bounds, its launch template, its scaling activities. */
function groupReads(k: AwsClients, target: CloudTarget): Pick<AutoScalingCalls, "describeGroup" | "launchTemplateTarget" | "lastScalingActivity"
    | "spotLaunchFailures" | "terminationHooks"> {
    return {
        async describeGroup(): Promise<GroupState> {
            const r = await k.asgClient.send(new k.asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.autoScalingGroupName] }));
            const g = r.AutoScalingGroups?.[0];
            if (g === undefined) throw new Error(`Auto Scaling group ${target.autoScalingGroupName} not found in ${target.region}`);
            const surge = g.Tags?.find((t) => t.Key === SURGE_TAG)?.Value;
            const fallback = g.Tags?.find((t) => t.Key === FALLBACK_TAG)?.Value;
            const halted = parseHaltTag(g.Tags?.find((t) => t.Key === HALT_TAG)?.Value);
            const base = g.MixedInstancesPolicy?.InstancesDistribution?.OnDemandBaseCapacity;
            return {
                name: g.AutoScalingGroupName!,
                desired: g.DesiredCapacity ?? 0,
                minSize: g.MinSize ?? 0,
                maxSize: g.MaxSize ?? 0,
                targetGroupArns: g.TargetGroupARNs ?? [],
                instances: (g.Instances ?? []).map((i) => ({
                    instanceId: i.InstanceId!,
                    instanceType: i.InstanceType ?? "",
                    asgState: i.LifecycleState ?? "",
                    launchTemplateId: i.LaunchTemplate?.LaunchTemplateId,
                    launchTemplateVersion: i.LaunchTemplate?.Version,
                    protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
                })),
                capacityRebalance: g.CapacityRebalance ?? false,
                ...(surge !== undefined && /^\d+$/.test(surge) ? { surgeBaseline: Number(surge) } : {}),
                ...(fallback !== undefined && /^\d+$/.test(fallback) ? { fallbackBaseline: Number(fallback) } : {}),
                ...(base === undefined ? {} : { onDemandBase: base }),
                ...(halted === undefined ? {} : { halted }),
            };
        },

        async launchTemplateTarget() {
            const r = await k.asgClient.send(new k.asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.autoScalingGroupName] }));
            const g = r.AutoScalingGroups?.[0];
            if (g === undefined) throw new Error(`Auto Scaling group ${target.autoScalingGroupName} not found in ${target.region}`);
            const spec = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
            if (spec === undefined) throw new Error(`Auto Scaling group ${target.autoScalingGroupName} uses no launch template`);
            const lt = await k.ec2Client.send(new k.ec2.DescribeLaunchTemplatesCommand(spec.LaunchTemplateId !== undefined
                ? { LaunchTemplateIds: [spec.LaunchTemplateId] } : { LaunchTemplateNames: [spec.LaunchTemplateName!] }));
            const template = lt.LaunchTemplates?.[0];
            if (template === undefined) throw new Error(`launch template ${spec.LaunchTemplateId ?? spec.LaunchTemplateName} not found`);
            const version = spec.Version === undefined || spec.Version === "$Default" ? String(template.DefaultVersionNumber)
                : spec.Version === "$Latest" ? String(template.LatestVersionNumber) : spec.Version;
            return { launchTemplateId: template.LaunchTemplateId!, version };
        },

        async terminationHooks(): Promise<TerminationHook[]> {
            const r = await k.asgClient.send(new k.asg.DescribeLifecycleHooksCommand({ AutoScalingGroupName: target.autoScalingGroupName }));
            return (r.LifecycleHooks ?? []).filter((h) => h.LifecycleTransition === "autoscaling:EC2_INSTANCE_TERMINATING").map((h) => ({
                name: h.LifecycleHookName ?? "",
                // The API's default when none was given is ABANDON (PutLifecycleHook).
                defaultResult: h.DefaultResult === "CONTINUE" ? "CONTINUE" : "ABANDON",
                heartbeatTimeoutSeconds: h.HeartbeatTimeout ?? 3600,
            }));
        },

        async lastScalingActivity(): Promise<number | undefined> {
            const r = await k.asgClient.send(new k.asg.DescribeScalingActivitiesCommand({ AutoScalingGroupName: target.autoScalingGroupName, MaxRecords: 1 }));
            const start = r.Activities?.[0]?.StartTime;
            return start === undefined ? undefined : new Date(start).getTime();
        },

        async spotLaunchFailures(sinceMs: number) {
            const out: LaunchFailure[] = [];
            let NextToken: string | undefined;
            do {
                const r = await k.asgClient.send(new k.asg.DescribeScalingActivitiesCommand({ AutoScalingGroupName: target.autoScalingGroupName, MaxRecords: 100, NextToken }));
                for (const a of r.Activities ?? []) {
                    const at = a.StartTime === undefined ? 0 : new Date(a.StartTime).getTime();
                    if (at < sinceMs) return out;
                    const message = a.StatusMessage ?? "";
                    // Every failed launch: those that name no Spot capacity code are shown, not ignored.
                    if (a.StatusCode === "Failed") out.push({ at, code: spotCapacityCode(message), message });
                }
                NextToken = r.NextToken;
            } while (NextToken);
            return out;
        },
    };
}

/** Changes to the group: desired capacity, protection, the On-Demand base, the scaler's tags, terminations and their lifecycle actions. */
function groupChanges(k: AwsClients, target: CloudTarget): Pick<AutoScalingCalls, "setDesiredCapacity" | "setInstanceProtection" | "setOnDemandBase"
    | "recordFallback" | "recordSurge" | "recordHalt" | "terminateInstance" | "recordHookHeartbeat" | "completeHookAction"> {
    return {
        async setDesiredCapacity(desired: number) {
            await k.asgClient.send(new k.asg.SetDesiredCapacityCommand({
                AutoScalingGroupName: target.autoScalingGroupName, DesiredCapacity: desired, HonorCooldown: false,
            }));
        },

        async setInstanceProtection(instanceIds: string[], protect: boolean) {
            for (const batch of chunks(instanceIds, LIMITS.setInstanceProtection)) {
                await k.asgClient.send(new k.asg.SetInstanceProtectionCommand({
                    AutoScalingGroupName: target.autoScalingGroupName, InstanceIds: batch, ProtectedFromScaleIn: protect,
                }));
            }
        },

        async setOnDemandBase(base: number) {
            // The whole policy goes back with only the base changed, as the group holds it now.
            const g = (await k.asgClient.send(new k.asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.autoScalingGroupName] }))).AutoScalingGroups?.[0];
            const policy = g?.MixedInstancesPolicy;
            if (policy === undefined) throw new Error(`Auto Scaling group ${target.autoScalingGroupName} has no mixed instances policy to set an On-Demand base in`);
            // A launch template is named by its id or by its name, not both.
            const spec = policy.LaunchTemplate?.LaunchTemplateSpecification;
            await k.asgClient.send(new k.asg.UpdateAutoScalingGroupCommand({
                AutoScalingGroupName: target.autoScalingGroupName,
                MixedInstancesPolicy: {
                    LaunchTemplate: {
                        LaunchTemplateSpecification: spec?.LaunchTemplateId !== undefined
                            ? { LaunchTemplateId: spec.LaunchTemplateId, Version: spec.Version }
                            : { LaunchTemplateName: spec?.LaunchTemplateName, Version: spec?.Version },
                        Overrides: policy.LaunchTemplate?.Overrides,
                    },
                    InstancesDistribution: { ...policy.InstancesDistribution, OnDemandBaseCapacity: base },
                },
            }));
        },

        recordFallback: (baseline: number | undefined) => recordTag(k, target, FALLBACK_TAG, baseline),

        recordSurge: (baseline: number | undefined) => recordTag(k, target, SURGE_TAG, baseline),

        recordHalt: (halt) => recordTag(k, target, HALT_TAG, halt === undefined ? undefined : haltTagValue(halt)),

        async terminateInstance(instanceId: string, decrementDesired: boolean) {
            await k.asgClient.send(new k.asg.TerminateInstanceInAutoScalingGroupCommand({
                InstanceId: instanceId, ShouldDecrementDesiredCapacity: decrementDesired,
            }));
        },

        async recordHookHeartbeat(instanceId: string, hook: string) {
            await k.asgClient.send(new k.asg.RecordLifecycleActionHeartbeatCommand({
                AutoScalingGroupName: target.autoScalingGroupName, LifecycleHookName: hook, InstanceId: instanceId,
            }));
        },

        async completeHookAction(instanceId: string, hook: string, result: "CONTINUE" | "ABANDON") {
            await k.asgClient.send(new k.asg.CompleteLifecycleActionCommand({
                AutoScalingGroupName: target.autoScalingGroupName, LifecycleHookName: hook, InstanceId: instanceId, LifecycleActionResult: result,
            }));
        },
    };
}

/** Records `value` in the group tag `key`, or with undefined removes the tag. */
async function recordTag(k: AwsClients, target: CloudTarget, key: string, value: number | string | undefined): Promise<void> {
    const tag = { ResourceId: target.autoScalingGroupName, ResourceType: "auto-scaling-group", Key: key, PropagateAtLaunch: false };
    if (value === undefined) await k.asgClient.send(new k.asg.DeleteTagsCommand({ Tags: [tag] }));
    else await k.asgClient.send(new k.asg.CreateOrUpdateTagsCommand({ Tags: [{ ...tag, Value: String(value) }] }));
}
