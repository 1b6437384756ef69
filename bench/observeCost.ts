// What observing a large cluster costs: the AWS requests the AWS Cloud sends for it (the simulator's
// request table, pinned against moto), how long they take with latency and pacing (virtual seconds),
// the scaler's own CPU time turning the answers into its picture, and the AWS SDK's CPU time for the
// ECS pages among them (from the measured cost of one page of each, bench/sdkCost.ts).
import { Cloud, ClusterContainerInstance, Deps, GroupState } from "../provider/cloud";
import { Observed } from "../provider/model";
import { observe } from "../provider/observe";
import { DEFAULT_DRAINING, DEFAULT_SCALING } from "../provider/settings";
import { withRetries } from "../provider/retry";
import { VirtualClock } from "../provider/sim/clock";
import { AWS_WIRE, Network, NetworkModel, Wire } from "../provider/sim/network";
import { SIM_TYPE_FACTS } from "../provider/sim/instanceTypeFacts";
import { seededRandom } from "../provider/sim/random";
import { realisticCluster } from "./planTime";
import { sdkPageCostMs } from "./sdkCost";

export interface ObservePoint {
    instances: number;
    tasks: number;
    /** AWS requests of one observation that reads task details (both reservations low). */
    requests: number;
    /** How long the observation takes with the network model (virtual seconds). */
    seconds: number;
    /** The scaler's CPU time for it, in ms (median of the runs). */
    cpuMs: number;
    /**
     * The AWS SDK's CPU time for the ECS lists and descriptions among those requests (pages counted,
     * times the measured cost of one page of each; every page taken as full).
     */
    sdkCpuMs: number;
}

/** The read side of the Cloud port, answering from an observed state and charging each call its AWS requests on `net`. */
function cloudOver(o: Observed, net: Network): Cloud {
    const charged = async <T>(wire: Wire, value: () => T): Promise<T> => {
        await net.send(wire);
        return value();
    };
    const containers = (): ClusterContainerInstance[] => o.instances.flatMap((i) => i.container === undefined ? []
        : [{ ...i.container, ec2InstanceId: i.instanceId, registered: { ...i.container.registered }, remaining: { ...i.container.remaining } }]);
    const group = (): GroupState => ({
        name: o.autoScalingGroupName, desired: o.desired, minSize: o.minSize, maxSize: o.maxSize, targetGroupArns: [],
        instances: o.instances.map((i) => ({ instanceId: i.instanceId, instanceType: i.instanceType, asgState: i.asgState,
            launchTemplateId: i.launchTemplateId, launchTemplateVersion: i.launchTemplateVersion, protectedFromScaleIn: true })),
    });
    const services = new Set((o.tasks ?? []).map((t) => t.group)).size;
    const reads: Partial<Cloud> = {
        answered: () => net.answered,
        describeGroup: () => charged(AWS_WIRE.describeGroup(), group),
        listContainerInstances: () => charged(AWS_WIRE.listContainerInstances(o.instances.length), containers),
        describeInstances: (ids) => charged(AWS_WIRE.describeInstances(ids.length), () => Object.fromEntries(o.instances.map((i) =>
            [i.instanceId, { lifecycle: i.lifecycle, launchTime: o.now - 3600_000 }]))),
        reservationMetrics: () => charged(AWS_WIRE.reservationMetrics(), () => o.metrics),
        lastScalingActivity: () => charged(AWS_WIRE.lastScalingActivity(), () => undefined),
        managedDrainingProviders: () => charged(AWS_WIRE.managedDrainingProviders(), () => []),
        terminationHooks: () => charged(AWS_WIRE.terminationHooks(), () => []),
        unplacedServices: () => charged(AWS_WIRE.unplacedServices(services), () => []),
        spotLaunchFailures: () => charged(AWS_WIRE.spotLaunchFailures(), () => []),
        spotInterruptions: (ids) => charged(AWS_WIRE.spotInterruptions(ids.length), () => []),
        instanceTypeFacts: (types) => charged(AWS_WIRE.instanceTypeFacts(new Set(types).size), () => Object.fromEntries(types.flatMap((t) =>
            SIM_TYPE_FACTS[t] === undefined ? [] : [[t, SIM_TYPE_FACTS[t]]]))),
        // One task definition per service, all read for the first time in this run.
        listTasks: () => charged(AWS_WIRE.listTasks((o.tasks ?? []).length, services, services), () => (o.tasks ?? []).map((t) => ({ ...t }))),
    };
    return reads as Cloud;
}

function median(values: number[]): number {
    const s = [...values].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/** One observation of a realistic cluster of each size (about 10 tasks per instance), with `network`. */
export async function observeCurve(sizes: number[], network: NetworkModel, runs = 3): Promise<ObservePoint[]> {
    const pageMs = await sdkPageCostMs();
    const policy = { scaling: { ...DEFAULT_SCALING }, draining: { ...DEFAULT_DRAINING } };
    const out: ObservePoint[] = [];
    for (const n of sizes) {
        const o = realisticCluster(n, 10, 0, n);
        const target = { clusterName: o.clusterName, autoScalingGroupName: o.autoScalingGroupName, launchTemplateId: o.target.launchTemplateId,
            launchTemplateVersion: o.target.version };
        const cpu: number[] = [];
        let requests = 0;
        let seconds = 0;
        let sdkCpuMs = 0;
        for (let r = 0; r < runs; r++) {
            const clock: VirtualClock = new VirtualClock(o.now, (t) => { clock.nowMs = t; });
            const net = new Network(network, () => clock.now(), (ms) => clock.sleep(ms));
            const random = seededRandom(r + 1);
            const deps: Deps = { now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms, signal), random, log: () => undefined };
            const before = process.cpuUsage();
            const observed = await clock.run(observe(withRetries(cloudOver(o, net), deps), target, policy, clock.now()));
            const used = process.cpuUsage(before);
            if (observed.tasks === undefined) throw new Error("the observation read no task details: the bench cluster's reservations must be low");
            cpu.push((used.user + used.system) / 1000);
            requests = Object.values(net.requests).reduce((a, b) => a + b, 0);
            sdkCpuMs = Object.entries(pageMs).reduce((sum, [op, ms]) => sum + (net.requests[op] ?? 0) * ms, 0);
            seconds = (clock.now() - o.now) / 1000;
        }
        out.push({ instances: n, tasks: (o.tasks ?? []).length, requests, seconds: Math.round(seconds * 10) / 10, cpuMs: Math.round(median(cpu)),
            sdkCpuMs: Math.round(sdkCpuMs) });
    }
    return out;
}
