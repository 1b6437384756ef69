// Simulated Elastic Load Balancing: instance targets deregistered (draining for the deregistration
// delay) and registered again, and the ELB calls of the Cloud port over them.
import { Cloud, TargetState } from "../cloud";
import { AWS_WIRE } from "./network";
import { Actor, SimCall, SimState } from "./state";

export function deregisterTarget(w: SimState, tg: string, instanceId: string, actor: Actor): void {
    const target = w.targetGroups.get(tg)?.get(instanceId);
    if (target === undefined || target.state === "draining") return;
    target.state = "draining";
    target.until = w.now + w.timings.deregistrationDelaySeconds * 1000;
    w.log(actor, `deregister ${instanceId} from ${tg}`);
}

/** RegisterTargets: the instance serves again (health checks are not modelled: healthy at once). */
export function registerTarget(w: SimState, tg: string, instanceId: string, actor: Actor): void {
    const targets = w.targetGroups.get(tg);
    const inst = w.instances.get(instanceId);
    if (targets === undefined || inst === undefined || inst.asgState === "Terminated") return;
    targets.set(instanceId, { state: "healthy" });
    w.log(actor, `register ${instanceId} in ${tg}`);
}

/** One tick of the target groups: a deregistered target leaves once its deregistration delay is over (unless stuck). */
export function advanceTargets(w: SimState): void {
    const now = w.now;
    for (const targets of w.targetGroups.values()) {
        for (const [id, target] of targets) {
            if (target.state === "draining" && !target.stuck && now >= target.until!) targets.delete(id);
        }
    }
}

/** The Elastic Load Balancing calls of the Cloud port on the simulated cluster. */
export type ElbApi = Pick<Cloud, "targetStates" | "targetGroups" | "deregisterTargets" | "registerTargets">;

/** The Elastic Load Balancing calls, sent through `call`. */
export function elbApi(world: SimState, call: SimCall): ElbApi {
    return {
        targetStates: (tg, ids) => call("DescribeTargetHealth", () => {
            const targets = world.targetGroups.get(tg);
            return Object.fromEntries(ids.map((id) => [id, targets?.get(id)?.state as TargetState | undefined]));
        }, () => AWS_WIRE.targetStates(ids.length)),
        // A service's own target group (`targetgroup/svc-…`) holds its tasks' targets, registered by ECS.
        targetGroups: (arns) => call("DescribeTargetGroups", () => Object.fromEntries(arns.map((arn) =>
            [arn, { targetType: arn.includes("targetgroup/svc-") ? "ip" : "instance", port: 80,
                deregistrationDelaySeconds: world.timings.deregistrationDelaySeconds }])),
            () => AWS_WIRE.targetGroups(arns.length)),
        deregisterTargets: (tg, ids) => call("DeregisterTargets", () => {
            for (const id of ids) deregisterTarget(world, tg, id, "scaler");
        }, () => AWS_WIRE.deregisterTargets(ids.length)),
        registerTargets: (tg, ids) => call("RegisterTargets", () => {
            for (const id of ids) registerTarget(world, tg, id, "scaler");
        }, () => AWS_WIRE.registerTargets(ids.length)),
    };
}
