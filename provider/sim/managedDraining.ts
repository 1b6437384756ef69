// ECS managed instance draining, as the simulator plays it: a capacity provider with managed
// draining puts a termination lifecycle hook on the group. An instance the group terminates waits in
// Terminating:Wait; ECS sets its container instance DRAINING (the service scheduler then moves its
// tasks) and completes the lifecycle action once no task on it is left, or after 48 hours anyway.
import { terminate } from "./autoScaling";
import { SimState } from "./state";

/** Hours an instance may stay in the managed-draining hook before the group terminates it regardless. */
export const MANAGED_DRAINING_CAP_HOURS = 48;

/** Completes the lifecycle action of every instance in the hook whose tasks are all STOPPED (or past the cap). */
export function advanceTerminationHooks(world: SimState): void {
    for (const inst of world.instances.values()) {
        if (inst.hookStartedAt === undefined || inst.asgState !== "Terminating") continue;
        if (inst.container?.status === "ACTIVE") inst.container.status = "DRAINING";
        const empty = world.tasksOn(inst.id).length === 0;
        const capped = world.now - inst.hookStartedAt >= MANAGED_DRAINING_CAP_HOURS * 3_600_000;
        if (empty || capped) {
            world.log("ecs", `complete lifecycle action for ${inst.id}${empty ? "" : ` after ${MANAGED_DRAINING_CAP_HOURS} h`}`);
            terminate(world, inst, inst.hookActor ?? "asg");
        }
    }
}
