#!/usr/bin/env node
// `spot-ecs plan`: the scaler's plan for a live cluster, read-only, with the default AWS credential
// chain. The same observation and planner as `pulumi preview`, without a Pulumi deploy.
import * as fs from "node:fs";
import * as path from "node:path";
import { awsCloud } from "./aws/cloud";
import { realDeps } from "./cloud";
import { DEFAULT_DRAINING, DEFAULT_SCALING, DrainingPolicy, FORMATS, MaintenancePolicy, ScalerSettings, ScalingPolicy } from "./settings";
import { dynamoLease } from "./aws/lease";
import { underLease, upLeaseWaitMs } from "./lease";
import { previewPlan, reconcile } from "./reconcile";
import { isScalerRunError } from "./run";
import { describeError, retrying } from "./retry";
import { checkDraining, checkMaintenance, checkScaling, formatProblems, Problems } from "./validation";

/** The whole command, every retry included, ends within this many seconds unless --timeout-seconds says otherwise. */
export const CLI_BUDGET_SECONDS = 110;
/** One AWS request the command waits for at most (then it is retried within the budget). */
export const CLI_REQUEST_TIMEOUT_MS = 20_000;

export const USAGE = `Usage: spot-ecs plan [--region REGION] --cluster CLUSTER --asg GROUP [options]
       spot-ecs run [--region REGION] --cluster CLUSTER --asg GROUP [options] [--yes --lease-table TABLE | --yes --no-lease]
       spot-ecs --version

Prints the plan the pulumi-spot-ecs scaler would carry out for a live ECS cluster: scale out, scale in
(with the instances it would drain and why), replacement of instances not on the launch template
version the Auto Scaling group uses, and drains to finish or undo. Read-only: it calls only Describe,
List and GetMetricData APIs, with the default AWS credential chain (environment, profile, SSO,
instance role). AWS_ENDPOINT_URL is honoured. Every flag also takes the form --flag=value. An AWS
endpoint that does not answer fails the command within --timeout-seconds (default ${CLI_BUDGET_SECONDS}),
naming the endpoint and the operation. Every scaler setting has a flag; the draining settings that
matter only when acting (drain timeout, standalone tasks, update deadline) are checked all the same.

\`run\` is one bounded reconcile for a scheduler of your own (cron, an ECS scheduled task): without
--yes it prints the plan as \`plan\` does and changes nothing; with --yes it takes the cluster's lease,
carries the plan out (drains included) within --max-update-seconds, and gives the lease back. It
needs the permissions of an up (README "Permissions for the deployer").

Required:
  --region REGION           AWS region of the cluster, e.g. us-east-1 (default: AWS_REGION,
                            then AWS_DEFAULT_REGION)
  --cluster CLUSTER         ECS cluster name
  --asg GROUP               Auto Scaling group of the cluster's container instances

Options:
  --json                    print the observation summary and plan as JSON instead of text
  --launch-template-version N
                            version instances should run (default: the one the group uses,
                            resolving $Latest and $Default)
  --target-group ARN        target group to deregister instances from; repeat for several
                            (the group's own target groups are always included)
  --cpu-high PCT            scale out above this CPUReservation (default ${DEFAULT_SCALING.cpuHighPercent})
  --memory-high PCT         scale out above this MemoryReservation (default ${DEFAULT_SCALING.memoryHighPercent})
  --evaluation-minutes N    minutes a reservation must stay above a high threshold (default ${DEFAULT_SCALING.evaluationMinutes})
  --scale-out-step N        instances added at least per scale-out (default ${DEFAULT_SCALING.scaleOutStep})
  --scale-in-target PCT     scale in while both reservations stay at or below PCT after an instance
                            goes (default ${DEFAULT_SCALING.scaleInTargetPercent})
  --scale-in-after-minutes N
                            minutes there must have been room to remove an instance
                            (default ${DEFAULT_SCALING.scaleInAfterMinutes})
  --max-scale-in-percent P  largest share removed by one scale-in (default ${DEFAULT_SCALING.maxScaleInPercent})
  --cooldown-seconds S      no scale-out within S seconds of the last activity (default ${DEFAULT_SCALING.cooldownSeconds})
  --scale-in-cooldown-seconds S
                            no scale-in within S seconds of the last activity
                            (default ${DEFAULT_SCALING.scaleInCooldownSeconds})
  --headroom NxCPU/MIB      keep room for N tasks of CPU units and MiB, e.g. 4x512/1024 (default: none)
  --spot-fallback-after-seconds S
                            fall back to On-Demand after S seconds of failed Spot launches
                            (default ${DEFAULT_SCALING.spotFallbackAfterSeconds})
  --spot-revert-after-seconds S
                            back to Spot after S seconds without one (default ${DEFAULT_SCALING.spotRevertAfterSeconds})
  --spot-revert-window W    UTC window for the way back to Spot, e.g. "Sat,Sun 02:00-06:00"
                            (default: any time)
  --batch-size N            instances drained together (default ${DEFAULT_DRAINING.batchSize})
  --min-healthy-percent P   share of instances kept ACTIVE while others drain (default ${DEFAULT_DRAINING.minHealthyPercent})
  --drain-timeout-seconds S seconds one instance may take to drain (default ${DEFAULT_DRAINING.timeoutSeconds})
  --standalone-tasks fail|stop
                            standalone tasks at the drain timeout (default ${DEFAULT_DRAINING.standaloneTasks})
  --max-update-seconds S    seconds one run may act before it stops (default ${DEFAULT_DRAINING.maxUpdateSeconds})
  --halt-on-alarm NAME      CloudWatch alarm (name or ARN) that guards a rollout: no batch starts while
                            it is in ALARM; repeat for several (default: none)
  --bake-seconds S          seconds a guarded rollout waits after each batch before it reads the
                            alarms (default ${DEFAULT_DRAINING.bakeSeconds})
  --max-instance-age-days N replace instances launched more than N days ago (default: none)
  --maintenance-window W    UTC window for replacements by age, and for the way back to Spot
                            unless --spot-revert-window is given, e.g. "Sat,Sun 02:00-06:00"
                            (default: any time)
  --max-disconnected-percent P
                            replace instances whose agent is disconnected only while at most P%
                            of the registered ones are (default 20)
  --timeout-seconds S       the command gives up after S seconds, retries included
                            (default ${CLI_BUDGET_SECONDS}, 5-3600; not the drain timeout; \`run --yes\` is
                            bounded by --max-update-seconds and the wait for the lease instead)
  --yes                     (run) carry the plan out
  --lease-table TABLE       (run --yes) the DynamoDB table of the cluster's lease: the component's
                            leaseTableName output; the runner and pulumi up take the same lease
  --no-lease                (run --yes) act without a lease, when nothing else acts on the cluster
  -h, --help                show this help
  --version                 print the package version

Exit status: 0 when the plan was printed (run --yes: carried out), 1 when AWS could not be read (or
the cluster or group does not exist, or the run failed: it says what is left), 2 for bad usage.
`;

