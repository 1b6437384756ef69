// The `spot-ecs` package as the engine uses it from a Python, Go, .NET or YAML program: the plugin is
// started the way the Node.js language host starts a plugin (Pulumi's own `run-plugin` on the plugin
// directory, TypeScript checked), then driven over gRPC as the engine drives it: GetSchema, and
// Construct against a stand-in resource monitor that records what the component registers.
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { PACKAGE_SCALER_TYPE } from "../../components/scaler";
import { DEFAULTS } from "../../components";
import * as asg from "@aws-sdk/client-auto-scaling";
import { startLimitsProxy, LimitsProxy } from "../helpers/awsLimits";
import { startMoto, Moto } from "../helpers/moto";
import { createMotoCluster, playEcs } from "../helpers/motoCluster";
import { assertListedOperations } from "../helpers/operations";
import { hostEnv, inputsFor } from "../helpers/scalerInputs";
import { startStandInMonitor, StandInMonitor } from "../helpers/standInMonitor";
import { documentedFields } from "../helpers/tsdoc";

/* eslint-disable @typescript-eslint/no-var-requires */
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const statusproto = require("@pulumi/pulumi/proto/status_pb");
const errorproto = require("@pulumi/pulumi/proto/errors_pb");

const ROOT = path.join(__dirname, "../..");
const PLUGIN_DIR = path.join(ROOT, "plugin");
const PROJECT = "py-web";
const STACK = "dev";

/** What a Python program passes (the SDK turns `min_size=2` into `minSize`, numbers are doubles, lists and dicts as they are). */
const PYTHON_INPUTS = {
    vpcId: "vpc-0a1b2c3d4e5f60718",
    subnetIds: ["subnet-0a1b2c3d4e5f607a1", "subnet-0a1b2c3d4e5f607b2"],
    instanceRequirements: { vcpuCount: { min: 2.0, max: 8.0 }, memoryMiB: { min: 8192.0 }, acceleratorCount: { max: 0.0 } },
    minSize: 2.0,
    maxSize: 10.0,
    scaling: { cpuHighPercent: 92.0 },
    runner: { schedule: "rate(5 minutes)" },
};

interface Plugin {
    child: ChildProcess;
    call(method: string, req: unknown): Promise<any>;
    stderr: string[];
}

