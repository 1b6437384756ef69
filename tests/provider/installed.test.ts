// The package as users get it: built, `npm pack`-ed and installed into a temporary consumer project.
// Serialization differs once the package sits in node_modules (its modules are required, not copied),
// so serialization and a host round trip are repeated from there.
import { strict as assert } from "node:assert";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as asg from "@aws-sdk/client-auto-scaling";
import { UNKNOWN } from "../../provider/inputs";
import { PLAN_PENDING } from "../../provider/render";
import { startMoto, Moto } from "../helpers/moto";
import { createLeaseTable, createMotoCluster, playEcs, putReservations } from "../helpers/motoCluster";
import { decodePartialFailure, Host, REPO_ROOT, startHost } from "../helpers/host";
import { FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY } from "../helpers/env";
import { hostEnv, inputsFor, rollGroupTo } from "../helpers/scalerInputs";
import { requiredModules } from "../helpers/serialize";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Builds, packs and installs the package into a fresh consumer project; returns its directory. */
function installIntoConsumer(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spot-ecs-consumer-"));
    execFileSync(npm, ["run", "build"], { cwd: REPO_ROOT, stdio: "pipe" });
    const tarball = execFileSync(npm, ["pack", "--silent", "--pack-destination", dir], { cwd: REPO_ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    execFileSync(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", `./${tarball}`], { cwd: dir, stdio: "pipe" });
    return dir;
}

/** Serializes the installed package's provider from inside the consumer, as a program there would. */
function serializeInConsumer(dir: string, env: NodeJS.ProcessEnv): { text: string; containsSecrets: boolean } {
    const script = [
        "const pulumi = require('@pulumi/pulumi');",
        "const { scalerProvider } = require('pulumi-spot-ecs');",
        "pulumi.runtime.serializeFunction(() => scalerProvider, { allowSecrets: true })",
        "  .then((r) => process.stdout.write(JSON.stringify({ text: r.text, containsSecrets: r.containsSecrets })));",
    ].join("\n");
    return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: dir, env, encoding: "utf8" }));
}