/** The flag of each scaling setting: the compiler holds this to the settings, so none is left without one. */
export const SCALING_FLAGS: Record<keyof ScalingPolicy, string> = {
    cpuHighPercent: "--cpu-high",
    memoryHighPercent: "--memory-high",
    evaluationMinutes: "--evaluation-minutes",
    scaleOutStep: "--scale-out-step",
    scaleInTargetPercent: "--scale-in-target",
    scaleInAfterMinutes: "--scale-in-after-minutes",
    maxScaleInPercent: "--max-scale-in-percent",
    cooldownSeconds: "--cooldown-seconds",
    scaleInCooldownSeconds: "--scale-in-cooldown-seconds",
    headroom: "--headroom",
    spotFallbackAfterSeconds: "--spot-fallback-after-seconds",
    spotRevertAfterSeconds: "--spot-revert-after-seconds",
    spotRevertWindow: "--spot-revert-window",
};

/** The flag of each draining setting; the drain timeout's is named apart from the command's own --timeout-seconds. */
export const DRAINING_FLAGS: Record<keyof DrainingPolicy, string> = {
    timeoutSeconds: "--drain-timeout-seconds",
    batchSize: "--batch-size",
    minHealthyPercent: "--min-healthy-percent",
    standaloneTasks: "--standalone-tasks",
    maxUpdateSeconds: "--max-update-seconds",
    haltOnAlarms: "--halt-on-alarm",
    bakeSeconds: "--bake-seconds",
};

/** The flag of each maintenance setting. */
export const MAINTENANCE_FLAGS: Record<keyof MaintenancePolicy, string> = {
    maxInstanceAgeDays: "--max-instance-age-days",
    window: "--maintenance-window",
    maxDisconnectedPercent: "--max-disconnected-percent",
};

/** Setting flags that may be given more than once, each adding to a list. */
const LIST_FLAGS = ["--target-group", DRAINING_FLAGS.haltOnAlarms];