/** Starts the plugin as the Node.js language host's RunPlugin does: `run-plugin <program directory> <engine address>`. */
async function startPlugin(engine: string, env: NodeJS.ProcessEnv = process.env): Promise<Plugin> {
    const runPlugin = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [PLUGIN_DIR] });
    const child = spawn(process.execPath, [runPlugin, PLUGIN_DIR, engine], { cwd: PLUGIN_DIR, stdio: ["ignore", "pipe", "pipe"],
        env: { ...env, PULUMI_NODEJS_TYPESCRIPT: "true" } });
    const stderr: string[] = [];
    child.stderr!.on("data", (d) => stderr.push(String(d)));
    const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
            out += d;
            const line = out.split("\n")[0];
            if (out.includes("\n")) resolve(line.trim());
        });
        child.on("exit", (code) => reject(new Error(`plugin exited ${code}: ${stderr.join("")}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return { child, stderr, call: (method, req) => promisify(client[method].bind(client))(req) };
}

function constructRequest(monitor: StandInMonitor, name: string, inputs: Record<string, unknown>) {
    const req = new provproto.ConstructRequest();
    req.setProject(PROJECT);
    req.setStack(STACK);
    req.setOrganization("organization");
    req.setDryrun(false);
    req.setParallel(16);
    req.setMonitorendpoint(monitor.endpoint);
    req.setType("spot-ecs:index:SpotEcsCluster");
    req.setName(name);
    req.setInputs(Struct.fromJavaScript(inputs));
    return req;
}

/** The property errors of a Construct that failed on its inputs, as the engine reads them. */
function propertyErrors(error: grpc.ServiceError): { propertyPath: string; reason: string }[] {
    const bin = error.metadata?.get("grpc-status-details-bin")?.[0];
    if (bin === undefined) return [];
    const status = statusproto.Status.deserializeBinary(new Uint8Array(bin as Buffer));
    return status.getDetailsList().flatMap((any: any) => {
        const detail = any.unpack(errorproto.InputPropertiesError.deserializeBinary, "pulumirpc.InputPropertiesError");
        return detail === undefined ? [] : detail.getErrorsList().map((e: any) => ({ propertyPath: e.getPropertyPath(), reason: e.getReason() }));
    });
}

describe("the spot-ecs package from any Pulumi language @host", function () {
    this.timeout(300_000);
    let monitor: StandInMonitor;
    let plugin: Plugin;
    let schema: any;

    before(async () => {
        monitor = await startStandInMonitor(PROJECT, STACK);
        plugin = await startPlugin(monitor.endpoint);
        schema = JSON.parse((await plugin.call("getSchema", new provproto.GetSchemaRequest())).getSchema());
    });

    after(async () => {
        plugin?.child.kill();
        await monitor?.stop();
    });

    it("names itself spot-ecs, and its schema has every argument of the component with its type and sentence", () => {
        assert.equal(schema.name, "spot-ecs");
        const component = schema.resources["spot-ecs:index:SpotEcsCluster"];
        assert.equal(component.isComponent, true);
        const documented = documentedFields("components/args.ts", "SpotEcsClusterArgs");
        assert.deepEqual(Object.keys(component.inputProperties).sort(), documented.map((f) => f.name).sort());
        assert.deepEqual(component.requiredInputs.sort(), ["maxSize", "minSize", "subnetIds"]);
        for (const f of documented.filter((x) => x.name !== "runner")) {
            const expected = f.default === "required" ? f.sentence : `${f.sentence} Default: ${f.default}.`;
            assert.equal(component.inputProperties[f.name].description, expected, `${f.name}'s description is its doc comment, with its default`);
        }
        assert.equal(component.inputProperties.amiFamily.description, "ECS-optimized AMI family resolved from AWS's public SSM parameter. Default: \"al2023\".");
        assert.match(schema.types["spot-ecs:index:ScalingArgs"].properties.cpuHighPercent.description, / Default: 88\.$/);
        assert.match(schema.types["spot-ecs:index:RunnerPackageArgs"].properties.enabled.description, / Default: true\.$/);
        assert.equal(component.inputProperties.minSize.type, "number");
        assert.deepEqual(component.inputProperties.subnetIds.items, { type: "string" });
        assert.deepEqual(component.inputProperties.tags.additionalProperties, { type: "string", plain: true });
        assert.equal(component.inputProperties.runner.$ref, "#/types/spot-ecs:index:RunnerPackageArgs");
        assert.ok("enabled" in schema.types["spot-ecs:index:RunnerPackageArgs"].properties, "runner: false is runner.enabled = false");
    });

    it("carries the nested arguments and the allowed values of each as types and enums", () => {
        const scaling = schema.types["spot-ecs:index:ScalingArgs"].properties;
        const policy = documentedFields("provider/settings.ts", "ScalingPolicy");
        assert.deepEqual(Object.keys(scaling).sort(), policy.map((f) => f.name).sort());
        for (const f of policy) {
            const expected = f.default === "required" ? f.sentence : `${f.sentence} Default: ${f.default}.`;
            assert.equal(scaling[f.name].description, expected, `scaling.${f.name}: the sentence and default of its declaration`);
        }
        const requirements = schema.types["spot-ecs:index:InstanceRequirementsArgs"].properties;
        assert.equal(requirements.vcpuCount.$ref, "#/types/spot-ecs:index:MinMax");
        assert.deepEqual(schema.types["spot-ecs:index:CpuManufacturer"].enum.map((e: any) => e.value), ["intel", "amd", "amazon-web-services"]);
        assert.deepEqual(schema.types["spot-ecs:index:AmiFamily"].enum.map((e: any) => e.value), ["al2023", "al2023-arm64", "al2023-gpu", "al2", "al2-arm64"]);
    });

    it("lists the component's outputs, and the scaler as a resource of the package", () => {
        const component = schema.resources["spot-ecs:index:SpotEcsCluster"];
        for (const output of ["clusterName", "autoScalingGroupName", "launchTemplateVersion", "plan", "lastRun", "scalerPolicy", "leaseTableName"]) {
            assert.ok(output in component.properties, output);
        }
        assert.deepEqual(schema.resources[PACKAGE_SCALER_TYPE].required, ["plan"]);
    });

    it("builds the component from a Python program's inputs: every child under it, the scaler a resource of the package, its outputs returned", async () => {
        const before = monitor.registrations.length;
        const resp = await plugin.call("construct", constructRequest(monitor, "web", PYTHON_INPUTS));
        const registered = monitor.registrations.slice(before);
        const component = registered.find((r) => r.type === "spot-ecs:index:SpotEcsCluster")!;
        assert.equal(resp.getUrn(), component.urn);
        const types = new Set(registered.map((r) => r.type));
        for (const t of ["aws:ecs/cluster:Cluster", "aws:iam/role:Role", "aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group",
            "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:lambda/function:Function", PACKAGE_SCALER_TYPE]) {
            assert.ok(types.has(t), `registers a ${t}`);
        }
        assert.ok(!types.has("pulumi-nodejs:dynamic:Resource"), "no Node.js dynamic resource: a Python project has no Node.js dynamic-provider host to run it");
        // Every resource but the component has it, or one of its descendants, as its parent.
        const under = new Set([component.urn]);
        for (const r of registered) if (under.has(r.parent)) under.add(r.urn);
        assert.deepEqual(registered.filter((r) => !under.has(r.urn)).map((r) => `${r.type} ${r.name}`), []);
        const scaler = registered.find((r) => r.type === PACKAGE_SCALER_TYPE)!;
        assert.equal(scaler.parent, component.urn);
        assert.equal(scaler.inputs.__provider, undefined, "no serialized provider in its inputs");
        assert.deepEqual(scaler.inputs.instanceRequirements, { vcpuCount: { min: 2, max: 8 }, memoryMiB: { min: 8192 }, acceleratorCount: { max: 0 } });
        assert.equal((scaler.inputs.scaling as Record<string, unknown>).cpuHighPercent, 92);
        const group = registered.find((r) => r.type === "aws:autoscaling/group:Group")!;
        const overrides = (group.inputs.mixedInstancesPolicy as any).launchTemplate.overrides;
        assert.deepEqual(overrides[0].instanceRequirements.vcpuCount, { min: 2, max: 8 });
        const rule = registered.find((r) => r.type === "aws:cloudwatch/eventRule:EventRule")!;
        assert.equal(rule.inputs.scheduleExpression, "rate(5 minutes)");
        const state = resp.getState().toJavaScript();
        assert.equal(state.clusterName, "web");
        assert.equal(state.autoScalingGroupName, `${group.name}-7654321`);
        assert.deepEqual(state.plan, ["scale out 2 → 3: CPUReservation 90% > 88% over 2 min"], "the component's plan is the package scaler's");
        assert.match(String(state.scalerPolicy), /"ecs:UpdateContainerInstancesState"/);
    });

    it("builds without a runner for runner.enabled false", async () => {
        const before = monitor.registrations.length;
        await plugin.call("construct", constructRequest(monitor, "quiet", { ...PYTHON_INPUTS, runner: { enabled: false } }));
        const types = monitor.registrations.slice(before).map((r) => r.type);
        assert.ok(types.includes(PACKAGE_SCALER_TYPE));
        assert.ok(!types.includes("aws:lambda/function:Function"), "no runner function");
    });

    it("refuses a bad argument before registering anything, naming the property, what is allowed and what was given", async () => {
        const before = monitor.registrations.length;
        const error = await plugin.call("construct", constructRequest(monitor, "bad", { ...PYTHON_INPUTS, maxSize: 0 })).then(() => undefined, (e) => e);
        assert.ok(error !== undefined, "Construct failed");
        assert.deepEqual(propertyErrors(error), [{ propertyPath: "maxSize", reason: "`maxSize` must be an integer between 1 and 1000, got 0" }]);
        assert.equal(monitor.registrations.length, before, "nothing registered");
    });

    it("checks the scaler's inputs as the dynamic provider does: a bad value fails naming the property", async () => {
        const req = new provproto.CheckRequest();
        req.setUrn(`urn:pulumi:${STACK}::${PROJECT}::spot-ecs:index:SpotEcsCluster$${PACKAGE_SCALER_TYPE}::web-scaler`);
        req.setOlds(Struct.fromJavaScript({}));
        req.setNews(Struct.fromJavaScript({ region: "Europe", clusterName: "web", autoScalingGroupName: "web-asg", launchTemplateId: "lt-0abc1234def567890",
            launchTemplateVersion: "3", targetGroupArns: [], scaling: { ...DEFAULTS.scaling }, draining: { ...DEFAULTS.draining } }));
        const resp = await plugin.call("check", req);
        assert.deepEqual(resp.getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]),
            [["region", "`region` must be an AWS region such as \"us-east-1\", got \"Europe\""]]);
    });
});

