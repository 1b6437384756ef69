// Builders for simulated clusters and a one-call reconcile on them, shared by tests, demo and benchmarks.
import { DEFAULT_DRAINING, DEFAULT_SCALING, ScalerSettingsDefaults } from "./defaults";
import { reconcile, previewPlan } from "../reconcile";
import { InstanceRequirements, ScalerSettings } from "../settings";
import { FaultConfig, simCloud, simDeps, SimCloud } from "./cloud";
import { NetworkModel } from "./network";
import { SimTimings, SimWorld } from "./world";
import { Lifecycle, TERMINATION_HOOK_NAME } from "../model";
import { DEFAULT_HOOK_HEARTBEAT_SECONDS } from "../settings";
import { TaskNeeds } from "../placement";

export interface ServiceSpec {
    name: string;
    count: number;
    cpu: number;
    memory: number;
    minHealthyPercent?: number;
    maxPercent?: number;
    /** Its tasks sit behind a load balancer: each one stopped spends the deregistration delay DEACTIVATING first. */
    loadBalanced?: boolean;
    /** What its tasks need of an instance besides CPU and memory (static host ports, awsvpc, constraints). */
    needs?: TaskNeeds;
    /** DAEMON scheduling: a task on every instance. */
    daemon?: boolean;
}

export interface ClusterSpec {
    instances: number;
    minSize?: number;
    maxSize?: number;
    instanceType?: string;
    /** Instance types of the mixed instances policy, in priority order (Spot pools are type × zone). @default [instanceType] */
    instanceTypes?: string[];
    /** Instance types by attribute: the group launches the types the simulator knows that have them. */
    instanceRequirements?: InstanceRequirements;
    /** The group's availability zones. @default us-east-1a, us-east-1b */
    zones?: string[];
    /** Launch template version the seeded instances run. */
    version?: string;
    onDemand?: number;
    services?: ServiceSpec[];
    standalone?: { family: string; cpu: number; memory: number; onInstance?: number }[];
    targetGroups?: number;
    timings?: Partial<SimTimings>;
    /** The group protects its instances from scale-in, the seeded ones included, as the component sets it up. @default true */
    protectFromScaleIn?: boolean;
    /** An ECS capacity provider with managed draining is attached, as the component sets it up without the runner. @default true */
    managedDraining?: boolean;
    /**
     * The scaler's own termination hook on the group, with the instance lifecycle policy that retains an
     * instance whose hook ends in ABANDON, as the component sets it up with the runner. @default false
     */
    terminationHook?: boolean | { heartbeatTimeoutSeconds?: number; retain?: boolean };
    /** A service whose tasks do not all fit starts with those that do (for generated clusters). @default false */
    seedWhatFits?: boolean;
    /** Services start spread evenly over the instances instead of placed one by one (for large clusters). @default false */
    seedEvenly?: boolean;
}

