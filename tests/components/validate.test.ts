import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { listProblems, validateArgs, SpotEcsClusterArgs } from "../../components";
import { REQUIREMENT_KEYS } from "../../provider/settings";

const valid: SpotEcsClusterArgs = {
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0aaa1111bbbb2222c"],
    instanceTypes: ["m6i.large"],
    minSize: 1,
    maxSize: 4,
};

/** Every problem reported for `valid` with `change` applied (undefined values remove the key). */
function reasons(change: Record<string, unknown>): string[] {
    const args: Record<string, unknown> = { ...valid, ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete args[k];
    return listProblems(args).map((p) => p.reason);
}

// [name, change, exact message]
const REQ = { vcpuCount: { min: 2, max: 8 }, memoryMiB: { min: 4096 } };

export const CASES: [string, Record<string, unknown>, string][] = [
    ["maxSize zero", { maxSize: 0 }, "`maxSize` must be an integer between 1 and 1000, got 0"],
    ["maxSize above the limit", { maxSize: 1001 }, "`maxSize` must be an integer between 1 and 1000, got 1001"],
    ["minSize negative", { minSize: -1 }, "`minSize` must be an integer between 0 and 1000, got -1"],
    ["minSize fractional", { minSize: 1.5 }, "`minSize` must be an integer between 0 and 1000, got 1.5"],
    ["minSize as a string", { minSize: "2" }, "`minSize` must be an integer between 0 and 1000, got \"2\""],
    ["maxSize NaN", { maxSize: NaN }, "`maxSize` must be an integer between 1 and 1000, got NaN"],
    ["minSize null", { minSize: null }, "`minSize` must be an integer between 0 and 1000, got null"],
    ["minSize above maxSize", { minSize: 5, maxSize: 3 }, "`minSize` (5) must not be greater than `maxSize` (3)"],
    ["desired below min", { minSize: 2, desiredCapacity: 1 }, "`desiredCapacity` must be between `minSize` (2) and `maxSize`, got 1"],
    ["desired above max", { desiredCapacity: 9 }, "`desiredCapacity` must be between `minSize` and `maxSize` (4), got 9"],
    ["empty subnet list", { subnetIds: [] }, "`subnetIds` must have between 1 and 256 entries, got 0"],
    ["subnets missing", { subnetIds: undefined }, "`subnetIds` must be a list of 1 to 256 entries, got undefined"],
    ["malformed subnet", { subnetIds: ["sub-1"] }, "`subnetIds[0]` must be a subnet id (subnet-…), got \"sub-1\""],
    ["repeated subnet", { subnetIds: ["subnet-0aaa1111bbbb2222c", "subnet-0aaa1111bbbb2222c"] },
        "`subnetIds[1]` repeats \"subnet-0aaa1111bbbb2222c\"; list each once"],
    ["empty instance types", { instanceTypes: [] }, "`instanceTypes` must have between 1 and 40 entries, got 0"],
    ["instance type without size", { instanceTypes: ["m6i"] },
        "`instanceTypes[0]` must be an instance type in `family.size` form such as \"m6i.large\", got \"m6i\""],
    ["instance type upper case", { instanceTypes: ["M6I.LARGE"] },
        "`instanceTypes[0]` must be an instance type in `family.size` form such as \"m6i.large\", got \"M6I.LARGE\""],
    ["repeated instance type", { instanceTypes: ["m6i.large", "m6i.large"] },
        "`instanceTypes[1]` repeats \"m6i.large\"; list each type once"],
    ["both cluster name args", { clusterName: "a", existingClusterName: "b" },
        "give either `clusterName` (create a cluster) or `existingClusterName` (join one), not both"],
    ["empty cluster name", { clusterName: "" }, "`clusterName` must be 1-255 letters, digits, hyphens or underscores, got \"\""],
    ["cluster name with a dot", { clusterName: "web.prod" },
        "`clusterName` must be 1-255 letters, digits, hyphens or underscores, got \"web.prod\""],
    ["cluster name too long", { clusterName: "a".repeat(256) },
        `\`clusterName\` must be 1-255 letters, digits, hyphens or underscores, got "${"a".repeat(256)}"`],
    ["empty existing cluster name", { existingClusterName: "" },
        "`existingClusterName` must be 1-255 letters, digits, hyphens or underscores, got \"\""],
    ["no VPC and no security groups", { vpcId: undefined },
        "`vpcId` is required when `securityGroupIds` is omitted (a security group is created in it), got undefined"],
    ["empty security groups", { securityGroupIds: [] }, "`securityGroupIds` must have between 1 and 16 entries, got 0"],
    ["on-demand percent above 100", { onDemandPercentageAboveBaseCapacity: 101 },
        "`onDemandPercentageAboveBaseCapacity` must be an integer between 0 and 100, got 101"],
    ["on-demand base above max", { onDemandBaseCapacity: 5 }, "`onDemandBaseCapacity` must not exceed `maxSize` (4), got 5"],
    ["unknown spot strategy", { spotAllocationStrategy: "cheapest" },
        "`spotAllocationStrategy` must be one of \"price-capacity-optimized\", \"capacity-optimized\", \"capacity-optimized-prioritized\", \"lowest-price\", got \"cheapest\""],
    ["capacityRebalance as a string", { capacityRebalance: "yes" }, "`capacityRebalance` must be true or false, got \"yes\""],
    ["unknown AMI family", { amiFamily: "bottlerocket" },
        "`amiFamily` must be one of \"al2023\", \"al2023-arm64\", \"al2023-gpu\", \"al2\", \"al2-arm64\", got \"bottlerocket\""],
    ["image and family both", { imageId: "ami-0123456789abcdef0", amiFamily: "al2" },
        "give either `imageId` (pin an AMI) or `amiFamily` (latest ECS-optimized AMI), not both"],
    ["malformed image id", { imageId: "ubuntu" }, "`imageId` must be an AMI id (ami-…), got \"ubuntu\""],
    ["root volume too small", { rootVolumeSizeGiB: 8 }, "`rootVolumeSizeGiB` must be an integer between 30 and 16384, got 8"],
    ["hop limit zero", { metadataHopLimit: 0 }, "`metadataHopLimit` must be an integer between 1 and 64, got 0"],
    ["lower-case ecsConfig key", { ecsConfig: { ecs_reserved_memory: "256" } },
        "`ecsConfig` keys must be upper-case agent settings such as ECS_RESERVED_MEMORY (A-Z, 0-9, _), got \"ecs_reserved_memory\""],
    ["ecsConfig key with a space", { ecsConfig: { "ECS RESERVED": "1" } },
        "`ecsConfig` keys must be upper-case agent settings such as ECS_RESERVED_MEMORY (A-Z, 0-9, _), got \"ECS RESERVED\""],
    ["ecsConfig sets the cluster", { ecsConfig: { ECS_CLUSTER: "other" } },
        "`ecsConfig.ECS_CLUSTER` is written by the component; set clusterName or existingClusterName instead"],
    ["ecsConfig value with a newline", { ecsConfig: { ECS_LOGLEVEL: "info\nECS_CLUSTER=evil" } },
        "`ecsConfig.ECS_LOGLEVEL` must be a single-line string of at most 4096 characters, got \"info\\nECS_CLUSTER=evil\""],
    ["ecsConfig value a number", { ecsConfig: { ECS_RESERVED_MEMORY: 256 } },
        "`ecsConfig.ECS_RESERVED_MEMORY` must be a single-line string of at most 4096 characters, got 256"],
    ["ten attributes: the drain mark would be the eleventh", { instanceAttributes: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, "x"])) },
        "`instanceAttributes` may hold at most 9 attributes (ECS allows 10 per instance and the scaler's drain mark takes one), got 10"],
    ["attribute value with a quote", { instanceAttributes: { team: "a\"b" } },
        "`instanceAttributes.team` must be 1-128 letters, digits, spaces or \"_-.@/\\:\", got \"a\\\"b\""],
    ["extraUserData not a string", { extraUserData: ["echo"] }, "`extraUserData` must be a string of shell commands, got an array of 1"],
    ["aws: tag key", { tags: { "aws:owner": "me" } }, "`tags` keys must be 1-128 characters and not start with \"aws:\", got \"aws:owner\""],
    ["cpu high above 100", { scaling: { cpuHighPercent: 120 } }, "`scaling.cpuHighPercent` must be an integer between 1 and 100, got 120"],
    ["scale-in target zero", { scaling: { scaleInTargetPercent: 0 } }, "`scaling.scaleInTargetPercent` must be an integer between 1 and 99, got 0"],
    ["scale-in target not below high", { scaling: { scaleInTargetPercent: 70, cpuHighPercent: 70 } },
        "`scaling.scaleInTargetPercent` must be below `scaling.cpuHighPercent`: `scaling.scaleInTargetPercent` is 70, `scaling.cpuHighPercent` 70"],
    ["high threshold below the default scale-in target", { scaling: { memoryHighPercent: 80 } },
        "`scaling.scaleInTargetPercent` must be below `scaling.memoryHighPercent`: `scaling.memoryHighPercent` is 80, `scaling.scaleInTargetPercent` 85, its default"],
    ["headroom without a size", { scaling: { headroom: "4 tasks" } },
        "`scaling.headroom` must be room for tasks \"<tasks>x<cpu>/<memory MiB>\" such as \"4x512/1024\", got \"4 tasks\""],
    ["evaluation zero minutes", { scaling: { evaluationMinutes: 0 } }, "`scaling.evaluationMinutes` must be an integer between 1 and 60, got 0"],
    ["negative cooldown", { scaling: { cooldownSeconds: -1 } }, "`scaling.cooldownSeconds` must be an integer between 0 and 86400, got -1"],
    ["scaling typo", { scaling: { cpuHigh: 80 } },
        "`scaling.cpuHigh` is not a setting; known settings are cpuHighPercent, memoryHighPercent, evaluationMinutes, scaleOutStep, scaleInTargetPercent, scaleInAfterMinutes, maxScaleInPercent, cooldownSeconds, scaleInCooldownSeconds, headroom, spotFallbackAfterSeconds, spotRevertAfterSeconds, spotRevertWindow"],
    ["revert window without minutes", { scaling: { spotRevertWindow: "2-6" } }, "`scaling.spotRevertWindow` must be a UTC window \"HH:MM-HH:MM\", optionally after days such as \"Sat,Sun \" (e.g. \"02:00-06:00\"), got \"2-6\""],
    ["drain timeout zero", { draining: { timeoutSeconds: 0 } }, "`draining.timeoutSeconds` must be an integer between 30 and 172800, got 0"],
    ["batch size zero", { draining: { batchSize: 0 } }, "`draining.batchSize` must be an integer between 1 and 1000, got 0"],
    ["min healthy above 100", { draining: { minHealthyPercent: 150 } },
        "`draining.minHealthyPercent` must be an integer between 0 and 100, got 150"],
    ["unknown standalone policy", { draining: { standaloneTasks: "kill" } },
        "`draining.standaloneTasks` must be one of \"fail\", \"stop\", got \"kill\""],
    ["drain timeout beyond the update deadline", { draining: { timeoutSeconds: 4000 } },
        "`draining.timeoutSeconds` must not exceed `draining.maxUpdateSeconds` (3600), got 4000"],
    ["draining not an object", { draining: "fast" }, "`draining` must be an object, got \"fast\""],
    ["no guard alarm in the list", { draining: { haltOnAlarms: [] } }, "`draining.haltOnAlarms` must have between 1 and 100 entries, got 0"],
    ["guard alarm name with a line break", { draining: { haltOnAlarms: ["web-5xx", "api\nlatency"] } },
        "`draining.haltOnAlarms[1]` must be a CloudWatch alarm name (1-255 characters, no control characters) or an alarm ARN, got \"api\\nlatency\""],
    ["bake longer than an hour", { draining: { bakeSeconds: 7200 } }, "`draining.bakeSeconds` must be an integer between 0 and 3600, got 7200"],
    ["instance age of no days", { maintenance: { maxInstanceAgeDays: 0 } }, "`maintenance.maxInstanceAgeDays` must be an integer between 1 and 365, got 0"],
    ["maintenance window in words", { maintenance: { window: "weekends" } },
        "`maintenance.window` must be a UTC window \"HH:MM-HH:MM\", optionally after days such as \"Sat,Sun \" (e.g. \"02:00-06:00\"), got \"weekends\""],
    ["no disconnected agent allowed", { maintenance: { maxDisconnectedPercent: 0 } }, "`maintenance.maxDisconnectedPercent` must be an integer between 1 and 100, got 0"],
    ["maintenance typo", { maintenance: { maxAgeDays: 30 } }, "`maintenance.maxAgeDays` is not a setting; known settings are maxInstanceAgeDays, window, maxDisconnectedPercent"],
    ["both instance types and requirements", { instanceRequirements: REQ },
        "give `instanceTypes` (a list of types) or `instanceRequirements` (types by their attributes), not both"],
    ["neither instance types nor requirements", { instanceTypes: undefined },
        "give `instanceTypes` (a list of types such as [\"m6i.large\"]) or `instanceRequirements` (types by their attributes), got neither"],
    ["requirements without memory", { instanceTypes: undefined, instanceRequirements: { vcpuCount: { min: 2 } } },
        "`instanceRequirements.memoryMiB` must be an object, got undefined"],
    ["vCPU range inverted", { instanceTypes: undefined, instanceRequirements: { ...REQ, vcpuCount: { min: 8, max: 4 } } },
        "`instanceRequirements.vcpuCount.max` (4) must not be below `instanceRequirements.vcpuCount.min` (8)"],
    ["negative memory", { instanceTypes: undefined, instanceRequirements: { ...REQ, memoryMiB: { min: -1 } } },
        "`instanceRequirements.memoryMiB.min` must be an integer between 0 and 33554432, got -1"],
    ["allowed and excluded types", { instanceTypes: undefined, instanceRequirements: { ...REQ, allowedInstanceTypes: ["m7i.*"], excludedInstanceTypes: ["t*"] } },
        "give `instanceRequirements.allowedInstanceTypes` or `instanceRequirements.excludedInstanceTypes`, not both (Auto Scaling takes one)"],
    ["type pattern with a space", { instanceTypes: undefined, instanceRequirements: { ...REQ, excludedInstanceTypes: ["m5 *"] } },
        "`instanceRequirements.excludedInstanceTypes[0]` must be an instance type or pattern of up to 30 characters such as \"m7i.*\" or \"c6*\" (lower-case letters, digits, `.`, `-`, `*`), got \"m5 *\""],
    ["unknown CPU manufacturer", { instanceTypes: undefined, instanceRequirements: { ...REQ, cpuManufacturers: ["ibm"] } },
        "`instanceRequirements.cpuManufacturers[0]` must be one of \"intel\", \"amd\", \"amazon-web-services\", got \"ibm\""],
    ["burstable as a boolean", { instanceTypes: undefined, instanceRequirements: { ...REQ, burstablePerformance: true } },
        "`instanceRequirements.burstablePerformance` must be one of \"included\", \"excluded\", \"required\", got true"],
    ["requirements typo", { instanceTypes: undefined, instanceRequirements: { ...REQ, vcpus: { min: 2 } } },
        "`instanceRequirements.vcpus` is not a setting; known settings are " + REQUIREMENT_KEYS.join(", ")],
    ["prioritized Spot strategy with requirements", { instanceTypes: undefined, instanceRequirements: REQ, spotAllocationStrategy: "capacity-optimized-prioritized" },
        "`spotAllocationStrategy` \"capacity-optimized-prioritized\" needs an ordered `instanceTypes` list: Auto Scaling refuses it with `instanceRequirements`; "
        + "use one of \"price-capacity-optimized\", \"capacity-optimized\", \"lowest-price\""],
    ["Graviton CPUs for an x86 AMI", { instanceTypes: undefined, instanceRequirements: { ...REQ, cpuManufacturers: ["amazon-web-services"] } },
        "`instanceRequirements.cpuManufacturers` must include one of \"intel\", \"amd\" for amiFamily \"al2023\", got \"amazon-web-services\": no instance type would run the AMI"],
    ["misspelled argument", { minsize: 1 }, "`minsize` is not an argument of SpotEcsCluster; check its spelling"],
];

