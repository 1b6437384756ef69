#!/usr/bin/env node
// `spot-ecs plan`: the scaler's plan for a live cluster, read-only, with the default AWS credential
// chain. The same observation and planner as `pulumi preview`, without a Pulumi deploy.
import { awsCloud } from "./aws/cloud";
import { realDeps } from "./cloud";
import { checkDraining, checkScaling, DEFAULT_DRAINING, DEFAULT_SCALING, DrainingPolicy, ScalingPolicy } from "./policy";
import { previewPlan } from "./reconcile";
import { describeError } from "./retry";
import { formatProblems, Problems } from "./validation";

export const USAGE = `Usage: spot-ecs plan --region REGION --cluster CLUSTER --asg GROUP [options]

Prints the plan the pulumi-spot-ecs scaler would carry out for a live ECS cluster: scale out, scale in
(with the instances it would drain and why), replacement of instances not on the launch template
version the Auto Scaling group uses, and drains to finish or undo. Read-only: it calls only Describe,
List and GetMetricData APIs, with the default AWS credential chain (environment, profile, SSO,
instance role). AWS_ENDPOINT_URL is honoured.

Required:
  --region REGION           AWS region of the cluster, e.g. us-east-1
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
  --cpu-low PCT             scale in below this CPUReservation (default ${DEFAULT_SCALING.cpuLowPercent})
  --memory-high PCT         scale out above this MemoryReservation (default ${DEFAULT_SCALING.memoryHighPercent})
  --memory-low PCT          scale in below this MemoryReservation (default ${DEFAULT_SCALING.memoryLowPercent})
  --evaluation-minutes N    minutes a reservation must stay beyond a threshold (default ${DEFAULT_SCALING.evaluationMinutes})
  --scale-out-step N        instances added at least per scale-out (default ${DEFAULT_SCALING.scaleOutStep})
  --max-scale-in-percent P  largest share removed by one scale-in (default ${DEFAULT_SCALING.maxScaleInPercent})
  --cooldown-seconds S      no scaling within S seconds of the last activity (default ${DEFAULT_SCALING.cooldownSeconds})
  --batch-size N            instances drained together (default ${DEFAULT_DRAINING.batchSize})
  --min-healthy-percent P   share of instances kept ACTIVE while others drain (default ${DEFAULT_DRAINING.minHealthyPercent})
  -h, --help                show this help

Exit status: 0 when the plan was printed, 1 when AWS could not be read, 2 for bad usage.
`;

const NUMERIC_FLAGS: Record<string, ["scaling", keyof ScalingPolicy] | ["draining", keyof DrainingPolicy]> = {
    "--cpu-high": ["scaling", "cpuHighPercent"],
    "--cpu-low": ["scaling", "cpuLowPercent"],
    "--memory-high": ["scaling", "memoryHighPercent"],
    "--memory-low": ["scaling", "memoryLowPercent"],
    "--evaluation-minutes": ["scaling", "evaluationMinutes"],
    "--scale-out-step": ["scaling", "scaleOutStep"],
    "--max-scale-in-percent": ["scaling", "maxScaleInPercent"],
    "--cooldown-seconds": ["scaling", "cooldownSeconds"],
    "--batch-size": ["draining", "batchSize"],
    "--min-healthy-percent": ["draining", "minHealthyPercent"],
};

export interface PlanCommand {
    region: string;
    cluster: string;
    asg: string;
    json: boolean;
    launchTemplateVersion?: string;
    targetGroupArns: string[];
    scaling: ScalingPolicy;
    draining: DrainingPolicy;
}

/** Bad command-line usage; exits with status 2. */
export function usageError(message: string): Error {
    return Object.assign(new Error(message), { name: "UsageError" });
}

