// The AWS operations the scaler may send, and the IAM policies derived from them.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { AWS_OPERATIONS } from "../../provider/operations";
import { operationsFor, PolicyStatement, scalerPolicy } from "../../provider/permissions";
import { AWS_RATE_LIMITS } from "../../provider/quotas";
import { SCALER_NAMESPACE } from "../../provider/scalerMetrics";

const CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/web";
const GROUP = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:0a1b:autoScalingGroupName/web-asg";
const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef";
const scope = { clusterArn: CLUSTER, autoScalingGroupArn: GROUP, targetGroupArns: [TG] };

const actionsOf = (statements: PolicyStatement[]) => statements.flatMap((s) => s.Action).sort();

/** Statements granting a write action, with what they are scoped to. */
function writes(statements: PolicyStatement[]): PolicyStatement[] {
    const written = new Set(AWS_OPERATIONS.filter((o) => o.need === "up").map((o) => o.action));
    return statements.filter((s) => s.Action.some((a) => written.has(a)));
}

/** The actions of a README list item that starts with `lead`, in backticks. */
function readmeActions(lead: string): string[] {
    const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
    const start = readme.indexOf(lead);
    assert.ok(start >= 0, `README has "${lead}"`);
    const item = readme.slice(start, readme.indexOf("\n- ", start + 1) >= 0 ? Math.min(readme.indexOf("\n- ", start + 1), readme.indexOf("\n\n", start)) : readme.indexOf("\n\n", start));
    return [...item.matchAll(/`([a-z0-9-]+:\w+)`/g)].map((m) => m[1]).sort();
}

describe("the AWS operations the scaler sends", () => {
    it("names each once, with an IAM action of its own service prefix", () => {
        const names = AWS_OPERATIONS.map((o) => o.operation);
        assert.equal(new Set(names).size, names.length);
        for (const o of AWS_OPERATIONS) assert.equal(o.action.split(":")[1], o.operation, o.operation);
    });

    it("puts every paced operation in a rate bucket that exists, and every bucket's operations come from the list", () => {
        const buckets = new Set(AWS_RATE_LIMITS.map((b) => b.name));
        for (const o of AWS_OPERATIONS) if (o.bucket !== undefined) assert.ok(buckets.has(o.bucket), `${o.operation}: ${o.bucket}`);
        const paced = AWS_RATE_LIMITS.flatMap((b) => b.operations).sort();
        assert.deepEqual(paced, AWS_OPERATIONS.filter((o) => o.bucket !== undefined).map((o) => o.operation).sort());
        assert.ok(paced.length >= 30);
    });
});

describe("scalerPolicy", () => {
    it("allows a preview every read the scaler makes, and no write", () => {
        const preview = scalerPolicy(scope, { access: "preview" });
        assert.deepEqual(actionsOf(preview.Statement), AWS_OPERATIONS.filter((o) => o.need === "preview" && o.onlyWith === undefined).map((o) => o.action).sort());
        assert.deepEqual(writes(preview.Statement), []);
        for (const needed of ["ecs:ListServices", "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ec2:DescribeSpotInstanceRequests",
            "elasticloadbalancing:DescribeTargetGroups"]) {
            assert.ok(actionsOf(preview.Statement).includes(needed), needed);
        }
    });

    it("allows an up every write, StopTask only when standalone tasks may be stopped", () => {
        const up = actionsOf(scalerPolicy(scope, { access: "up" }).Statement);
        for (const needed of ["elasticloadbalancing:RegisterTargets", "autoscaling:SetInstanceProtection", "autoscaling:UpdateAutoScalingGroup",
            "ecs:UpdateContainerInstancesState", "autoscaling:TerminateInstanceInAutoScalingGroup", "cloudwatch:PutMetricData"]) {
            assert.ok(up.includes(needed), needed);
        }
        assert.ok(!up.includes("ecs:StopTask"));
        assert.ok(actionsOf(scalerPolicy(scope, { access: "up", stopsTasks: true }).Statement).includes("ecs:StopTask"));
        assert.ok(!up.includes("ec2:DescribeLaunchTemplates"), "only the command reads the launch template");
        assert.ok(actionsOf(scalerPolicy(scope, { access: "preview", command: true }).Statement).includes("ec2:DescribeLaunchTemplates"));
    });

    it("scopes every write to the cluster, the group or the target groups, and metrics to the scaler's namespace", () => {
        const statements = writes(scalerPolicy(scope, { access: "up", stopsTasks: true }).Statement);
        assert.ok(statements.length >= 4);
        for (const s of statements) {
            const where = JSON.stringify([s.Resource, s.Condition]);
            if (s.Resource === "*") assert.ok(s.Condition !== undefined, `${s.Sid} writes to * without a condition`);
            assert.ok([CLUSTER, GROUP, TG, SCALER_NAMESPACE].some((x) => where.includes(x)), `${s.Sid}: ${where}`);
        }
        const group = statements.find((s) => s.Action.includes("autoscaling:SetDesiredCapacity"))!;
        assert.deepEqual(group.Resource, [GROUP]);
        const inCluster = statements.find((s) => s.Action.includes("ecs:UpdateContainerInstancesState"))!;
        assert.deepEqual(inCluster.Condition, { ArnEquals: { "ecs:cluster": CLUSTER } });
    });

    it("grants no target group action when the scaler owns no target group", () => {
        const up = actionsOf(scalerPolicy({ ...scope, targetGroupArns: [] }, { access: "up" }).Statement);
        assert.ok(!up.includes("elasticloadbalancing:DeregisterTargets") && !up.includes("elasticloadbalancing:RegisterTargets"));
    });
});

describe("README permissions", () => {
    it("lists what a preview needs and what an up needs besides, as the operations list says", () => {
        const preview = operationsFor({ access: "preview" }).map((o) => o.action).sort();
        const up = operationsFor({ access: "up", stopsTasks: true }).map((o) => o.action).filter((a) => !preview.includes(a)).sort();
        assert.deepEqual(readmeActions("- **Every preview"), preview);
        assert.deepEqual(readmeActions("- **An up that acts"), up);
        assert.deepEqual(readmeActions("- **`spot-ecs plan`"), ["ec2:DescribeLaunchTemplates"]);
    });
});