/** Each setting flag, and the setting it sets. */
const SETTING_FLAGS: Record<string, ["scaling", keyof ScalingPolicy] | ["draining", keyof DrainingPolicy] | ["maintenance", keyof MaintenancePolicy]>
    = Object.fromEntries([
        ...Object.entries(SCALING_FLAGS).map(([key, flag]) => [flag, ["scaling", key]]),
        ...Object.entries(DRAINING_FLAGS).map(([key, flag]) => [flag, ["draining", key]]),
        ...Object.entries(MAINTENANCE_FLAGS).map(([key, flag]) => [flag, ["maintenance", key]]),
    ]);

export interface PlanCommand {
    /** \`plan\`, or \`run\` (which acts only with \`yes\`). */
    command: "plan" | "run";
    yes: boolean;
    /** The lease table for \`run --yes\`; undefined with \`--no-lease\`. */
    leaseTable?: string;
    region: string;
    cluster: string;
    asg: string;
    json: boolean;
    launchTemplateVersion?: string;
    targetGroupArns: string[];
    /** The whole command ends within this many seconds. */
    timeoutSeconds: number;
    scaling: ScalingPolicy;
    draining: DrainingPolicy;
    maintenance?: MaintenancePolicy;
}

/** Bad command-line usage; exits with status 2. */
export function usageError(message: string): Error {
    return Object.assign(new Error(message), { name: "UsageError" });
}

/** Flags that take one value and may be given once. */
const SINGLE_FLAGS = ["--region", "--cluster", "--asg", "--launch-template-version", "--timeout-seconds", "--lease-table"];

/** Splits `--flag=value` into `--flag`, `value`. */
function splitEquals(argv: string[]): string[] {
    return argv.flatMap((a) => {
        const m = /^(--[a-z-]+)=(.*)$/s.exec(a);
        return m === null ? [a] : [m[1], m[2]];
    });
}

