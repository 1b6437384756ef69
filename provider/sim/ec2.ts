// Simulated EC2: Spot interruption notices, and the EC2 calls of the Cloud port (each instance's
// lifecycle and launch time, the interruption notices given).
import { Cloud } from "../cloud";
import { tryLaunch } from "./autoScaling";
import { SIM_TYPE_FACTS } from "./instanceTypeFacts";
import { AWS_WIRE } from "./network";
import { SimCall, SimState } from "./state";

/**
 * A Spot interruption notice: the agent drains at once; the instance is gone after the notice period.
 * With Capacity Rebalancing on, the group launches a replacement as soon as the notice arrives (and
 * the interrupted instance no longer counts toward desired capacity); without it, the group learns of
 * the interruption only when EC2 terminates the instance.
 */
export function interrupt(w: SimState, id: string): void {
    const inst = w.instances.get(id)!;
    inst.interruptAt = w.now + w.timings.spotNoticeSeconds * 1000;
    if (w.spotDraining && inst.container?.status === "ACTIVE") inst.container.status = "DRAINING";
    w.log("spot", `interruption notice for ${id}; terminating at +${w.timings.spotNoticeSeconds} s`);
    if (w.capacityRebalance && inst.asgState === "InService" && ![...w.groupEvents.rebalancing.values()].includes(id)) {
        const fresh = tryLaunch(w);
        if (fresh === undefined) return;
        w.groupEvents.rebalancing.set(fresh.id, id);
        w.log("asg", `interruption notice for ${id}: launched ${fresh.id} to replace it (Capacity Rebalancing)`);
    }
}

/** The EC2 calls of the Cloud port on the simulated cluster. */
export type Ec2Api = Pick<Cloud, "describeInstances" | "spotInterruptions" | "instanceTypeFacts">;

/** The EC2 calls, sent through `call`; each instance type is read once per Cloud, as the AWS Cloud does. */
export function ec2Api(world: SimState, call: SimCall): Ec2Api {
    const typesRead = new Set<string>();
    return {
        instanceTypeFacts: (types) => {
            const unread = [...new Set(types)].filter((t) => !typesRead.has(t));
            const known = () => Object.fromEntries(types.flatMap((t) => SIM_TYPE_FACTS[t] === undefined ? [] : [[t, SIM_TYPE_FACTS[t]]]));
            // Read only once answered: a request that failed is sent again, as the AWS Cloud's is.
            return unread.length === 0 ? Promise.resolve(known()) : call("DescribeInstanceTypes", () => {
                for (const t of unread) typesRead.add(t);
                return known();
            }, () => AWS_WIRE.instanceTypeFacts(unread.length));
        },
        describeInstances: (ids) => call("DescribeInstances", () =>
            Object.fromEntries(ids.flatMap((id) => {
                const i = world.instances.get(id);
                return i === undefined ? [] : [[id, { lifecycle: i.lifecycle, launchTime: i.launchedAt }]];
            })), () => AWS_WIRE.describeInstances(ids.length)),
        spotInterruptions: (ids) => call("DescribeSpotInstanceRequests", () => ids.filter((id) => {
            const i = world.instances.get(id);
            return i !== undefined && i.interruptAt !== undefined && i.asgState !== "Terminated";
        }), () => AWS_WIRE.spotInterruptions(ids.length)),
    };
}
