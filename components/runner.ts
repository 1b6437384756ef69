// The runner's resources: the lease table, the function (the package's own bundled reconcile) with its
// role, log group and schedule, and alarms on its errors and on a runner that stopped running.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { scalerPolicy } from "../provider/permissions";
import { SCALER_NAMESPACE } from "../provider/scalerMetrics";
import { TERMINATION_HOOK_NAME } from "../provider/model";
import { RunnerSettings, ScalerSettings, scheduleMinutes } from "../provider/settings";
import { ResolvedRunner } from "./args";

/** Lambda's limit on a function's environment variables, in bytes. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;
/** The Node.js runtime the runner's function runs on. */
export const RUNNER_RUNTIME = "nodejs22.x";
/** The environment variable that carries the settings the last `pulumi up` deployed. */
export const SETTINGS_VARIABLE = "SPOT_ECS_SETTINGS";

/** Trust policy letting Lambda assume the runner's role, and nothing else. */
export const LAMBDA_TRUST_POLICY = {
    Version: "2012-10-17",
    Statement: [{ Sid: "LambdaAssumeRole", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

/** The runner's bundled code in the installed package (`npm run build` writes it). */
export function runnerBundlePath(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const pkg = path.join(dir, "package.json");
        if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, "utf8")).name === "pulumi-spot-ecs") return path.join(dir, "dist", "runner", "index.js");
        if (path.dirname(dir) === dir) throw new Error(`pulumi-spot-ecs: no package.json of the package above ${__dirname}`);
    }
}

/** The function's environment: the settings as deployed, within Lambda's 4 KB, or an error saying what to do instead. */
export function runnerEnvironment(settings: ScalerSettings): Record<string, string> {
    const json = JSON.stringify(settings);
    if (Buffer.byteLength(json) + SETTINGS_VARIABLE.length > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
        throw new Error(`the runner's settings are ${Buffer.byteLength(json)} bytes, more than Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte `
            + "environment allows (many target groups?): set `runner: false` and run `spot-ecs run` from your own scheduler");
    }
    return { [SETTINGS_VARIABLE]: json };
}

/** The function's name for a cluster: within Lambda's 64 characters. */
export function runnerFunctionName(clusterName: string): string {
    return `${clusterName.slice(0, 47)}-spot-ecs-runner`;
}

export interface RunnerInputs {
    clusterName: pulumi.Output<string>;
    clusterArn: pulumi.Output<string>;
    groupArn: pulumi.Output<string>;
    groupName: pulumi.Output<string>;
    /** The scaler's settings as the runner runs them (everything but the lease table and the runner, added here). */
    settings: pulumi.Output<Omit<ScalerSettings, "leaseTable" | "runner">>;
    tags: Record<string, string>;
}

export interface RunnerResources {
    table: aws.dynamodb.Table;
    fn: aws.lambda.Function;
    role: aws.iam.Role;
    logGroup: aws.cloudwatch.LogGroup;
    rule: aws.cloudwatch.EventRule;
    errorsAlarm: aws.cloudwatch.MetricAlarm;
    stoppedAlarm: aws.cloudwatch.MetricAlarm;
    /** The scaler's termination hook on the group, and the rule that invokes the runner on each of its lifecycle actions. */
    hook?: { hook: aws.autoscaling.LifecycleHook; rule: aws.cloudwatch.EventRule; retainedAlarm: aws.cloudwatch.MetricAlarm };
    /** What the scaler is told of the runner, for its preview. */
    settings: pulumi.Output<RunnerSettings>;
}

/**
 * The runner of the cluster: its lease table, a function running the bundled reconcile with the
 * settings as deployed, invoked on `r.schedule` by an EventBridge rule, one attempt per invocation.
 */