/** Parses `plan` arguments; throws UsageError naming every problem. `env` supplies the region when no flag does. */
export function parsePlanArgs(argv: string[], env: NodeJS.ProcessEnv = {}): PlanCommand | "help" | "version" {
    argv = splitEquals(argv);
    if (argv.includes("-h") || argv.includes("--help") || argv.length === 0) return "help";
    if (argv.includes("--version")) return "version";
    const [command, ...rest] = argv;
    if (command !== "plan" && command !== "run") throw usageError(`unknown command ${JSON.stringify(command)}; the commands are "plan" and "run" (see --help)`);
    const p = new Problems();
    const values: Record<string, string> = {};
    const targetGroupArns: string[] = [];
    const scaling: Record<string, unknown> = { ...DEFAULT_SCALING };
    const draining: Record<string, unknown> = { ...DEFAULT_DRAINING };
    const maintenance: Record<string, unknown> = {};
    const seen = new Set<string>();
    let json = false;
    const switches = new Set<string>();
    for (let i = 0; i < rest.length; i++) {
        const flag = rest[i];
        if (flag === "--json") {
            json = true;
            continue;
        }
        if (flag === "--yes" || flag === "--no-lease") {
            if (command !== "run") p.add(flag, `\`${flag}\` is an option of "run", not of "plan"`);
            switches.add(flag);
            continue;
        }
        const known = [...SINGLE_FLAGS, "--target-group", ...Object.keys(SETTING_FLAGS)];
        if (!known.includes(flag)) {
            p.add(flag, `\`${flag}\` is not an option (see --help)`);
            if (rest[i + 1] !== undefined && !rest[i + 1].startsWith("-")) i++;
            continue;
        }
        const value = rest[i + 1];
        if (value === undefined || value.startsWith("--")) {
            p.add(flag, `\`${flag}\` needs a value`);
            continue;
        }
        i++;
        if (!LIST_FLAGS.includes(flag) && seen.has(flag)) {
            p.add(flag, `\`${flag}\` is given more than once; give it once`);
            continue;
        }
        seen.add(flag);
        if (flag === "--target-group") targetGroupArns.push(value);
        else if (flag === DRAINING_FLAGS.haltOnAlarms) draining.haltOnAlarms = [...(draining.haltOnAlarms as string[] | undefined ?? []), value];
        else if (flag in SETTING_FLAGS) {
            const [group, key] = SETTING_FLAGS[flag];
            ({ scaling, draining, maintenance })[group][key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
        } else values[flag] = value;
    }
    const region = values["--region"] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (region === undefined) p.add("--region", "`--region` is required when neither AWS_REGION nor AWS_DEFAULT_REGION is set");
    for (const flag of ["--cluster", "--asg"]) if (values[flag] === undefined) p.add(flag, `\`${flag}\` is required`);
    if (region !== undefined) {
        const source = values["--region"] !== undefined ? "--region" : env.AWS_REGION !== undefined ? "AWS_REGION" : "AWS_DEFAULT_REGION";
        p.format(source, region, FORMATS.region);
    }
    if (values["--cluster"] !== undefined) p.format("--cluster", values["--cluster"], FORMATS.clusterName);
    if (values["--lease-table"] !== undefined) {
        if (command !== "run") p.add("--lease-table", "`--lease-table` is an option of \"run\", not of \"plan\"");
        else p.format("--lease-table", values["--lease-table"], FORMATS.dynamoTable);
    }
    const yes = switches.has("--yes");
    if (command === "run" && yes && (values["--lease-table"] === undefined) === !switches.has("--no-lease")) {
        p.add("--lease-table", "`run --yes` needs `--lease-table TABLE` (the cluster's lease, which the runner and pulumi up take too) "
            + "or `--no-lease`, one of them");
    }
    if (values["--launch-template-version"] !== undefined) {
        p.matches("--launch-template-version", values["--launch-template-version"], /^[1-9]\d*$/, "a version number such as \"3\"");
    }
    const timeout = values["--timeout-seconds"] === undefined ? CLI_BUDGET_SECONDS
        : /^\d+$/.test(values["--timeout-seconds"]) ? Number(values["--timeout-seconds"]) : values["--timeout-seconds"];
    p.integer("--timeout-seconds", timeout, 5, 3600);
    targetGroupArns.forEach((arn, i) => p.format(`--target-group[${i}]`, arn, FORMATS.targetGroupArn));
    checkScaling(p, "scaling", scaling, false);
    checkDraining(p, "draining", draining, false);
    checkMaintenance(p, "maintenance", maintenance);
    if (!p.empty) {
        // Name the flags the user typed, not the settings behind them.
        const reasons = p.items.map((item) => {
            let reason = item.reason;
            for (const [flag, [group, key]] of Object.entries(SETTING_FLAGS)) {
                reason = reason.split(`\`${group}.${key}\``).join(`\`${flag}\``).split(`\`${group}.${key}[`).join(`\`${flag}[`);
            }
            return { ...item, reason };
        });
        throw usageError(formatProblems(`spot-ecs ${command}: invalid arguments`, reasons));
    }
    return {
        command, yes, ...(values["--lease-table"] === undefined ? {} : { leaseTable: values["--lease-table"] }),
        region: region!, cluster: values["--cluster"], asg: values["--asg"], json,
        launchTemplateVersion: values["--launch-template-version"], targetGroupArns, timeoutSeconds: timeout as number,
        scaling: scaling as unknown as ScalingPolicy, draining: draining as unknown as DrainingPolicy,
        ...(Object.keys(maintenance).length === 0 ? {} : { maintenance: maintenance as MaintenancePolicy }),
    };
}

/** This package's version, from the package.json above this file (source or built). */
export function packageVersion(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (fs.existsSync(file)) {
            const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
            if (pkg.name === "pulumi-spot-ecs") return pkg.version;
        }
        if (path.dirname(dir) === dir) return "unknown";
    }
}