describe("the spot-ecs package's scaler, served by the plugin, against moto @host", function () {
    this.timeout(300_000);
    let monitor: StandInMonitor;
    let moto: Moto;
    let proxy: LimitsProxy;
    let plugin: Plugin;

    before(async () => {
        monitor = await startStandInMonitor(PROJECT, STACK);
        moto = await startMoto();
        proxy = await startLimitsProxy(moto.endpoint);
        plugin = await startPlugin(monitor.endpoint, hostEnv(proxy.endpoint));
    });

    after(async () => {
        plugin?.child.kill();
        const sent = proxy?.scalerOperations();
        await proxy?.close();
        await moto?.stop();
        await monitor?.stop();
        if (sent !== undefined) assertListedOperations(sent);
    });

    it("plans in Check and drains in Create as the dynamic resource does: a lowered maxSize named in the preview, its instance drained by the up", async () => {
        const m = await createMotoCluster(moto.endpoint, { name: "pkg", instances: 3, tasksPerInstance: 1, maxSize: 6 });
        const { __provider: _none, ...inputs } = inputsFor(m, "", { declared: { minSize: 1, maxSize: 2, instanceTypes: ["m6i.large"] },
            draining: { minHealthyPercent: 50, maxUpdateSeconds: 240 } });
        await m.clients.asg.send(new asg.UpdateAutoScalingGroupCommand({ AutoScalingGroupName: m.autoScalingGroupName, MaxSize: 2 }));
        const urn = `urn:pulumi:${STACK}::${PROJECT}::spot-ecs:index:SpotEcsCluster$${PACKAGE_SCALER_TYPE}::pkg-scaler`;
        const check = new provproto.CheckRequest();
        check.setUrn(urn);
        check.setOlds(Struct.fromJavaScript({}));
        check.setNews(Struct.fromJavaScript(inputs));
        const checked = await plugin.call("check", check);
        assert.deepEqual(checked.getFailuresList(), []);
        const planned = checked.getInputs().toJavaScript();
        const drained = (planned.plan as string[]).filter((l) => /^ {2}drain i-/.test(l));
        assert.equal(drained.length, 1, (planned.plan as string[]).join("\n"));
        const create = new provproto.CreateRequest();
        create.setUrn(urn);
        create.setProperties(Struct.fromJavaScript(planned));
        const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
        let created: any;
        try {
            created = await plugin.call("create", create);
        } finally {
            await ecs.stop();
        }
        assert.equal(created.getId(), `${m.clusterName}/${m.autoScalingGroupName}`);
        const lastRun = created.getProperties().toJavaScript().lastRun as { instances: Record<string, string> };
        const named = /drain (i-[0-9a-f]+)/.exec(drained[0])![1];
        assert.deepEqual(Object.entries(lastRun.instances).filter(([, o]) => o === "terminated").map(([i]) => i), [named]);
    });
});
