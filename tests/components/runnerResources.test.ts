// The runner's resources under Pulumi's mocks: its function and code, schedule, role and policy, lease
// table, log group and alarms; none of them with `runner: false`.
import { strict as assert } from "node:assert";
import { installMocks, oneResource, resourcesOf, settle, valueOf, SMALL_CLUSTER_ARGS } from "../helpers/pulumiMocks";
import { DEFAULTS, SpotEcsCluster, SpotEcsClusterArgs } from "../../components";
import { runnerBundlePath, runnerEnvironment } from "../../components/runner";
import { listProblems } from "../../components/validate";

const base: SpotEcsClusterArgs = SMALL_CLUSTER_ARGS;

/** The statements of a policy document (JSON). */
const statements = (doc: string): { Sid: string; Action: string[]; Resource: unknown; Condition?: unknown }[] => JSON.parse(doc).Statement;

describe("SpotEcsCluster's runner", () => {
    before(installMocks);

    describe("with defaults", () => {
        let c: SpotEcsCluster;
        before(async () => {
            c = new SpotEcsCluster("rn", { ...base, draining: { standaloneTasks: "stop" } });
            await valueOf(c.alarmArns);
            await settle();
        });

        it("is a Lambda function on a current Node.js runtime whose code is the package's bundled runner", async () => {
            const fn = oneResource("rn", "aws:lambda/function:Function");
            assert.equal(fn.inputs.name, "rn-spot-ecs-runner");
            assert.equal(fn.inputs.runtime, "nodejs22.x");
            assert.equal(fn.inputs.handler, "index.handler");
            assert.equal(fn.inputs.timeout, 300);
            assert.equal(fn.inputs.memorySize, 512);
            // The archive the function's code is: the one file, as the installed package holds it.
            const assets = await fn.inputs.code.assets;
            assert.deepEqual(Object.keys(assets), ["index.js"]);
            assert.equal(await assets["index.js"].path, runnerBundlePath());
            assert.equal(await valueOf(c.runnerFunctionName), "rn-spot-ecs-runner");
        });

        it("carries the settings the up deploys, the lease table and its own schedule and actions, in its environment", () => {
            const fn = oneResource("rn", "aws:lambda/function:Function");
            const settings = JSON.parse(fn.inputs.environment.variables.SPOT_ECS_SETTINGS);
            assert.equal(settings.clusterName, "rn");
            assert.equal(settings.autoScalingGroupName, "rn-asg-7654321");
            assert.equal(settings.launchTemplateVersion, "3");
            assert.equal(settings.draining.standaloneTasks, "stop");
            assert.equal(settings.leaseTable, "rn-spot-ecs-lease");
            assert.deepEqual(settings.runner, { functionName: "rn-spot-ecs-runner", schedule: "rate(1 minute)", actions: ["scale-out", "scale-in", "spot", "replace"] });
            assert.deepEqual(Object.keys(fn.inputs.environment.variables), ["SPOT_ECS_SETTINGS"], "nothing else, no credential");
        });

        it("runs every minute from an EventBridge rule that alone may invoke it, once per event", () => {
            const rule = oneResource("rn-runner-schedule", "aws:cloudwatch/eventRule:EventRule");
            assert.equal(rule.inputs.scheduleExpression, "rate(1 minute)");
            const target = oneResource("rn-runner-target", "aws:cloudwatch/eventTarget:EventTarget");
            assert.equal(target.inputs.arn, "arn:aws:lambda:us-east-1:123456789012:function:rn-spot-ecs-runner");
            assert.equal(target.inputs.rule, "rn-runner-schedule-1234567");
            const permission = oneResource("rn-runner-invoke-permission", "aws:lambda/permission:Permission");
            assert.deepEqual([permission.inputs.action, permission.inputs.principal, permission.inputs.sourceArn],
                ["lambda:InvokeFunction", "events.amazonaws.com", "arn:aws:events:us-east-1:123456789012:rule/rn-runner-schedule-1234567"]);
            const invoke = oneResource("rn-runner-invoke", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
            assert.equal(invoke.inputs.maximumRetryAttempts, 0);
        });

        it("keeps the lease in an encrypted on-demand DynamoDB table keyed by a string", async () => {
            const table = oneResource("rn-lease", "aws:dynamodb/table:Table");
            assert.equal(table.inputs.name, "rn-spot-ecs-lease");
            assert.equal(table.inputs.billingMode, "PAY_PER_REQUEST");
            assert.equal(table.inputs.hashKey, "pk");
            assert.deepEqual(table.inputs.attributes, [{ name: "pk", type: "S" }]);
            assert.deepEqual(table.inputs.serverSideEncryption, { enabled: true });
            assert.equal(await valueOf(c.leaseTableName), "rn-spot-ecs-lease");
        });

        it("logs to a group of its own with a 30-day retention", () => {
            const group = oneResource("rn-runner-logs", "aws:cloudwatch/logGroup:LogGroup");
            assert.equal(group.inputs.name, "/aws/lambda/rn-spot-ecs-runner");
            assert.equal(group.inputs.retentionInDays, 30);
        });

        it("has a role only Lambda assumes, with the scaler's scoped policy, the lease table and its log group", () => {
            const role = oneResource("rn-runner-role", "aws:iam/role:Role");
            assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement.map((s: { Principal: unknown }) => s.Principal), [{ Service: "lambda.amazonaws.com" }]);
            const policy = statements(oneResource("rn-runner-policy", "aws:iam/rolePolicy:RolePolicy").inputs.policy);
            const bySid = Object.fromEntries(policy.map((s) => [s.Sid, s]));
            assert.deepEqual(bySid.SpotEcsScalerLease.Action, ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]);
            assert.deepEqual(bySid.SpotEcsScalerLease.Resource, ["arn:aws:dynamodb:us-east-1:123456789012:table/rn-spot-ecs-lease"]);
            assert.deepEqual(bySid.SpotEcsRunnerLogs.Resource, ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/rn-spot-ecs-runner:*"]);
            assert.ok(bySid.SpotEcsScalerInCluster.Action.includes("ecs:StopTask"), "standaloneTasks: stop lets it stop standalone tasks");
            assert.ok(bySid.SpotEcsScalerAutoScalingGroup.Action.includes("autoscaling:TerminateInstanceInAutoScalingGroup"));
        });

        it("alarms on failed steps and on a runner that stopped running, and the dashboard shows both", async () => {
            const alarms = resourcesOf("rn", "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.namespace === "AWS/Lambda");
            assert.deepEqual(alarms.map((a) => [a.name, a.inputs.metricName, a.inputs.comparisonOperator, a.inputs.treatMissingData, a.inputs.dimensions.FunctionName]), [
                ["rn-runner-errors", "Errors", "GreaterThanOrEqualToThreshold", "notBreaching", "rn-spot-ecs-runner"],
                ["rn-runner-stopped", "Invocations", "LessThanThreshold", "breaching", "rn-spot-ecs-runner"],
            ]);
            const body = JSON.parse(oneResource("rn-dashboard", "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
            const alarmWidget = body.widgets.find((w: { type: string }) => w.type === "alarm");
            assert.ok(alarmWidget.properties.alarms.some((a: string) => a.endsWith(":alarm:rn-runner-stopped")));
            assert.ok(body.widgets.some((w: { properties: { title?: string } }) => w.properties.title?.startsWith("Runner rn-spot-ecs-runner")));
        });

        it("tells the scaler the lease table and the runner, and grants the deployer the lease in scalerPolicy", async () => {
            const scaler = oneResource("rn-scaler", "pulumi-nodejs:dynamic/spot-ecs:Scaler");
            assert.equal(scaler.inputs.leaseTable, "rn-spot-ecs-lease");
            assert.equal(scaler.inputs.runner.functionName, "rn-spot-ecs-runner");
            const preview = statements((await valueOf(c.scalerPreviewPolicy))!);
            assert.deepEqual(preview.find((s) => s.Sid === "SpotEcsScalerLease")?.Action, ["dynamodb:GetItem"]);
        });
    });

    it("takes its schedule, actions, timeout, memory and log retention from `runner`", async () => {
        const c = new SpotEcsCluster("rc", { ...base, runner: { schedule: "rate(5 minutes)", actions: ["scale-out", "replace"], timeoutSeconds: 600,
            memoryMiB: 1024, logRetentionDays: 7 } });
        await valueOf(c.alarmArns);
        await settle();
        const fn = oneResource("rc", "aws:lambda/function:Function");
        assert.deepEqual([fn.inputs.timeout, fn.inputs.memorySize], [600, 1024]);
        assert.deepEqual(JSON.parse(fn.inputs.environment.variables.SPOT_ECS_SETTINGS).runner.actions, ["scale-out", "replace"]);
        assert.equal(oneResource("rc-runner-schedule", "aws:cloudwatch/eventRule:EventRule").inputs.scheduleExpression, "rate(5 minutes)");
        assert.equal(oneResource("rc-runner-logs", "aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays, 7);
        assert.equal(oneResource("rc-runner-stopped", "aws:cloudwatch/metricAlarm:MetricAlarm").inputs.period, 300);
    });

    it("creates none of it with `runner: false`, and the scaler takes no lease", async () => {
        const c = new SpotEcsCluster("ro", { ...base, runner: false });
        await valueOf(c.alarmArns);
        await settle();
        for (const type of ["aws:lambda/function:Function", "aws:dynamodb/table:Table", "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/logGroup:LogGroup",
            "aws:iam/rolePolicy:RolePolicy"]) {
            assert.deepEqual(resourcesOf("ro", type), [], type);
        }
        assert.equal(oneResource("ro-scaler", "pulumi-nodejs:dynamic/spot-ecs:Scaler").inputs.leaseTable, undefined);
        assert.equal(await valueOf(c.runnerFunctionName), undefined);
    });

    it("refuses settings Lambda's 4 KB environment cannot hold, saying what to do instead", () => {
        const s = { region: "us-east-1", clusterName: "web", autoScalingGroupName: "web-asg", launchTemplateId: "lt-0123456789abcdef0", launchTemplateVersion: "3",
            targetGroupArns: [], scaling: DEFAULTS.scaling, draining: DEFAULTS.draining, leaseTable: "web-spot-ecs-lease",
            runner: { functionName: "web-spot-ecs-runner", schedule: "rate(1 minute)", actions: [...DEFAULTS.runner.actions] } };
        assert.deepEqual(Object.keys(runnerEnvironment(s)), ["SPOT_ECS_SETTINGS"]);
        const many = { ...s, targetGroupArns: Array.from({ length: 50 }, (_, i) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-${i}/0123456789abcdef`) };
        assert.throws(() => runnerEnvironment(many), /^Error: the runner's settings are \d+ bytes, more than Lambda's 4096-byte environment allows \(many target groups\?\): set `runner: false` and run `spot-ecs run` from your own scheduler$/);
    });

    it("refuses bad runner arguments before creating anything, naming each", () => {
        assert.deepEqual(listProblems({ ...base, runner: { schedule: "cron(0 * * * ? *)", actions: ["scale-out", "scale-out", "drain"], timeoutSeconds: 901,
            logRetentionDays: 31, memoryMiB: 128, every: 1, hookHeartbeatSeconds: 20, terminationHook: "yes" } }).map((p) => p.reason), [
            "`runner.every` is not a setting; known settings are schedule, actions, timeoutSeconds, logRetentionDays, memoryMiB, terminationHook, hookHeartbeatSeconds",
            "`runner.schedule` must be an EventBridge rate expression such as \"rate(1 minute)\" or \"rate(5 minutes)\" (singular for 1), got \"cron(0 * * * ? *)\"",
            "`runner.actions[2]` must be one of \"scale-out\", \"scale-in\", \"spot\", \"replace\", got \"drain\"",
            "`runner.actions` names \"scale-out\" twice; name each action once",
            "`runner.timeoutSeconds` must be an integer between 60 and 900, got 901",
            "`runner.memoryMiB` must be an integer between 256 and 10240, got 128",
            "`runner.hookHeartbeatSeconds` must be an integer between 30 and 7200, got 20",
            "`runner.terminationHook` must be true or false, got \"yes\"",
            "`runner.logRetentionDays` must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 31",
        ]);
        assert.deepEqual(listProblems({ ...base, runner: { terminationHook: false, hookHeartbeatSeconds: 600 } }).map((p) => p.reason),
            ["`runner.hookHeartbeatSeconds` sets the termination hook's heartbeat, but `runner.terminationHook` is false"]);
        assert.deepEqual(listProblems({ ...base, enableScaler: false, runner: {} }).map((p) => p.reason),
            ["`runner` needs the scaler: with `enableScaler: false`, set `runner: false` too"]);
        assert.deepEqual(listProblems({ ...base, runner: "on" }).map((p) => p.reason), ["`runner` must be an object, got \"on\""]);
        assert.deepEqual(listProblems({ ...base, enableScaler: false }), [], "no scaler, no runner: the runner is left out by itself");
    });
});
