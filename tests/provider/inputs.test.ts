// The scaler's `check`: every input validated with the exact message, unknown values skipped, and no
// AWS call made before the inputs are valid and known.
import { strict as assert } from "node:assert";
import { checkScalerInputs, plannableInputs, UNKNOWN } from "../../provider/inputs";
import { NOTE_PREFIX, PLAN_PENDING } from "../../provider/render";
import { DEFAULT_DRAINING, DEFAULT_SCALING, SETTING_KEYS } from "../../provider/settings";
import { scalerProvider } from "../../provider/dynamic";

const valid = {
    region: "eu-west-1",
    clusterName: "web",
    autoScalingGroupName: "web-asg-123",
    launchTemplateId: "lt-0abc1234def567890",
    launchTemplateVersion: "3",
    targetGroupArns: ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"],
    scaling: { ...DEFAULT_SCALING },
    draining: { ...DEFAULT_DRAINING },
};

// [name, change, property, exact reason]
export const SCALER_CASES: [string, Record<string, unknown>, string, string][] = [
    ["region missing", { region: undefined }, "region", "`region` must be an AWS region such as \"us-east-1\", got undefined"],
    ["region malformed", { region: "Europe" }, "region", "`region` must be an AWS region such as \"us-east-1\", got \"Europe\""],
    ["cluster name with a space", { clusterName: "my cluster" }, "clusterName", "`clusterName` must be 1-255 letters, digits, hyphens or underscores, got \"my cluster\""],
    ["cluster name null", { clusterName: null }, "clusterName", "`clusterName` must be 1-255 letters, digits, hyphens or underscores, got null"],
    ["empty group name", { autoScalingGroupName: "" }, "autoScalingGroupName", "`autoScalingGroupName` must be an Auto Scaling group name, got \"\""],
    ["launch template id malformed", { launchTemplateId: "template-1" }, "launchTemplateId", "`launchTemplateId` must be a launch template id (lt-…), got \"template-1\""],
    ["version $Latest", { launchTemplateVersion: "$Latest" }, "launchTemplateVersion", "`launchTemplateVersion` must be a launch template version number such as \"3\", got \"$Latest\""],
    ["version as a number", { launchTemplateVersion: 3 }, "launchTemplateVersion", "`launchTemplateVersion` must be a launch template version number such as \"3\", got 3"],
    ["target groups not a list", { targetGroupArns: "arn" }, "targetGroupArns", "`targetGroupArns` must be a list of 0 to 50 entries, got \"arn\""],
    ["target group ARN malformed", { targetGroupArns: ["tg-1"] }, "targetGroupArns[0]", "`targetGroupArns[0]` must be a target group ARN, got \"tg-1\""],
    ["scaling missing", { scaling: undefined }, "scaling", "`scaling` must be an object, got undefined"],
    ["scaling setting missing", { scaling: { ...DEFAULT_SCALING, cooldownSeconds: undefined } }, "scaling.cooldownSeconds",
        "`scaling.cooldownSeconds` must be an integer between 0 and 86400, got undefined"],
    ["revert window on an unknown day", { scaling: { ...DEFAULT_SCALING, spotRevertWindow: "Sunday 02:00-06:00" } }, "scaling.spotRevertWindow",
        "`scaling.spotRevertWindow` must be a UTC window \"HH:MM-HH:MM\", optionally after days such as \"Sat,Sun \" (e.g. \"02:00-06:00\"), got \"Sunday 02:00-06:00\""],
    ["cpu high as a string", { scaling: { ...DEFAULT_SCALING, cpuHighPercent: "80" } }, "scaling.cpuHighPercent",
        "`scaling.cpuHighPercent` must be an integer between 1 and 100, got \"80\""],
    ["memory high NaN", { scaling: { ...DEFAULT_SCALING, memoryHighPercent: NaN } }, "scaling.memoryHighPercent",
        "`scaling.memoryHighPercent` must be an integer between 1 and 100, got NaN"],
    ["scale-out step zero", { scaling: { ...DEFAULT_SCALING, scaleOutStep: 0 } }, "scaling.scaleOutStep",
        "`scaling.scaleOutStep` must be an integer between 1 and 100, got 0"],
    ["max scale-in above 100", { scaling: { ...DEFAULT_SCALING, maxScaleInPercent: 101 } }, "scaling.maxScaleInPercent",
        "`scaling.maxScaleInPercent` must be an integer between 1 and 100, got 101"],
    ["scale-in target above the memory high threshold", { scaling: { ...DEFAULT_SCALING, cpuHighPercent: 95, memoryHighPercent: 80 } },
        "scaling.scaleInTargetPercent",
        "`scaling.scaleInTargetPercent` must be below `scaling.memoryHighPercent`: `scaling.scaleInTargetPercent` is 85, `scaling.memoryHighPercent` 80"],
    ["evaluation fractional", { scaling: { ...DEFAULT_SCALING, evaluationMinutes: 2.5 } }, "scaling.evaluationMinutes",
        "`scaling.evaluationMinutes` must be an integer between 1 and 60, got 2.5"],
    ["drain timeout negative", { draining: { ...DEFAULT_DRAINING, timeoutSeconds: -30 } }, "draining.timeoutSeconds",
        "`draining.timeoutSeconds` must be an integer between 30 and 172800, got -30"],
    ["batch size null", { draining: { ...DEFAULT_DRAINING, batchSize: null } }, "draining.batchSize",
        "`draining.batchSize` must be an integer between 1 and 1000, got null"],
    ["min healthy negative", { draining: { ...DEFAULT_DRAINING, minHealthyPercent: -1 } }, "draining.minHealthyPercent",
        "`draining.minHealthyPercent` must be an integer between 0 and 100, got -1"],
    ["standalone policy upper case", { draining: { ...DEFAULT_DRAINING, standaloneTasks: "STOP" } }, "draining.standaloneTasks",
        "`draining.standaloneTasks` must be one of \"fail\", \"stop\", got \"STOP\""],
    ["update deadline too short", { draining: { ...DEFAULT_DRAINING, maxUpdateSeconds: 10 } }, "draining.maxUpdateSeconds",
        "`draining.maxUpdateSeconds` must be an integer between 60 and 86400, got 10"],
    ["unknown draining setting", { draining: { ...DEFAULT_DRAINING, drainTimeout: 5 } }, "draining.drainTimeout",
        "`draining.drainTimeout` is not a setting; known settings are timeoutSeconds, batchSize, minHealthyPercent, maxUpdateSeconds, standaloneTasks, "
            + "haltOnAlarms, bakeSeconds"],
    ["instance types and requirements", { instanceTypes: ["m6i.large"], instanceRequirements: { vcpuCount: { min: 2 }, memoryMiB: { min: 4096 } } }, "instanceRequirements",
        "give `instanceTypes` (a list of types) or `instanceRequirements` (types by their attributes), not both"],
    ["requirements with an inverted memory range", { instanceRequirements: { vcpuCount: { min: 2 }, memoryMiB: { min: 8192, max: 4096 } } }, "instanceRequirements.memoryMiB.max",
        "`instanceRequirements.memoryMiB.max` (4096) must not be below `instanceRequirements.memoryMiB.min` (8192)"],
];

