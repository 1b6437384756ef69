// Instance types by attribute (instanceRequirements) and EC2's facts about each type: the match by
// Auto Scaling's documented rules, the replacement of instances whose type no longer has them, and
// the facts read once per run for the types in the group.
import { strict as assert } from "node:assert";
import { matchesTypePattern, requirementsMismatch } from "../../provider/instanceTypes";
import { Plan } from "../../provider/model";
import { observe } from "../../provider/observe";
import { needsTasks, plan } from "../../provider/planner";
import { DEFAULT_DRAINING, DEFAULT_SCALING, InstanceRequirements } from "../../provider/settings";
import { simCloud } from "../../provider/sim/cloud";
import { SIM_TYPE_FACTS } from "../../provider/sim/instanceTypeFacts";
import { buildCluster, simReconcile, simSettings } from "../../provider/sim/scenario";
import { INSTANCE_SIZES } from "../../provider/sim/state";
import { instance, observed, policy, tasksOn } from "../helpers/observed";

const replaced = (p: Plan) => p.actions.flatMap((a) => a.kind === "drain" && a.purpose === "replace" ? a.victims.map((v) => [v.instanceId, v.reason]) : []);
const TWO_TO_FOUR: InstanceRequirements = { vcpuCount: { min: 2, max: 4 }, memoryMiB: { min: 4096 } };
/** What the simulated group launches first under it: m6i.large (the smallest type it allows). */
const M6I: InstanceRequirements = { ...TWO_TO_FOUR, allowedInstanceTypes: ["m6i.*"] };
const mismatch = (type: string, r: Partial<InstanceRequirements>) => requirementsMismatch(type, SIM_TYPE_FACTS[type], { ...TWO_TO_FOUR, ...r });

describe("instance types by attribute: the match", () => {
    it("reads wildcards as Auto Scaling's examples do: c5* is the whole C5 family, m5a.* not M5n", () => {
        assert.ok(matchesTypePattern("c5a.xlarge", "c5*"));
        assert.ok(matchesTypePattern("c5.xlarge", "c5*"));
        assert.ok(!matchesTypePattern("c6i.xlarge", "c5*"));
        assert.ok(matchesTypePattern("m5a.large", "m5a.*"));
        assert.ok(!matchesTypePattern("m5n.large", "m5a.*"));
        assert.ok(matchesTypePattern("m5.8xlarge", "m5.8xlarge"));
        assert.ok(!matchesTypePattern("m5.8xlarge", "m5.8"), "a pattern without a wildcard is the whole name");
        assert.ok(matchesTypePattern("t3.large", "*3*"));
        assert.ok(matchesTypePattern("r6i.large", "r*"));
    });

    it("names the first attribute an instance type lacks, by EC2's facts about it", () => {
        assert.equal(mismatch("m6i.large", {}), undefined);
        assert.equal(mismatch("m6i.2xlarge", {}), "8 vCPUs, outside vcpuCount 2-4");
        assert.equal(mismatch("c7i.large", { memoryMiB: { min: 8192 } }), "4096 MiB, outside memoryMiB at least 8192");
        assert.equal(mismatch("m7g.large", { cpuManufacturers: ["intel", "amd"] }), "CPU by amazon-web-services, not among cpuManufacturers");
        assert.equal(mismatch("c5a.xlarge", { cpuManufacturers: ["amd"] }), undefined);
        // moto's data (taken from EC2) lists m6i.large as a previous-generation type and m7i.large as current.
        assert.equal(mismatch("m6i.large", { instanceGenerations: ["current"] }), "a previous-generation type, not among instanceGenerations");
        assert.equal(mismatch("m7i.large", { instanceGenerations: ["current"] }), undefined);
        assert.equal(mismatch("t3.large", {}), "a burstable type, burstablePerformance is \"excluded\"", "burstable types are left out by default");
        assert.equal(mismatch("t3.large", { burstablePerformance: "included" }), undefined);
        assert.equal(mismatch("m6i.large", { burstablePerformance: "required" }), "not a burstable type, burstablePerformance is \"required\"");
        assert.equal(requirementsMismatch("m6i.metal", SIM_TYPE_FACTS["m6i.metal"], { vcpuCount: { min: 1 }, memoryMiB: { min: 1 } }),
            "a bare-metal type, bareMetal is \"excluded\"", "bare metal is left out by default");
        assert.equal(mismatch("g4dn.xlarge", { acceleratorCount: { max: 0 } }), "1 accelerators, outside acceleratorCount at most 0");
        assert.equal(mismatch("inf2.xlarge", { acceleratorTypes: ["gpu"] }), "no accelerator of acceleratorTypes gpu");
        assert.equal(mismatch("g4dn.xlarge", { acceleratorTypes: ["gpu"] }), undefined);
        assert.equal(mismatch("m6i.large", { networkInterfaceCount: { min: 4 } }), "3 network interfaces, outside networkInterfaceCount at least 4");
        assert.equal(mismatch("m6i.large", { allowedInstanceTypes: ["m7i.*", "c6*"] }), "not among allowedInstanceTypes");
        assert.equal(mismatch("m6i.large", { excludedInstanceTypes: ["m6*"] }), "excluded by excludedInstanceTypes \"m6*\"");
    });

    it("checks only the patterns of a type whose facts were not read, and never the price", () => {
        const r = { ...TWO_TO_FOUR, vcpuCount: { min: 64 } };
        assert.equal(requirementsMismatch("m6i.large", undefined, r), undefined, "no facts: not replaced for what they would show");
        assert.equal(requirementsMismatch("m6i.large", undefined, { ...r, excludedInstanceTypes: ["m6i.*"] }), "excluded by excludedInstanceTypes \"m6i.*\"");
        assert.equal(requirementsMismatch("m6i.large", SIM_TYPE_FACTS["m6i.large"], { ...TWO_TO_FOUR, spotMaxPricePercentageOverLowestPrice: 1 }), undefined);
    });

    it("registers in the simulator what EC2's facts say of each type: 1024 CPU units per vCPU, less memory than the type has", () => {
        for (const [type, size] of Object.entries(INSTANCE_SIZES)) {
            const facts = SIM_TYPE_FACTS[type];
            assert.ok(facts !== undefined, `${type} has EC2 facts`);
            assert.equal(size.cpu, facts.vcpus * 1024, type);
            assert.ok(size.memory < facts.memoryMiB && size.memory > facts.memoryMiB * 0.9, type);
        }
    });
});

