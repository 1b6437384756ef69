// Terminations the Auto Scaling group starts on its own, besides scale-in: Capacity Rebalancing, EC2
// health replacement and an instance refresh. Each goes through `startTermination`, so it waits in the
// group's termination lifecycle hooks like any other termination by the group.
import { startTermination, tryLaunch } from "./autoScaling";
import { SimInstance, SimState } from "./state";

/**
 * A rebalance recommendation for a Spot instance (Capacity Rebalancing on): the group launches a
 * replacement first and starts terminating the old instance once the new one is in service.
 */
export function rebalanceRecommendation(world: SimState, id: string): void {
    const old = world.instances.get(id);
    if (old === undefined || old.asgState !== "InService") return;
    const fresh = tryLaunch(world);
    if (fresh === undefined) return;
    world.groupEvents.rebalancing.set(fresh.id, id);
    world.log("asg", `rebalance recommendation for ${id}: launched ${fresh.id} to replace it`);
}

/** An EC2 health check failure: the group terminates the instance and launches a replacement. */
export function healthReplacement(world: SimState, id: string): void {
    const inst = world.instances.get(id);
    if (inst === undefined || (inst.asgState !== "InService" && inst.asgState !== "Pending")) return;
    world.log("asg", `${id} failed its EC2 health check: replacing it`);
    startTermination(world, inst, "asg", true);
}

/** Hours an instance refresh waits for an instance's scale-in protection to be removed before it fails. */
export const REFRESH_PROTECTED_WAIT_HOURS = 1;

/**
 * StartInstanceRefresh: replaces every instance in the group, one at a time, each once the previous
 * replacement is in service. An instance protected from scale-in is not replaced: with
 * `ScaleInProtectedInstances` "Wait" (the API's default) the refresh waits for its protection to be
 * removed, for an hour, and then fails; with "Ignore" (the console's) it skips it; with "Refresh"
 * it replaces it as any other (through the group's termination lifecycle hooks).
 */
export function startInstanceRefresh(world: SimState, protectedInstances: "Wait" | "Ignore" | "Refresh" = "Wait"): void {
    world.groupEvents.refresh = { queue: world.liveInstances().map((i) => i.id), protectedInstances };
    world.log("operator", `instance refresh of ${world.groupEvents.refresh.queue.length} instance(s), protected instances: ${protectedInstances}`);
}

export function advanceGroupEvents(world: SimState): void {
    for (const [freshId, oldId] of world.groupEvents.rebalancing) {
        const fresh = world.instances.get(freshId)!;
        const old = world.instances.get(oldId)!;
        if (fresh.asgState === "Terminated" || old.asgState === "Terminated" || old.asgState === "Terminating" || old.asgState === "Retained") {
            world.groupEvents.rebalancing.delete(freshId);
        } else if (old.interruptAt !== undefined) {
            // Replaced at its interruption notice: EC2 interrupts it; until then it does not count toward desired.
            continue;
        } else if (fresh.asgState === "InService") {
            world.groupEvents.rebalancing.delete(freshId);
            startTermination(world, old, "asg");
        }
    }
    const refresh = world.groupEvents.refresh;
    if (refresh === undefined) return;
    const current = refresh.current === undefined ? undefined : world.instances.get(refresh.current);
    if (current !== undefined && current.asgState !== "Terminated" && current.asgState !== "Retained") return;
    // The next one goes once the group is back at desired capacity with every instance in service.
    const live = world.liveInstances();
    if (live.length < world.group.desired || live.some((i: SimInstance) => i.asgState !== "InService")) return;
    let next: SimInstance | undefined;
    while (next === undefined && refresh.queue.length > 0) {
        const candidate = world.instances.get(refresh.queue[0]);
        if (candidate !== undefined && candidate.asgState === "InService" && candidate.protectedFromScaleIn && refresh.protectedInstances === "Wait") {
            refresh.waitingSince = refresh.waitingSince ?? world.now;
            if (world.now - refresh.waitingSince < REFRESH_PROTECTED_WAIT_HOURS * 3_600_000) return;
            world.log("asg", `instance refresh failed: ${candidate.id} stayed protected from scale-in for ${REFRESH_PROTECTED_WAIT_HOURS} h`);
            world.groupEvents.refresh = undefined;
            return;
        }
        refresh.queue.shift();
        refresh.waitingSince = undefined;
        if (candidate !== undefined && candidate.asgState === "InService" && (!candidate.protectedFromScaleIn || refresh.protectedInstances === "Refresh")) {
            next = candidate;
        }
    }
    if (next === undefined) {
        world.groupEvents.refresh = undefined;
        return;
    }
    refresh.current = next.id;
    startTermination(world, next, "asg", true);
}