function inputs(change: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...valid, ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete out[k];
    return out;
}

describe("scaler check", () => {
    it("accepts valid inputs", () => {
        assert.deepEqual(checkScalerInputs(valid), []);
    });

    for (const [name, change, property, reason] of SCALER_CASES) {
        it(`rejects ${name}`, () => {
            assert.deepEqual(checkScalerInputs(inputs(change)), [{ property, reason }]);
        });
    }

    it("skips values not known yet instead of rejecting them", () => {
        assert.deepEqual(checkScalerInputs({ ...valid, launchTemplateVersion: UNKNOWN, targetGroupArns: [UNKNOWN],
            scaling: { ...DEFAULT_SCALING, cpuHighPercent: UNKNOWN } }), []);
    });

    it("returns failures from the provider's check without calling AWS", async () => {
        const r = await scalerProvider.check({}, inputs({ region: "nowhere", draining: { ...DEFAULT_DRAINING, batchSize: 0 } }));
        assert.deepEqual(r.failures?.map((f) => f.property), ["region", "draining.batchSize"]);
        assert.equal((r.inputs as Record<string, unknown>).plan, undefined);
    });

    it("plans without a lease table or runner not known yet (created in this update), and with them once known", () => {
        const planned = plannableInputs({ ...valid, leaseTable: UNKNOWN, runner: { functionName: UNKNOWN, schedule: "rate(1 minute)", actions: ["scale-out"] } });
        assert.ok(planned !== undefined, "the plan does not wait for the runner's resources");
        assert.equal(planned.leaseTable, undefined);
        assert.equal(planned.runner, undefined);
        const runner = { functionName: "web-spot-ecs-runner", schedule: "rate(1 minute)", actions: ["scale-out"] };
        assert.deepEqual(plannableInputs({ ...valid, leaseTable: "web-spot-ecs-lease", runner })?.runner, runner);
    });

    it("plans nothing yet, without calling AWS, while a value is unknown", async () => {
        const r = await scalerProvider.check({}, { ...valid, autoScalingGroupName: UNKNOWN });
        assert.deepEqual(r.failures, undefined);
        assert.deepEqual((r.inputs as Record<string, unknown>).plan, [PLAN_PENDING]);
    });
});

describe("scaler diff", () => {
    const stored = { ...valid, minSize: 1, maxSize: 4, instanceTypes: ["m6i.large"], onDemandBaseCapacity: 0,
        plan: [`${NOTE_PREFIX}no scaling decision: fewer than 5 minutes of reservation data`], lastRun: null, __provider: "provider text" };

    it("reports no change when no setting changed and the plan has no action", async () => {
        const r = await scalerProvider.diff("id", stored, { ...stored });
        assert.equal(r.changes, false);
    });

    for (const key of SETTING_KEYS) {
        it(`reports a change when only ${key} changed, even with a plan of notes only`, async () => {
            const r = await scalerProvider.diff("id", stored, { ...stored, [key]: { changed: key } });
            assert.equal(r.changes, true);
        });
    }
});