/** Parses `plan` arguments; throws UsageError naming every problem. */
export function parsePlanArgs(argv: string[]): PlanCommand | "help" {
    if (argv.includes("-h") || argv.includes("--help") || argv.length === 0) return "help";
    const [command, ...rest] = argv;
    if (command !== "plan") throw usageError(`unknown command ${JSON.stringify(command)}; the command is "plan" (see --help)`);
    const p = new Problems();
    const values: Record<string, string> = {};
    const targetGroupArns: string[] = [];
    const scaling: Record<string, unknown> = { ...DEFAULT_SCALING };
    const draining: Record<string, unknown> = { ...DEFAULT_DRAINING };
    let json = false;
    for (let i = 0; i < rest.length; i++) {
        const flag = rest[i];
        if (flag === "--json") {
            json = true;
            continue;
        }
        const known = ["--region", "--cluster", "--asg", "--launch-template-version", "--target-group", ...Object.keys(NUMERIC_FLAGS)];
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
        if (flag === "--target-group") targetGroupArns.push(value);
        else if (flag in NUMERIC_FLAGS) {
            const [group, key] = NUMERIC_FLAGS[flag];
            (group === "scaling" ? scaling : draining)[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
        } else values[flag] = value;
    }
    for (const flag of ["--region", "--cluster", "--asg"]) if (values[flag] === undefined) p.add(flag, `\`${flag}\` is required`);
    if (values["--region"] !== undefined) p.matches("--region", values["--region"], /^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as \"us-east-1\"");
    if (values["--cluster"] !== undefined) p.matches("--cluster", values["--cluster"], /^[A-Za-z0-9_-]{1,255}$/, "1-255 letters, digits, hyphens or underscores");
    if (values["--launch-template-version"] !== undefined) {
        p.matches("--launch-template-version", values["--launch-template-version"], /^[1-9]\d*$/, "a version number such as \"3\"");
    }
    targetGroupArns.forEach((arn, i) => p.matches(`--target-group[${i}]`, arn, /^arn:aws[a-z-]*:elasticloadbalancing:/, "a target group ARN"));
    checkScaling(p, "scaling", scaling, false);
    checkDraining(p, "draining", draining, false);
    if (!p.empty) {
        // Name the flags the user typed, not the settings behind them.
        const reasons = p.items.map((item) => {
            let reason = item.reason;
            for (const [flag, [group, key]] of Object.entries(NUMERIC_FLAGS)) reason = reason.split(`\`${group}.${key}\``).join(`\`${flag}\``);
            return { ...item, reason };
        });
        throw usageError(formatProblems("spot-ecs plan: invalid arguments", reasons));
    }
    return {
        region: values["--region"], cluster: values["--cluster"], asg: values["--asg"], json,
        launchTemplateVersion: values["--launch-template-version"], targetGroupArns,
        scaling: scaling as unknown as ScalingPolicy, draining: draining as unknown as DrainingPolicy,
    };
}

/** Runs `spot-ecs` with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
    let command: PlanCommand | "help";
    try {
        command = parsePlanArgs(argv);
    } catch (error) {
        if (!(error instanceof Error) || error.name !== "UsageError") throw error;
        err(`${error.message}\n`);
        return 2;
    }
    if (command === "help") {
        out(USAGE);
        return 0;
    }
    try {
        const cloud = awsCloud({ region: command.region, clusterName: command.cluster, autoScalingGroupName: command.asg });
        const target = await cloud.launchTemplateTarget();
        const version = command.launchTemplateVersion ?? target.version;
        const preview = await previewPlan(cloud, realDeps(() => undefined), {
            region: command.region, clusterName: command.cluster, autoScalingGroupName: command.asg,
            launchTemplateId: target.launchTemplateId, launchTemplateVersion: version,
            targetGroupArns: command.targetGroupArns, scaling: command.scaling, draining: command.draining,
        });
        const o = preview.observed;
        if (command.json) {
            out(JSON.stringify({
                cluster: command.cluster, autoScalingGroup: command.asg, launchTemplate: { id: target.launchTemplateId, version },
                desired: o.desired, minSize: o.minSize, maxSize: o.maxSize, instances: o.instances.length,
                plan: preview.plan, lines: preview.lines,
            }, null, 2) + "\n");
        } else {
            const registered = o.instances.filter((i) => i.container !== undefined).length;
            out(`${command.cluster} (${command.asg}, ${command.region}): ${o.instances.length} instances, ${registered} registered, `
                + `desired ${o.desired} (min ${o.minSize}, max ${o.maxSize}), launch template ${target.launchTemplateId} v${version}\n`);
            out(preview.lines.length === 0 ? "nothing to do\n" : preview.lines.map((l) => `${l}\n`).join(""));
        }
        return 0;
    } catch (error) {
        err(`spot-ecs plan: could not read ${command.cluster}/${command.asg} in ${command.region}: ${describeError(error)}\n`);
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s))
        .then((code) => { process.exitCode = code; });
}