/** Runs `spot-ecs` with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void,
    env: NodeJS.ProcessEnv = process.env): Promise<number> {
    let command: PlanCommand | "help" | "version";
    try {
        command = parsePlanArgs(argv, env);
    } catch (error) {
        if (!(error instanceof Error) || error.name !== "UsageError") throw error;
        err(`${error.message}\n`);
        return 2;
    }
    if (command === "help") {
        out(USAGE);
        return 0;
    }
    if (command === "version") {
        out(`${packageVersion()}\n`);
        return 0;
    }
    const c = command;
    const acting = c.command === "run" && c.yes;
    // A run that acts lasts as long as its update may, after waiting for the lease.
    const budgetMs = acting ? (c.draining.maxUpdateSeconds + upLeaseWaitMs(c.draining.maxUpdateSeconds) / 1000 + 120) * 1000 : c.timeoutSeconds * 1000;
    const where = `${c.cluster}/${c.asg} in ${c.region}`;
    const cloud = awsCloud({ region: c.region, clusterName: c.cluster, autoScalingGroupName: c.asg }, 
        // Short enough that an unanswered request is tried again within the budget.
        { requestTimeoutMs: Math.min(CLI_REQUEST_TIMEOUT_MS, Math.floor(budgetMs / 4)) });
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
            const last = cloud.lastRequest;
            reject(new Error(`no answer within ${Math.round(budgetMs / 1000)} s`
                + (last === undefined ? "" : ` from ${last.endpoint} (${last.operation})`)));
        }, budgetMs);
    });
    try {
        return await Promise.race([plan(c, cloud, out), outOfTime]);
    } catch (error) {
        err(acting ? `spot-ecs run: ${where}: ${isScalerRunError(error) ? error.message : describeCliError(error, cloud.lastRequest)}\n`
            : `spot-ecs ${c.command}: could not read ${where}: ${describeCliError(error, cloud.lastRequest)}\n`);
        return 1;
    } finally {
        clearTimeout(timer);
    }
}

/** An AWS error, with the endpoint and operation when the request never got an answer. */
function describeCliError(error: unknown, last: { operation: string; endpoint: string } | undefined): string {
    const text = describeError(error);
    const unanswered = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|TimeoutError|did not answer|socket hang up/.test(text);
    return unanswered && last !== undefined && !text.includes(last.endpoint) ? `${text} (${last.operation} to ${last.endpoint})` : text;
}

async function plan(c: PlanCommand, cloud: ReturnType<typeof awsCloud>, out: (s: string) => void): Promise<number> {
    const deps = realDeps(() => undefined);
    const target = await retrying("launchTemplateTarget", () => cloud.launchTemplateTarget(), deps);
    const status = await retrying("clusterStatus", () => cloud.clusterStatus(), deps);
    if (status !== "ACTIVE") {
        throw new Error(`ECS cluster ${c.cluster} ${status === undefined ? "not found" : `is ${status}`} in ${c.region}`);
    }
    const version = c.launchTemplateVersion ?? target.version;
    const settings = {
        region: c.region, clusterName: c.cluster, autoScalingGroupName: c.asg,
        launchTemplateId: target.launchTemplateId, launchTemplateVersion: version,
        targetGroupArns: c.targetGroupArns, scaling: c.scaling, draining: c.draining, ...(c.maintenance === undefined ? {} : { maintenance: c.maintenance }),
    };
    if (c.command === "run" && c.yes) return act(c, cloud, settings, out);
    const preview = await previewPlan(cloud, deps, settings);
    const o = preview.observed;
    if (c.json) {
        out(JSON.stringify({
            cluster: c.cluster, autoScalingGroup: c.asg, launchTemplate: { id: target.launchTemplateId, version },
            desired: o.desired, minSize: o.minSize, maxSize: o.maxSize, instances: o.instances.length,
            plan: preview.plan, lines: preview.lines,
        }, null, 2) + "\n");
    } else {
        const registered = o.instances.filter((i) => i.container !== undefined).length;
        out(`${c.cluster} (${c.asg}, ${c.region}): ${o.instances.length} instances, ${registered} registered, `
            + `desired ${o.desired} (min ${o.minSize}, max ${o.maxSize}), launch template ${target.launchTemplateId} v${version}\n`);
        out(preview.lines.length === 0 ? "nothing to do\n" : preview.lines.map((l) => `${l}\n`).join(""));
        if (c.command === "run" && preview.plan.actions.length > 0) out("(not carried out: add --yes to do it)\n");
    }
    return 0;
}

/** `run --yes`: takes the lease (waiting while another actor holds it), carries the plan out, gives the lease back. */
async function act(c: PlanCommand, cloud: ReturnType<typeof awsCloud>, settings: ScalerSettings, out: (s: string) => void): Promise<number> {
    const deps = realDeps((line) => out(`${line}\n`));
    const lease = c.leaseTable === undefined ? undefined : dynamoLease(c.region, c.leaseTable, c.cluster);
    return underLease(lease, "spot-ecs run", c.draining.maxUpdateSeconds, { now: deps.now, sleep: deps.sleep, log: (l) => out(`${l}\n`) }, async () => {
        const r = await reconcile(cloud, deps, settings);
        if (r.plan.actions.length === 0) out(r.lines.length === 0 ? "nothing to do\n" : r.lines.map((l) => `${l}\n`).join(""));
        return 0;
    });
}

if (require.main === module) {
    // The AWS SDK's notice about Node.js 20 is longer than a plan; the README states the Node.js requirement.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    main(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s))
        // An abandoned request may hold a socket open: exit once the output is written.
        .then((code) => process.stdout.write("", () => process.exit(code)));
}