describe("instance types by attribute: replacement", () => {
    /** Three m6i.large instances (2 vCPUs), each with a task, under `r`. */
    function fleet(r: InstanceRequirements) {
        const instances = [1, 2, 3].map((n) => instance(n, { tasks: 1 }));
        return observed(instances, { tasks: instances.flatMap((i) => tasksOn(i, 1, 256, 256)), instanceRequirements: r, maxSize: 6 });
    }

    it("replaces an instance whose type no longer has the requirements like an outdated one, naming what it lacks", () => {
        const o = fleet({ vcpuCount: { min: 4 }, memoryMiB: { min: 8192 } });
        const p = plan(o, policy());
        assert.deepEqual(replaced(p), [1, 2, 3].map((n) => [`i-000${n}`, "instance type m6i.large no longer has instanceRequirements: 2 vCPUs, outside vcpuCount at least 4"]));
        assert.ok(p.actions.some((a) => a.kind === "set-desired" && a.cause === "surge"), "new capacity first");
        assert.equal(needsTasks(o, policy()), true);
        assert.deepEqual(replaced(plan(fleet(TWO_TO_FOUR), policy())), [], "a type that has them stays");
    });

    it("keeps an instance whose type's facts were not read (only the patterns can say it is outdated)", () => {
        const o = fleet({ vcpuCount: { min: 4 }, memoryMiB: { min: 8192 } });
        for (const i of o.instances) delete i.typeFacts;
        assert.deepEqual(replaced(plan(o, policy())), []);
    });

    it("reads the facts of the group's types once per run, before the replacement check, and only when the plan needs them", async () => {
        const w = buildCluster({ instances: 3, instanceRequirements: M6I, services: [{ name: "web", count: 3, cpu: 256, memory: 256 }] });
        const p = { scaling: DEFAULT_SCALING, draining: DEFAULT_DRAINING };
        const withRequirements = simCloud(w);
        const o = await observe(withRequirements, { ...simSettings(w), instanceRequirements: M6I }, p, w.now);
        assert.deepEqual(o.instances.map((i) => i.typeFacts), [1, 2, 3].map(() => SIM_TYPE_FACTS["m6i.large"]));
        assert.equal(withRequirements.requests.DescribeInstanceTypes, 1);
        // Without requirements and with nothing to place, the plan needs no facts: none are read.
        const without = simCloud(w);
        const quiet = await observe(without, simSettings(w), p, w.now);
        assert.equal(quiet.tasks, undefined);
        assert.equal(without.requests.DescribeInstanceTypes, undefined);
    });

    it("reads them without requirements only for a plan that places awsvpc tasks: their network interfaces", async () => {
        const p = { scaling: DEFAULT_SCALING, draining: DEFAULT_DRAINING };
        for (const awsvpc of [false, true]) {
            const w = buildCluster({ instances: 4, services: [{ name: "web", count: 4, cpu: 128, memory: 128, ...(awsvpc ? { needs: { awsvpc: true } } : {}) }] });
            w.clock.advance(20 * 60_000);
            const cloud = simCloud(w);
            const o = await observe(cloud, simSettings(w), p, w.now);
            assert.ok(o.tasks !== undefined, "low reservations: the scale-in check reads the tasks");
            assert.equal(cloud.requests.DescribeInstanceTypes, awsvpc ? 1 : undefined, `awsvpc ${awsvpc}`);
            assert.equal(o.instances.every((i) => i.typeFacts !== undefined), awsvpc);
        }
    });

    it("on the simulated cluster: raised requirements replace every instance with a type that has them, nothing lost, and the next plan is empty", async () => {
        const w = buildCluster({ instances: 3, maxSize: 6, instanceRequirements: M6I,
            services: [{ name: "web", count: 6, cpu: 512, memory: 1024, minHealthyPercent: 50, needs: { awsvpc: true } }] });
        assert.deepEqual(w.liveInstances().map((i) => i.type), ["m6i.large", "m6i.large", "m6i.large"]);
        w.clock.advance(6 * 60_000);
        // The up: the group takes the new requirements first, then the scaler runs.
        const raised: InstanceRequirements = { vcpuCount: { min: 4, max: 4 }, memoryMiB: { min: 16384 }, cpuManufacturers: ["intel"], acceleratorCount: { max: 0 } };
        w.group.instanceRequirements = raised;
        const settings = simSettings(w, { launchTemplateVersion: w.group.launchTemplateVersion, instanceRequirements: raised, maxSize: 6 });
        const r = await simReconcile(w, settings);
        const old = w.instances;
        assert.deepEqual(replaced(r.plan).map(([, why]) => why), [1, 2, 3].map(() => "instance type m6i.large no longer has instanceRequirements: 2 vCPUs, outside vcpuCount 4-4"));
        for (const [id] of replaced(r.plan)) assert.equal(r.report.instances[id!], "terminated", `${id} ${old.get(id!)?.type}`);
        assert.deepEqual([...new Set(w.liveInstances().map((i) => i.type))], ["m6i.xlarge"], "the first of the intel types of 4 vCPUs and 16 GiB the simulator knows (m6i.xlarge, m7i.xlarge)");
        assert.equal(w.killedTasks("scaler").length, 0);
        assert.deepEqual(w.violations, []);
        assert.equal(w.serviceTasks("web").filter((t) => t.status === "RUNNING").length, 6);
        const again = await simReconcile(w, settings);
        assert.deepEqual(again.plan.actions, []);
    });
});