/** A world with `spec.instances` registered instances and every task already RUNNING. */
export function buildCluster(spec: ClusterSpec): SimWorld {
    const targetGroupArns = Array.from({ length: spec.targetGroups ?? 0 }, (_, i) =>
        `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-${i + 1}/${(0xabc000 + i).toString(16)}`);
    const world = new SimWorld({
        name: "sim-asg",
        desired: spec.instances,
        minSize: spec.minSize ?? 1,
        maxSize: spec.maxSize ?? spec.instances * 2,
        launchTemplateId: "lt-0000000000000051a",
        launchTemplateVersion: spec.version ?? "1",
        instanceType: spec.instanceType ?? spec.instanceTypes?.[0] ?? "m6i.large",
        ...(spec.instanceTypes === undefined ? {} : { instanceTypes: spec.instanceTypes }),
        ...(spec.instanceRequirements === undefined ? {} : { instanceRequirements: spec.instanceRequirements }),
        ...(spec.zones === undefined ? {} : { zones: spec.zones }),
        onDemandBaseCapacity: spec.onDemand ?? 0,
        targetGroupArns,
    }, spec.timings);
    world.protectNewInstances = spec.protectFromScaleIn ?? true;
    if (spec.managedDraining ?? true) world.managedDrainingProviders = ["sim-capacity-provider"];
    if (spec.terminationHook !== undefined && spec.terminationHook !== false) {
        const hook = spec.terminationHook === true ? {} : spec.terminationHook;
        world.ownHook = { name: TERMINATION_HOOK_NAME, defaultResult: "ABANDON", heartbeatTimeoutSeconds: hook.heartbeatTimeoutSeconds ?? DEFAULT_HOOK_HEARTBEAT_SECONDS };
        world.retainOnAbandon = hook.retain ?? true;
    }
    const onDemand = spec.onDemand ?? 0;
    for (let i = 0; i < spec.instances; i++) {
        const lifecycle: Lifecycle = i < onDemand ? "on-demand" : "spot";
        world.seedInstances(1, { lifecycle });
    }
    for (const s of spec.services ?? []) {
        if (spec.seedEvenly) {
            world.addServiceEvenly({ name: s.name, desired: s.count, cpu: s.cpu, memory: s.memory, minHealthyPercent: s.minHealthyPercent ?? 100,
                maxPercent: s.maxPercent ?? 200, loadBalanced: s.loadBalanced ?? false });
            continue;
        }
        world.addService({ name: s.name, desired: s.count, cpu: s.cpu, memory: s.memory,
            minHealthyPercent: s.minHealthyPercent ?? 100, maxPercent: s.maxPercent ?? 200, loadBalanced: s.loadBalanced ?? false,
            ...(s.needs === undefined ? {} : { needs: s.needs }), ...(s.daemon ? { daemon: true } : {}) }, spec.seedWhatFits ?? false);
    }
    const ids = [...world.instances.keys()];
    for (const t of spec.standalone ?? []) world.runTask(t.family, t.cpu, t.memory, t.onInstance === undefined ? undefined : ids[t.onInstance]);
    return world;
}

/** Scaler settings for a simulated world, with the package defaults unless overridden. */
export function simSettings(world: SimWorld, overrides: ScalerSettingsDefaults = {}): ScalerSettings {
    return {
        region: "us-east-1",
        clusterName: "sim",
        autoScalingGroupName: world.group.name,
        launchTemplateId: world.group.launchTemplateId,
        launchTemplateVersion: world.group.launchTemplateVersion,
        targetGroupArns: [],
        ...overrides,
        scaling: { ...DEFAULT_SCALING, ...overrides.scaling },
        draining: { ...DEFAULT_DRAINING, ...overrides.draining },
    };
}

export interface SimRun {
    cloud: SimCloud;
    lines: string[];
}

/** Runs one reconcile (observe, plan, execute) on the world's virtual clock, then one tick; progress lines go to `lines`. */
export async function simReconcile(world: SimWorld, settings: ScalerSettings,
    opts: { seed?: number; faults?: FaultConfig; network?: NetworkModel } = {}) {
    const lines: string[] = [];
    const timed: { at: number; line: string }[] = [];
    const cloud = simCloud(world, opts.faults, opts.network);
    const deps = simDeps(world, opts.seed ?? 1, (line) => {
        lines.push(line);
        timed.push({ at: world.now, line });
    });
    // One tick after the run: ECS completes the managed-draining lifecycle action of an instance the
    // scaler emptied and terminated at its next look, so the world shows it terminated.
    const settle = () => world.clock.advance(world.timings.tickSeconds * 1000);
    try {
        const result = await world.clock.run(reconcile(cloud, deps, settings));
        settle();
        return { ...result, cloud, lines, timed };
    } catch (error) {
        settle();
        throw Object.assign(error as Error, { lines, cloud });
    }
}

/** Observes and plans on the world without acting. */
export async function simPreview(world: SimWorld, settings: ScalerSettings) {
    const cloud = simCloud(world);
    const deps = simDeps(world);
    return world.clock.run(previewPlan(cloud, deps, settings));
}

/** Rolls out a new launch template version: new instances launch with it. */
export function newLaunchTemplateVersion(world: SimWorld): string {
    world.group.launchTemplateVersion = String(Number(world.group.launchTemplateVersion) + 1);
    return world.group.launchTemplateVersion;
}