describe("validateArgs", () => {
    it("accepts the smallest valid arguments", () => {
        assert.deepEqual(listProblems(valid), []);
        assert.doesNotThrow(() => validateArgs(valid));
    });

    it("accepts instance types by attribute in place of a list, with a Graviton AMI and its manufacturer", () => {
        assert.deepEqual(listProblems({ ...valid, instanceTypes: undefined, instanceRequirements: REQ }), []);
        assert.deepEqual(listProblems({ ...valid, instanceTypes: undefined, amiFamily: "al2023-arm64",
            instanceRequirements: { ...REQ, cpuManufacturers: ["amazon-web-services"], instanceGenerations: ["current"], burstablePerformance: "included",
                excludedInstanceTypes: ["*.metal", "c6*"], acceleratorCount: { max: 0 }, networkInterfaceCount: { min: 3 }, spotMaxPricePercentageOverLowestPrice: 50 } }), []);
    });

    it("accepts an ALB target group ARN and Outputs it cannot inspect yet", () => {
        assert.deepEqual(listProblems({
            ...valid,
            subnetIds: pulumi.output(["subnet-0aaa1111bbbb2222c"]),
            existingClusterName: pulumi.output("later"),
            targetGroupArns: ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/50dc6c495c0c9188"],
        }), []);
    });

    for (const [name, change, message] of CASES) {
        it(`rejects ${name}`, () => {
            assert.deepEqual(reasons(change), [message]);
        });
    }

    it(`covers at least 25 invalid cases (${CASES.length})`, () => {
        assert.ok(CASES.length >= 25);
    });

    it("collects every problem and throws once, one line each", () => {
        assert.throws(() => validateArgs({ ...valid, minSize: -1, maxSize: 0, instanceTypes: [] }, "SpotEcsCluster \"x\""), {
            message: [
                "Invalid arguments for SpotEcsCluster \"x\":",
                "  - `instanceTypes` must have between 1 and 40 entries, got 0",
                "  - `minSize` must be an integer between 0 and 1000, got -1",
                "  - `maxSize` must be an integer between 1 and 1000, got 0",
            ].join("\n"),
        });
    });

    it("rejects a missing arguments object", () => {
        assert.deepEqual(listProblems(undefined).map((p) => p.reason), ["`args` must be an object, got undefined"]);
    });
});
