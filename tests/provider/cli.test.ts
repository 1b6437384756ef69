// `spot-ecs plan` as users run it: the built command in a child process, against moto.
import { strict as assert } from "node:assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as asg from "@aws-sdk/client-auto-scaling";
import * as ecs from "@aws-sdk/client-ecs";
import { startMoto, Moto } from "../helpers/moto";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { createLeaseTable, createMotoCluster, MotoCluster, playEcs, putReservations } from "../helpers/motoCluster";
import { hostEnv, rollGroupTo } from "../helpers/scalerInputs";
import { REPO_ROOT } from "../helpers/host";

const CLI = path.join(REPO_ROOT, "dist/provider/cli.js");

describe("spot-ecs command @moto", function () {
    this.timeout(180_000);
    let moto: Moto;
    let m: MotoCluster;
    /** Runs the built command with `env`. */
    const runIn = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { env, encoding: "utf8" });
    const run = (...args: string[]) => runIn(hostEnv(moto.endpoint), ...args);

    before(async () => {
        execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "pipe" });
        moto = await startMoto();
        m = await createMotoCluster(moto.endpoint, { name: "cli", instances: 3, tasksPerInstance: 2, maxSize: 6, targetGroup: true });
        await putReservations(m.clients, m.clusterName, 80, 80, 8);
    });

    after(async () => {
        await moto?.stop();
    });

    it("explains every flag in --help", () => {
        const r = run("--help");
        assert.equal(r.status, 0);
        for (const flag of ["--region", "--cluster", "--asg", "--json", "--launch-template-version", "--target-group", "--cpu-high",
            "--memory-high", "--evaluation-minutes", "--scale-out-step", "--scale-in-target", "--scale-in-after-minutes", "--max-scale-in-percent",
            "--cooldown-seconds", "--scale-in-cooldown-seconds", "--headroom",
            "--batch-size", "--min-healthy-percent", "--timeout-seconds", "--help", "--version"]) {
            assert.match(r.stdout, new RegExp(`^  (-h, )?${flag}\\b.*\\S`, "m"), `${flag} is explained`);
        }
        assert.match(r.stdout, /Read-only/);
    });

    it("rejects bad usage with exit status 2, naming each flag", () => {
        const r = run("plan", "--region", "mars", "--cpu-high", "200", "--bogus", "1");
        assert.equal(r.status, 2);
        assert.equal(r.stderr, [
            "spot-ecs plan: invalid arguments:",
            "  - `--bogus` is not an option (see --help)",
            "  - `--cluster` is required",
            "  - `--asg` is required",
            "  - `--region` must be an AWS region such as \"us-east-1\", got \"mars\"",
            "  - `--cpu-high` must be an integer between 1 and 100, got 200",
        ].join("\n") + "\n");
    });

    it("prints nothing to do for a settled cluster", () => {
        const r = run("plan", "--region", "us-east-1", "--cluster", "cli", "--asg", m.autoScalingGroupName);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, `cli (${m.autoScalingGroupName}, us-east-1): 3 instances, 3 registered, desired 3 (min 1, max 6), `
            + `launch template ${m.launchTemplateId} v1\nnothing to do\n`);
    });

    it("prints the replacement plan once the group uses a new version, and changes nothing", async () => {
        await rollGroupTo(m, "2");
        const r = run("plan", "--region", "us-east-1", "--cluster", "cli", "--asg", m.autoScalingGroupName, "--batch-size", "3");
        assert.equal(r.status, 0, r.stderr);
        const lines = r.stdout.trim().split("\n");
        assert.match(lines[0], /launch template lt-\w+ v2$/);
        assert.match(lines[1], /^estimate: about \d+ (s|min) \(new instances \(surge\) .*; replace batch 1 of 1 /, "the forecast before the actions");
        lines.splice(1, 1);
        assert.equal(lines[1], "surge 3 → 6: 3 instances to replace with launch template v2");
        assert.equal(lines.slice(2).filter((l) => /^replace i-\w+ \(launch template v1 → v2\): drain 2 tasks, batch 1 of 1, then lower desired capacity$/.test(l)).length, 3);
        const g = (await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }))).AutoScalingGroups![0];
        assert.equal(g.DesiredCapacity, 3, "desired capacity unchanged");
        const cis = await m.clients.ecs.send(new ecs.DescribeContainerInstancesCommand({ cluster: "cli", containerInstances: Object.values(m.containerArns) }));
        assert.deepEqual([...new Set(cis.containerInstances!.map((c) => c.status))], ["ACTIVE"], "nothing set DRAINING");
        const j = JSON.parse(run("plan", "--region", "us-east-1", "--cluster", "cli", "--asg", m.autoScalingGroupName, "--batch-size", "3", "--json").stdout);
        assert.deepEqual(j.plan.forecast.steps.map((s: { step: string; instanceIds: string[] }) => [s.step, s.instanceIds.length]),
            [["new instances (surge)", 0], ["replace batch 1 of 1", 3]], "--json carries the forecast as data");
        assert.ok(j.lines[0].startsWith("estimate: about "), j.lines[0]);
    });

    it("prints the plan as JSON with --json", () => {
        const r = run("plan", "--region", "us-east-1", "--cluster", "cli", "--asg", m.autoScalingGroupName, "--json", "--launch-template-version", "1");
        assert.equal(r.status, 0, r.stderr);
        const j = JSON.parse(r.stdout);
        assert.deepEqual([j.cluster, j.launchTemplate.version, j.desired, j.instances], ["cli", "1", 3, 3]);
        assert.deepEqual(j.plan, { actions: [], notes: [] });
        assert.deepEqual(j.lines, []);
    });

    it("prints its version", () => {
        const r = run("--version");
        assert.equal(r.status, 0);
        assert.equal(r.stdout, `${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version}\n`);
    });

    it("takes --flag=value, and the region from AWS_REGION when no flag gives it", () => {
        // Without the switch the test environment sets, the AWS SDK would print its Node.js notice.
        const env: NodeJS.ProcessEnv = { ...hostEnv(moto.endpoint), AWS_REGION: "us-east-1" };
        delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
        const r = runIn(env, "plan", "--cluster=cli", `--asg=${m.autoScalingGroupName}`, "--json");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).cluster, "cli");
        assert.equal(r.stderr, "", "no AWS SDK notice or anything else on stderr");
    });

    it("refuses a flag given twice, and a region from neither flag nor environment", () => {
        const env = hostEnv(moto.endpoint);
        delete env.AWS_REGION;
        delete env.AWS_DEFAULT_REGION;
        const r = runIn(env, "plan", "--cluster", "a", "--cluster=b", "--asg", "g");
        assert.equal(r.status, 2);
        assert.equal(r.stderr, [
            "spot-ecs plan: invalid arguments:",
            "  - `--cluster` is given more than once; give it once",
            "  - `--region` is required when neither AWS_REGION nor AWS_DEFAULT_REGION is set",
        ].join("\n") + "\n");
    });

    it("fails with exit status 1 on a cluster ECS does not know", () => {
        const r = run("plan", "--region", "us-east-1", "--cluster", "no-such-cluster", "--asg", m.autoScalingGroupName);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, `spot-ecs plan: could not read no-such-cluster/${m.autoScalingGroupName} in us-east-1: Error: ECS cluster no-such-cluster not found in us-east-1\n`);
    });

    it("gives up on an endpoint that accepts connections and never answers, naming it and the operation", async () => {
        const sockets: net.Socket[] = [];
        const silent = net.createServer((socket) => { sockets.push(socket); });
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        const endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
        try {
            const started = Date.now();
            const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
                const child = spawn(process.execPath, [CLI, "plan", "--region", "us-east-1", "--cluster", "cli", "--asg", "g", "--timeout-seconds", "8"],
                    { env: hostEnv(endpoint) });
                let stderr = "";
                child.stderr.on("data", (d) => { stderr += d; });
                child.on("exit", (status) => resolve({ status, stderr }));
            });
            const seconds = (Date.now() - started) / 1000;
            assert.equal(r.status, 1);
            assert.equal(r.stderr, `spot-ecs plan: could not read cli/g in us-east-1: Error: no answer within 8 s from ${endpoint} (DescribeAutoScalingGroups)\n`);
            assert.ok(seconds < 15, `exited after ${seconds} s`);
            assert.ok(sockets.length > 1, "the unanswered request was retried");
        } finally {
            for (const socket of sockets) socket.destroy();
            await new Promise((resolve) => silent.close(resolve));
        }
    });

    it("retries a refused connection and then names the endpoint and the operation", () => {
        const r = runIn(hostEnv("http://127.0.0.1:9"), "plan", "--region", "us-east-1", "--cluster", "cli", "--asg", "g", "--timeout-seconds", "60");
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^spot-ecs plan: could not read cli\/g in us-east-1: RetriesExhaustedError: DescribeAutoScalingGroups failed after 8 attempts \(launchTemplateTarget\): .*ECONNREFUSED.* \(DescribeAutoScalingGroups to http:\/\/127\.0\.0\.1:9\)\n$/);
    });

    it("fails with exit status 1 naming what it could not read", () => {
        const r = run("plan", "--region", "us-east-1", "--cluster", "cli", "--asg", "no-such-group");
        assert.equal(r.status, 1);
        assert.equal(r.stderr, "spot-ecs plan: could not read cli/no-such-group in us-east-1: Error: Auto Scaling group no-such-group not found in us-east-1\n");
    });

    describe("run", () => {
        let r: MotoCluster;
        const runAsync = (...args: string[]) => new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, [CLI, ...args], { env: hostEnv(moto.endpoint) });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => { stdout += d; });
            child.stderr.on("data", (d) => { stderr += d; });
            child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
        });

        before(async () => {
            await moto.reset();
            r = await createMotoCluster(moto.endpoint, { name: "cr", instances: 2, tasksPerInstance: 1, maxSize: 6 });
            await createLeaseTable(moto.endpoint, "cr-spot-ecs-lease");
            await putReservations(r.clients, r.clusterName, 95, 40, 10);
        });

        it("without --yes prints the plan, says it was not carried out, and changes nothing", () => {
            const out = run("run", "--region", "us-east-1", "--cluster", "cr", "--asg", r.autoScalingGroupName);
            assert.equal(out.status, 0, out.stderr);
            assert.match(out.stdout, /\nscale out 2 → \d+: CPUReservation 95% > 88% over 2 min\n\(not carried out: add --yes to do it\)\n$/);
        });

        it("with --yes needs the lease table or --no-lease, and refuses run's flags on plan", () => {
            const out = run("run", "--region", "us-east-1", "--cluster", "cr", "--asg", r.autoScalingGroupName, "--yes");
            assert.equal(out.status, 2);
            assert.equal(out.stderr, "spot-ecs run: invalid arguments:\n  - `run --yes` needs `--lease-table TABLE` (the cluster's lease, which the runner "
                + "and pulumi up take too) or `--no-lease`, one of them\n");
            const plan = run("plan", "--region", "us-east-1", "--cluster", "cr", "--asg", r.autoScalingGroupName, "--yes", "--lease-table", "t-1");
            assert.equal(plan.status, 2);
            assert.equal(plan.stderr, "spot-ecs plan: invalid arguments:\n  - `--yes` is an option of \"run\", not of \"plan\"\n"
                + "  - `--lease-table` is an option of \"run\", not of \"plan\"\n");
        });

        it("with --yes takes the lease, carries the plan out and gives the lease back", async () => {
            const ecs = playEcs(r.clients, r.clusterName, r.autoScalingGroupName);
            let out;
            try {
                out = await runAsync("run", "--region", "us-east-1", "--cluster", "cr", "--asg", r.autoScalingGroupName, "--yes", "--lease-table", "cr-spot-ecs-lease");
            } finally {
                await ecs.stop();
            }
            assert.equal(out.status, 0, out.stderr);
            assert.match(out.stdout, /^\[cr\] scale out 2 → \d+: CPUReservation 95% > 88% over 2 min\n\[cr\] desired capacity 2 → \d+\n/);
            const g = (await r.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.autoScalingGroupName] }))).AutoScalingGroups![0];
            assert.ok(g.DesiredCapacity! > 2);
            const item = await r.clients.ddb.send(new GetItemCommand({ TableName: "cr-spot-ecs-lease", Key: { pk: { S: "lease#cr" } } }));
            assert.equal(item.Item, undefined, "the lease was given back");
        });
    });
});