describe("the package installed from its npm tarball @package", function () {
    this.timeout(300_000);
    let dir: string;
    let moto: Moto;
    let host: Host;
    let text: string;
    let containsSecrets: boolean;

    before(async () => {
        dir = installIntoConsumer();
        moto = await startMoto();
        const env = { ...hostEnv(moto.endpoint), SPOT_ECS_TEST_SENTINEL: "installed-sentinel-5b1e" };
        ({ text, containsSecrets } = serializeInConsumer(dir, env));
        host = await startHost(dir, env);
    });

    after(async () => {
        await host?.stop();
        await moto?.stop();
        if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("ships the provider's files, with no exports map hiding them", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, "node_modules/pulumi-spot-ecs/package.json"), "utf8"));
        assert.equal(pkg.exports, undefined);
        for (const f of ["dist/components/index.js", "dist/components/index.d.ts", "dist/provider/dynamic.js", "dist/provider/aws/cloud.js"]) {
            assert.ok(fs.existsSync(path.join(dir, "node_modules/pulumi-spot-ecs", f)), `${f} is installed`);
        }
        assert.ok(!fs.existsSync(path.join(dir, "node_modules/pulumi-spot-ecs/tests")), "tests are not shipped");
    });

    it("runs the runner's code as the component packs it, alone in an empty directory with plain node, against moto", async () => {
        // The file the component's function archive holds, as the installed package resolves it.
        const bundle = execFileSync(process.execPath, ["-e", "process.stdout.write(require('pulumi-spot-ecs/dist/components/runner').runnerBundlePath())"],
            { cwd: dir, encoding: "utf8" });
        assert.equal(bundle, path.join(fs.realpathSync(dir), "node_modules/pulumi-spot-ecs/dist/runner/index.js"));
        const alone = fs.mkdtempSync(path.join(os.tmpdir(), "spot-ecs-runner-"));
        try {
            fs.copyFileSync(bundle, path.join(alone, "index.js"));
            await moto.reset();
            const m = await createMotoCluster(moto.endpoint, { name: "lam", instances: 2, tasksPerInstance: 1, maxSize: 6 });
            await createLeaseTable(moto.endpoint, "lam-spot-ecs-lease");
            await putReservations(m.clients, m.clusterName, 95, 40, 10);
            const settings = { ...inputsFor(m, ""), leaseTable: "lam-spot-ecs-lease",
                runner: { functionName: "lam-spot-ecs-runner", schedule: "rate(1 minute)", actions: ["scale-out", "scale-in", "spot", "replace"] } };
            delete (settings as Record<string, unknown>).__provider;
            const env = { PATH: process.env.PATH, ...hostEnv(moto.endpoint), SPOT_ECS_SETTINGS: JSON.stringify(settings) };
            const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
            let out: string;
            try {
                out = await new Promise<string>((resolve, reject) => execFile(process.execPath, ["-e",
                    "require('./index.js').handler({}, { awsRequestId: 'r-1', getRemainingTimeInMillis: () => 120000 }).then((r) => console.log(JSON.stringify({ returned: r })))"],
                { cwd: alone, env, encoding: "utf8" }, (error, stdout, stderr) => error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
            } finally {
                await ecs.stop();
            }
            const lines = out.trim().split("\n").map((l) => JSON.parse(l));
            assert.deepEqual(lines[lines.length - 1], { returned: { outcome: "acted", summary: lines[lines.length - 2].summary } });
            assert.equal(lines[lines.length - 2].event, "runner-step");
            assert.match(lines[lines.length - 2].plan[0], /^scale out 2 → \d+: CPUReservation 95% > 88% over 2 min/);
            const g = (await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }))).AutoScalingGroups![0];
            assert.ok(g.DesiredCapacity! > 2);
            assert.deepEqual(fs.readdirSync(alone), ["index.js"], "nothing but the one file: no node_modules to lean on");
        } finally {
            fs.rmSync(alone, { recursive: true, force: true });
        }
    });

    it("ships the license and changelog, and neither the simulator nor source maps", () => {
        const installed = path.join(dir, "node_modules/pulumi-spot-ecs");
        for (const f of ["LICENSE", "CHANGELOG.md", "README.md"]) assert.ok(fs.existsSync(path.join(installed, f)), `${f} is shipped`);
        assert.ok(!fs.existsSync(path.join(installed, "dist/provider/sim")), "the simulator is not shipped");
        const files = (function walk(d: string): string[] {
            return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
        })(path.join(installed, "dist"));
        assert.deepEqual(files.filter((f) => f.endsWith(".map")), []);
    });

    it("installs into a program already on a newer @pulumi/pulumi, which it shares: one copy", () => {
        // 3.249.0 is newer than the version this package is developed with (and wants Node 22: only installed here, not run).
        const newer = fs.mkdtempSync(path.join(os.tmpdir(), "spot-ecs-newer-"));
        try {
            const tarball = fs.readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
            fs.writeFileSync(path.join(newer, "package.json"), JSON.stringify({ name: "program", version: "1.0.0", private: true }));
            execFileSync(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", "--engine-strict=false", "@pulumi/pulumi@3.249.0"],
                { cwd: newer, stdio: "pipe" });
            execFileSync(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", "--engine-strict=false", path.join(dir, tarball)],
                { cwd: newer, stdio: "pipe" });
            const listed = execFileSync(npm, ["ls", "@pulumi/pulumi", "--all", "--parseable", "--long"], { cwd: newer, encoding: "utf8" }).trim().split("\n");
            assert.deepEqual(listed.map((l) => path.relative(newer, l.split(":")[0])), [path.join("node_modules", "@pulumi", "pulumi")], listed.join("\n"));
            assert.match(listed[0], /:@pulumi\/pulumi@3\.249\.0/);
            assert.ok(!fs.existsSync(path.join(newer, "node_modules/pulumi-spot-ecs/node_modules/@pulumi")), "no nested copy");
        } finally {
            fs.rmSync(newer, { recursive: true, force: true });
        }
    });

    it("shares the program's own @pulumi/pulumi and @pulumi/aws: one copy of each in the consumer", () => {
        const copies = (name: string) => (function walk(d: string): string[] {
            if (!fs.existsSync(d)) return [];
            return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
                if (!e.isDirectory()) return [];
                const full = path.join(d, e.name);
                if (e.name === "node_modules") return walk(full);
                if (full.endsWith(path.join("node_modules", name))) return [full];
                return e.name.startsWith("@") || fs.existsSync(path.join(full, "node_modules")) ? walk(full) : [];
            });
        })(path.join(dir, "node_modules"));
        assert.deepEqual(copies("@pulumi/pulumi").map((p) => path.relative(dir, p)), [path.join("node_modules", "@pulumi", "pulumi")]);
        assert.deepEqual(copies("@pulumi/aws").map((p) => path.relative(dir, p)), [path.join("node_modules", "@pulumi", "aws")]);
    });

    it("serializes small, secret-free, requiring the installed package's modules by package path", () => {
        assert.equal(containsSecrets, false);
        assert.ok(text.length < 16 * 1024, `serialized provider is ${text.length} bytes`);
        for (const value of [FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, moto.endpoint, "installed-sentinel-5b1e"]) {
            assert.ok(!text.includes(value), `serialized text contains ${value}`);
        }
        const modules = requiredModules(text);
        assert.ok(modules.length > 0);
        assert.ok(modules.every((m) => /^pulumi-spot-ecs\/dist\/provider\/[\w/]+\.js$/.test(m)), modules.join(", "));
    });

    it("checks through the host started in the consumer: no AWS call while the group is unknown", async () => {
        await moto.reset();
        const m = await createMotoCluster(moto.endpoint, { name: "inst", instances: 2, tasksPerInstance: 1 });
        const r = await host.check({}, { ...inputsFor(m, text), autoScalingGroupName: UNKNOWN });
        assert.deepEqual(r.failures, []);
        assert.deepEqual(r.inputs.plan, [PLAN_PENDING]);
    });

    it("round-trips Check, Create, Diff and a failing Update that returns partial state", async () => {
        await moto.reset();
        const m = await createMotoCluster(moto.endpoint, { name: "inst", instances: 1, tasksPerInstance: 1, maxSize: 2, standalone: ["nightly"] });
        await putReservations(m.clients, m.clusterName, 80, 80, 8);
        const checked = await host.check({}, inputsFor(m, text));
        assert.deepEqual(checked.inputs.plan, []);
        const created = await host.create(checked.inputs);
        assert.equal((await host.diff(created.id, created.outs, checked.inputs)).changes, "DIFF_NONE");

        await rollGroupTo(m, "2");
        const news = await host.check(created.outs, inputsFor(m, text, { version: "2", draining: { timeoutSeconds: 30 } }));
        assert.equal((await host.diff(created.id, created.outs, news.inputs)).changes, "DIFF_SOME");
        const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
        const error = await host.update(created.id, created.outs, news.inputs).then(() => undefined, (e) => e);
        await ecs.stop();
        assert.ok(error !== undefined, "the update fails");
        const partial = decodePartialFailure(error);
        assert.ok(partial !== undefined, "installed, the error carries partial state");
        const old = m.instanceIds[0];
        assert.equal(partial.id, created.id);
        assert.match(partial.message, new RegExp(`^\\[inst\\] batch 1 of 1 \\(replace\\) could not finish; nothing with a running task was terminated:\\n  - ${old}: standalone task\\(s\\) still running after 30 s`));
        assert.deepEqual(partial.reasons, [partial.message]);
        const lastRun = partial.properties.lastRun as { instances: Record<string, string>; actions: { outcome: string }[] };
        assert.equal(lastRun.instances[old], "timed-out");
        assert.deepEqual(lastRun.actions.map((a) => a.outcome), ["done", "failed"]);
        assert.equal(partial.properties.__provider, text, "the provider code is kept in state");
        const g = (await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }))).AutoScalingGroups![0];
        assert.ok(g.Instances!.some((i) => i.InstanceId === old), "the instance with the standalone task is still there");
        assert.ok(host.stdout.some((l) => l.endsWith("(state records what was done)")));
    });
});
