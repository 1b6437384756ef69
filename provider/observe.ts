// Observation: one consistent picture of the group, its container instances and the metrics,
// built from Cloud reads. Task details are fetched only when the plan needs them.
import { Cloud, UNPLACEABLE_EVENT } from "./cloud";
import { METRIC_LAG_MINUTES } from "./metrics";
import { HOOK_WAIT_STATE, isMeantToRun, Observed, ObservedInstance, ObservedTask, RETAINED_STATE, serviceOf } from "./model";
import { unplacedNeeds } from "./placement";
import { needsTasks, replacementPossible } from "./planner";
import { alarmName, Policy, ScalerSettings } from "./settings";

export type ObserveTarget = Pick<ScalerSettings, "clusterName" | "autoScalingGroupName" | "launchTemplateId" | "launchTemplateVersion"
    | "minSize" | "maxSize" | "instanceTypes" | "instanceRequirements" | "onDemandBaseCapacity">;

/** Observes the live cluster at `now` (epoch ms). */
export async function observe(cloud: Cloud, target: ObserveTarget, policy: Policy, now: number): Promise<Observed> {
    const group = await cloud.describeGroup();
    // The longer of the two windows: the scale-out's evaluation and the scale-in's delay.
    const windowMs = (Math.max(policy.scaling.evaluationMinutes, policy.scaling.scaleInAfterMinutes) + METRIC_LAG_MINUTES) * 60_000;
    // Failed Spot launches over the longer of the two fallback windows (and the still-failing one).
    const lookbackMs = (Math.max(policy.scaling.spotFallbackAfterSeconds, policy.scaling.spotRevertAfterSeconds) + 600) * 1000;
    const [containers, facts, metrics, lastScalingActivity, managedDrainingProviders, unplaced, launchFailures, terminationHooks] = await Promise.all([
        cloud.listContainerInstances(),
        cloud.describeInstances(group.instances.map((i) => i.instanceId)),
        cloud.reservationMetrics(now - windowMs, now),
        cloud.lastScalingActivity(),
        cloud.managedDrainingProviders(),
        cloud.unplacedServices(),
        cloud.spotLaunchFailures(now - lookbackMs),
        cloud.terminationHooks(),
    ]);
    const failures = launchFailures.filter((f) => f.code !== undefined);
    const otherFailure = launchFailures.find((f) => f.code === undefined);
    const byInstance = new Map(containers.map((c) => [c.ec2InstanceId, c]));
    const instances: ObservedInstance[] = group.instances.map((i) => {
        const c = byInstance.get(i.instanceId);
        return {
            instanceId: i.instanceId,
            instanceType: i.instanceType,
            lifecycle: facts[i.instanceId]?.lifecycle ?? "on-demand",
            ...(facts[i.instanceId]?.launchTime === undefined ? {} : { launchTime: facts[i.instanceId].launchTime }),
            asgState: i.asgState,
            launchTemplateId: i.launchTemplateId,
            launchTemplateVersion: i.launchTemplateVersion,
            ...(i.protectedFromScaleIn === undefined ? {} : { protectedFromScaleIn: i.protectedFromScaleIn }),
            container: c === undefined ? undefined : {
                arn: c.arn,
                status: c.status,
                agentConnected: c.agentConnected,
                registered: c.registered,
                remaining: c.remaining,
                runningTasks: c.runningTasks,
                pendingTasks: c.pendingTasks,
                drainMark: c.drainMark,
                ...(c.drainSince === undefined ? {} : { drainSince: c.drainSince }),
                ...(c.portsInUse === undefined ? {} : { portsInUse: c.portsInUse }),
                ...(c.freeGpus === undefined ? {} : { freeGpus: c.freeGpus }),
                ...(c.attributes === undefined ? {} : { attributes: c.attributes }),
                ...(c.registeredAt === undefined ? {} : { registeredAt: c.registeredAt }),
            },
        };
    });
    // Only a Spot instance the scaler is draining might be undrained; ask EC2 whether it is about to go.
    const askSpot = instances.filter((i) => i.lifecycle === "spot" && i.container?.drainMark !== undefined).map((i) => i.instanceId);
    if (askSpot.length > 0) {
        const interrupted = await cloud.spotInterruptions(askSpot);
        for (const i of instances) if (interrupted.includes(i.instanceId)) i.spotInterrupted = true;
    }
    const observed: Observed = {
        now,
        clusterName: target.clusterName,
        autoScalingGroupName: target.autoScalingGroupName,
        desired: group.desired,
        minSize: target.minSize ?? group.minSize,
        maxSize: target.maxSize ?? group.maxSize,
        groupBounds: { minSize: group.minSize, maxSize: group.maxSize },
        ...(target.instanceTypes === undefined ? {} : { instanceTypes: target.instanceTypes }),
        ...(target.instanceRequirements === undefined ? {} : { instanceRequirements: target.instanceRequirements }),
        target: { launchTemplateId: target.launchTemplateId, version: target.launchTemplateVersion },
        instances,
        metrics,
        lastScalingActivity,
        managedDrainingProviders,
        terminationHooks,
        surgeBaseline: group.surgeBaseline,
        ...(group.capacityRebalance === undefined ? {} : { capacityRebalance: group.capacityRebalance }),
        ...(unplaced.length === 0 ? {} : { unplaced }),
        ...(group.onDemandBase === undefined ? {} : { onDemandBase: group.onDemandBase }),
        ...(group.fallbackBaseline === undefined ? {} : { fallbackBaseline: group.fallbackBaseline }),
        ...(target.onDemandBaseCapacity === undefined ? {} : { declaredOnDemandBase: target.onDemandBaseCapacity }),
        ...(failures.length === 0 ? {} : { spotFailures: {
            first: Math.min(...failures.map((x) => x.at)), last: Math.max(...failures.map((x) => x.at)), count: failures.length,
            code: failures[0].code!, message: failures[0].message,
        } }),
        ...(otherFailure === undefined ? {} : { otherLaunchFailure: { at: otherFailure.at, message: otherFailure.message } }),
    };
    // The type facts before anything asks whether an instance is outdated (instanceRequirements), else
    // only for a plan that places awsvpc tasks or sizes a scale-out for them: their network interfaces.
    if (observed.instanceRequirements !== undefined) await addTypeFacts(cloud, instances);
    if (needsTasks(observed, policy, now)) observed.tasks = await cloud.listTasks();
    // The rollout's guard alarms, when a replacement may be planned or a stopped rollout is recorded.
    const guard = (policy.draining.haltOnAlarms ?? []).map(alarmName);
    if (group.halted !== undefined) observed.halted = group.halted;
    if (guard.length > 0 && (group.halted !== undefined || replacementPossible(observed, policy))) observed.guardAlarms = await cloud.alarmStates(guard);
    const stuck = await unplacedFromHook(cloud, instances, observed.tasks);
    if (stuck.length > 0) observed.unplaced = mergeUnplaced(observed.unplaced ?? [], stuck);
    const awsvpc = (observed.tasks ?? []).some((t) => t.needs?.awsvpc === true) || (observed.unplaced ?? []).some((u) => u.awsvpc === true);
    if (observed.instanceRequirements === undefined && awsvpc) await addTypeFacts(cloud, instances);
    // With no instance registered, a scale-out for tasks or headroom is sized by the declared types.
    if (target.instanceTypes !== undefined && !instances.some((i) => i.container !== undefined)
        && (observed.unplaced !== undefined || policy.scaling.headroom !== undefined)) {
        observed.declaredTypeFacts = await cloud.instanceTypeFacts(target.instanceTypes);
    }
    return observed;
}