export function createRunner(name: string, r: ResolvedRunner, inputs: RunnerInputs, stopsTasks: boolean, parent: pulumi.Resource): RunnerResources {
    const bundle = runnerBundlePath();
    if (!fs.existsSync(bundle)) {
        throw new Error(`the runner's code ${bundle} is missing: build the package (npm run build), or set \`runner: false\``);
    }
    const tags = inputs.tags;
    const functionName = inputs.clusterName.apply(runnerFunctionName);
    const table = new aws.dynamodb.Table(`${name}-lease`, {
        name: inputs.clusterName.apply((n) => `${n.slice(0, 230)}-spot-ecs-lease`),
        billingMode: "PAY_PER_REQUEST",
        hashKey: "pk",
        attributes: [{ name: "pk", type: "S" }],
        serverSideEncryption: { enabled: true },
        tags,
    }, { parent });
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-runner-logs`, {
        name: functionName.apply((f) => `/aws/lambda/${f}`),
        retentionInDays: r.logRetentionDays,
        tags,
    }, { parent });
    const role = new aws.iam.Role(`${name}-runner-role`, {
        description: pulumi.interpolate`The pulumi-spot-ecs runner of ${inputs.clusterName}`,
        assumeRolePolicy: JSON.stringify(LAMBDA_TRUST_POLICY),
        tags,
    }, { parent });
    const targetGroupArns = inputs.settings.apply((s) => s.targetGroupArns);
    const policy = new aws.iam.RolePolicy(`${name}-runner-policy`, {
        role: role.name,
        policy: pulumi.all([inputs.clusterArn, inputs.groupArn, targetGroupArns, table.arn, logGroup.arn])
            .apply(([clusterArn, autoScalingGroupArn, tgs, leaseTableArn, logArn]) => JSON.stringify(runnerPolicy(
                { clusterArn, autoScalingGroupArn, targetGroupArns: tgs, leaseTableArn }, logArn, stopsTasks))),
    }, { parent });
    const runner = pulumi.output({ functionName, schedule: r.schedule, actions: r.actions }) as pulumi.Output<RunnerSettings>;
    const environment = pulumi.all([inputs.settings, table.name, runner]).apply(([s, leaseTable, rs]) => runnerEnvironment({ ...s, leaseTable, runner: rs }));
    const fn = new aws.lambda.Function(`${name}-runner`, {
        name: functionName,
        description: pulumi.interpolate`Scales and drains ${inputs.clusterName} between deploys (pulumi-spot-ecs)`,
        role: role.arn,
        runtime: RUNNER_RUNTIME,
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.FileAsset(bundle) }),
        timeout: r.timeoutSeconds,
        memorySize: r.memoryMiB,
        environment: { variables: environment },
        tags,
    }, { parent, dependsOn: [logGroup, policy] });
    // A missed step is made up by the next one: no retry that could run beside it.
    new aws.lambda.FunctionEventInvokeConfig(`${name}-runner-invoke`, {
        functionName: fn.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60,
    }, { parent });
    const rule = new aws.cloudwatch.EventRule(`${name}-runner-schedule`, {
        description: pulumi.interpolate`Runs the pulumi-spot-ecs runner of ${inputs.clusterName}`,
        scheduleExpression: r.schedule,
        tags,
    }, { parent });
    const permission = new aws.lambda.Permission(`${name}-runner-invoke-permission`, {
        action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn,
    }, { parent });
    new aws.cloudwatch.EventTarget(`${name}-runner-target`, { rule: rule.name, arn: fn.arn }, { parent, dependsOn: [permission] });
    const alarms = runnerAlarms(name, fn.name, r, tags, parent);
    const hook = r.terminationHook ? { ...terminationHook(name, r, inputs.groupName, fn, tags, parent),
        retainedAlarm: retainedAlarm(name, inputs.clusterName, tags, parent) } : undefined;
    return { table, fn, role, logGroup, rule, ...alarms, settings: runner, ...(hook === undefined ? {} : { hook }) };
}

/** The EventBridge event Auto Scaling sends when an instance enters a termination lifecycle hook. */
export const TERMINATE_ACTION_DETAIL_TYPE = "EC2 Instance-terminate Lifecycle Action";

/**
 * The scaler's own termination lifecycle hook on the group (default result ABANDON, which the group's
 * instance lifecycle policy turns into a retained instance), and an EventBridge rule that invokes the
 * runner as soon as an instance enters it; each scheduled step also finds the instances waiting there,
 * so a missed event costs at most one period.
 */
function terminationHook(name: string, r: ResolvedRunner, groupName: pulumi.Output<string>, fn: aws.lambda.Function, tags: Record<string, string>,
    parent: pulumi.Resource) {
    const hook = new aws.autoscaling.LifecycleHook(`${name}-termination-hook`, {
        name: TERMINATION_HOOK_NAME,
        autoscalingGroupName: groupName,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        defaultResult: "ABANDON",
        heartbeatTimeout: r.hookHeartbeatSeconds,
    }, { parent });
    const rule = new aws.cloudwatch.EventRule(`${name}-runner-terminations`, {
        description: pulumi.interpolate`Runs the pulumi-spot-ecs runner when ${groupName} terminates an instance`,
        eventPattern: groupName.apply((g) => JSON.stringify({
            "source": ["aws.autoscaling"],
            "detail-type": [TERMINATE_ACTION_DETAIL_TYPE],
            "detail": { AutoScalingGroupName: [g], LifecycleHookName: [TERMINATION_HOOK_NAME] },
        })),
        tags,
    }, { parent });
    const permission = new aws.lambda.Permission(`${name}-runner-terminations-permission`, {
        action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn,
    }, { parent });
    new aws.cloudwatch.EventTarget(`${name}-runner-terminations-target`, { rule: rule.name, arn: fn.arn }, { parent, dependsOn: [permission] });
    return { hook, rule };
}

/** The runner's policy: the scaler's, scoped as for a deployer's `pulumi up`, with the lease table and its own log group. */
export function runnerPolicy(scope: Parameters<typeof scalerPolicy>[0], logGroupArn: string, stopsTasks: boolean) {
    const doc = scalerPolicy(scope, { access: "up", stopsTasks });
    return { ...doc, Statement: [...doc.Statement, {
        Sid: "SpotEcsRunnerLogs", Effect: "Allow" as const, Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logGroupArn}:*`],
    }] };
}