describe("instance types by attribute: sizing a scale-out with no instance registered", () => {
    const batch = [{ name: "batch", missing: 10, cpu: 512, memory: 1024, event: "(service batch) was unable to place a task because no container "
        + "instance met all of its requirements. Reason: No Container Instances were found in your cluster." }];
    const empty = (o: Partial<Parameters<typeof observed>[1]>) => observed([], { desired: 0, minSize: 0, unplaced: batch, ...o });
    const to = (p: Plan) => p.actions.flatMap((a) => a.kind === "set-desired" ? [a.to] : [])[0];

    it("sizes it by the smallest declared type, by EC2's facts, rather than an instance per task", () => {
        // 10 tasks of 512 CPU units on m6i.large (2 vCPUs) filled to 88%: 5120 / 1802 → 3 instances.
        const facts = { "m6i.xlarge": SIM_TYPE_FACTS["m6i.xlarge"], "m6i.large": SIM_TYPE_FACTS["m6i.large"] };
        assert.equal(to(plan(empty({ instanceTypes: ["m6i.xlarge", "m6i.large"], declaredTypeFacts: facts }), policy())), 3);
        assert.equal(to(plan(empty({ instanceTypes: ["m6i.xlarge", "m6i.large"] }), policy())), 10, "without the facts: an instance per task");
    });

    it("sizes it by the requirements' minimum vCPUs and memory: the smallest instance the group may launch", () => {
        // 5120 CPU units on 4 vCPUs at 88%: 1.42 → 2 instances.
        assert.equal(to(plan(empty({ instanceRequirements: { vcpuCount: { min: 4 }, memoryMiB: { min: 16384 } } }), policy())), 2);
        assert.equal(to(plan(empty({ instanceRequirements: { vcpuCount: { min: 0 }, memoryMiB: { min: 0 } } }), policy())), 10, "no minimum: an instance per task");
    });

    it("reads the declared types' facts only when nothing is registered and the plan has tasks to size for", async () => {
        const w = buildCluster({ instances: 0, minSize: 0, maxSize: 10, services: [{ name: "batch", count: 4, cpu: 512, memory: 1024 }], seedWhatFits: true });
        w.services.get("batch")!.desired = 4;
        w.clock.advance(60_000);
        const settings = { ...simSettings(w), instanceTypes: ["m6i.large", "m5.large"] };
        const cloud = simCloud(w);
        const o = await observe(cloud, settings, { scaling: DEFAULT_SCALING, draining: DEFAULT_DRAINING }, w.now);
        assert.ok(o.unplaced !== undefined, "the service's tasks wait for an instance");
        assert.deepEqual(o.declaredTypeFacts, { "m6i.large": SIM_TYPE_FACTS["m6i.large"], "m5.large": SIM_TYPE_FACTS["m5.large"] });
        const seeded = buildCluster({ instances: 2, services: [{ name: "web", count: 2, cpu: 256, memory: 256 }] });
        const none = await observe(simCloud(seeded), { ...simSettings(seeded), instanceTypes: ["m6i.large"] }, { scaling: DEFAULT_SCALING, draining: DEFAULT_DRAINING }, seeded.now);
        assert.equal(none.declaredTypeFacts, undefined);
    });
});