/** EC2's facts about each instance's type, one read for the types of the group. */
async function addTypeFacts(cloud: Cloud, instances: ObservedInstance[]): Promise<void> {
    if (instances.length === 0) return;
    const facts = await cloud.instanceTypeFacts([...new Set(instances.map((i) => i.instanceType))]);
    for (const i of instances) if (facts[i.instanceType] !== undefined) i.typeFacts = facts[i.instanceType];
}

type Unplaced = NonNullable<Observed["unplaced"]>[number];

/**
 * Service tasks on instances the group is terminating (waiting in a hook, or retained) that ECS says it
 * cannot place elsewhere: their service is not short (a task on a DRAINING instance still runs), so
 * the services' own counts never ask for room for them; these do, so that a scale-out makes the room.
 */
async function unplacedFromHook(cloud: Cloud, instances: ObservedInstance[], clusterTasks: ObservedTask[] | undefined): Promise<Unplaced[]> {
    const held = instances.filter((i) => (i.asgState === HOOK_WAIT_STATE || i.asgState === RETAINED_STATE) && i.container !== undefined
        && i.container.runningTasks + i.container.pendingTasks > 0);
    if (held.length === 0) return [];
    // The cluster's tasks when the plan read them already; otherwise (someone else's hook) each instance's own.
    const arns = new Set(held.map((i) => i.container!.arn));
    const onHeld = clusterTasks !== undefined ? clusterTasks.filter((t) => arns.has(t.containerInstanceArn))
        : (await Promise.all(held.map((i) => cloud.listTasksOn(i.container!.arn, true)))).flat();
    const tasks = onHeld.filter((t) => isMeantToRun(t) && !t.daemon && serviceOf(t.group) !== undefined);
    const names = [...new Set(tasks.map((t) => serviceOf(t.group)!))];
    if (names.length === 0) return [];
    const health = await cloud.serviceHealth(names);
    return names.flatMap((name) => {
        const event = health[name]?.event;
        if (event === undefined || !event.includes(UNPLACEABLE_EVENT) || health[name].daemon) return [];
        const own = tasks.filter((t) => serviceOf(t.group) === name);
        return [{ name, missing: own.length, event, cpu: own[0].cpu, memory: own[0].memory, ...unplacedNeeds(own[0].needs) }];
    });
}

/** `extra` added to `unplaced`: a service in both asks for both its short tasks and its stuck ones. */
function mergeUnplaced(unplaced: Unplaced[], extra: Unplaced[]): Unplaced[] {
    const out = unplaced.map((u) => ({ ...u }));
    for (const e of extra) {
        const same = out.find((u) => u.name === e.name);
        if (same === undefined) out.push(e);
        else same.missing += e.missing;
    }
    return out;
}