/**
 * An alarm on runner invocations that failed (three minutes running), and one on a runner that has
 * not run for three of its periods (a deleted rule, a revoked permission, a throttled account).
 */
function runnerAlarms(name: string, functionName: pulumi.Output<string>, r: ResolvedRunner, tags: Record<string, string>, parent: pulumi.Resource) {
    const every = scheduleMinutes(r.schedule);
    const errorsAlarm = new aws.cloudwatch.MetricAlarm(`${name}-runner-errors`, {
        alarmDescription: pulumi.interpolate`The pulumi-spot-ecs runner ${functionName} failed in each of 3 runs: see its log group`,
        namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: functionName },
        statistic: "Sum", period: Math.max(60, every * 60), evaluationPeriods: 3, threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold", treatMissingData: "notBreaching",
        tags,
    }, { parent });
    // CloudWatch evaluates at most a day of periods: a runner scheduled less often than every 8 hours is watched over a day.
    const period = Math.min(86400 / 3, Math.max(300, every * 60));
    const stoppedAlarm = new aws.cloudwatch.MetricAlarm(`${name}-runner-stopped`, {
        alarmDescription: pulumi.interpolate`The pulumi-spot-ecs runner ${functionName} has not run for ${3 * period / 60} minutes (schedule ${r.schedule})`,
        namespace: "AWS/Lambda", metricName: "Invocations", dimensions: { FunctionName: functionName },
        statistic: "Sum", period, evaluationPeriods: 3, threshold: 1,
        comparisonOperator: "LessThanThreshold", treatMissingData: "breaching",
        tags,
    }, { parent });
    return { errorsAlarm, stoppedAlarm };
}

/**
 * An alarm on instances the group retained after the scaler's hook ended in ABANDON (a drain that did not
 * finish in `draining.timeoutSeconds`, or no runner answering): each runs outside desired capacity until
 * a later run drains and terminates it, and its log names the tasks that held it.
 */
function retainedAlarm(name: string, clusterName: pulumi.Output<string>, tags: Record<string, string>, parent: pulumi.Resource) {
    return new aws.cloudwatch.MetricAlarm(`${name}-retained`, {
        alarmDescription: pulumi.interpolate`Instances of ${clusterName} retained after a drain in the termination hook did not finish: see the runner's log`,
        namespace: SCALER_NAMESPACE, metricName: "RetainedInstances", dimensions: { ClusterName: clusterName },
        statistic: "Maximum", period: 300, evaluationPeriods: 1, threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold", treatMissingData: "notBreaching",
        tags,
    }, { parent });
}
