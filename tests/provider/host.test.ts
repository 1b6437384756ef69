// The scaler through the Pulumi SDK's own dynamic-provider host over gRPC, against moto.
import { strict as assert } from "node:assert";
import * as asg from "@aws-sdk/client-auto-scaling";
import * as ecs from "@aws-sdk/client-ecs";
import { PARTIAL_STATE_LIMIT_BYTES, scalerProvider } from "../../provider/dynamic";
import { UNKNOWN } from "../../provider/inputs";
import { isForecastLine, PLAN_PENDING } from "../../provider/render";
import { DEFAULT_SCALING } from "../../provider/settings";
import { startMoto, Moto } from "../helpers/moto";
import { startLimitsProxy, LimitsProxy } from "../helpers/awsLimits";
import { createMotoCluster, MotoCluster, playEcs, putReservations } from "../helpers/motoCluster";
import { decodePartialFailure, Host, Props, REPO_ROOT, startHost } from "../helpers/host";
import { hostEnv, inputsFor, rollGroupTo } from "../helpers/scalerInputs";
import { FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY } from "../helpers/env";
import { serializeLikeDynamicResource } from "../helpers/serialize";
import { assertListedOperations } from "../helpers/operations";

describe("scaler through the SDK's dynamic-provider host @host", function () {
    this.timeout(180_000);
    let moto: Moto;
    let proxy: LimitsProxy;
    let host: Host;
    let providerText: string;

    before(async () => {
        moto = await startMoto();
        proxy = await startLimitsProxy(moto.endpoint);
        providerText = (await serializeLikeDynamicResource(scalerProvider)).text;
        host = await startHost(REPO_ROOT, hostEnv(proxy.endpoint));
    });

    after(async () => {
        await host?.stop();
        const sent = proxy?.scalerOperations();
        await proxy?.close();
        await moto?.stop();
        // Each AWS operation the scaler sent through the host is one its permissions list.
        if (sent !== undefined) assertListedOperations(sent);
    });

    describe("Check", () => {
        let m: MotoCluster;
        before(async () => {
            await moto.reset();
            m = await createMotoCluster(moto.endpoint, { name: "chk", instances: 2, tasksPerInstance: 1 });
        });

        it("returns a failure naming the property for bad input, without calling AWS", async () => {
            const before = proxy.total();
            const news = inputsFor(m, providerText);
            const r = await host.check({}, { ...news, scaling: { ...DEFAULT_SCALING, cpuHighPercent: 500 }, launchTemplateVersion: "v2" });
            assert.deepEqual(r.failures, [
                { property: "launchTemplateVersion", reason: "`launchTemplateVersion` must be a launch template version number such as \"3\", got \"v2\"" },
                { property: "scaling.cpuHighPercent", reason: "`scaling.cpuHighPercent` must be an integer between 1 and 100, got 500" },
            ]);
            assert.equal(proxy.total(), before);
        });

        it("plans nothing yet and calls no AWS API while the group is created in this update", async () => {
            const before = proxy.total();
            const r = await host.check({}, { ...inputsFor(m, providerText), autoScalingGroupName: UNKNOWN });
            assert.deepEqual(r.failures, []);
            assert.deepEqual(r.inputs.plan, [PLAN_PENDING]);
            assert.equal(proxy.total(), before, "no request reached AWS");
        });

        it("says plainly when the group it names does not exist", async () => {
            const r = await host.check({}, { ...inputsFor(m, providerText), autoScalingGroupName: "not-there-asg" });
            assert.deepEqual(r.inputs.plan, ["nothing to plan yet: Auto Scaling group not-there-asg does not exist; it is created in this update, or the name is wrong"]);
        });

        it("plans the replacement of every instance while the new launch template version is unknown", async () => {
            const r = await host.check({}, { ...inputsFor(m, providerText), launchTemplateVersion: UNKNOWN });
            assert.deepEqual(r.failures, []);
            const plan = (r.inputs.plan as string[]).filter((l) => !isForecastLine(l));
            assert.ok((r.inputs.plan as string[])[0].startsWith("estimate: about "), "the forecast comes first");
            assert.equal(plan[0], "surge 2 → 4: 2 instances to replace with the launch template version this update creates");
            assert.deepEqual(plan.slice(1).filter((l) => !l.startsWith("note: ")).map((l) => /^replace (i-\w+) \(launch template v1 → the version this update creates\)/.exec(l)?.[1]).sort(),
                [...m.instanceIds].sort());
        });
    });

    describe("Diff, Create, Update and Read on a cluster to roll onto a new template version", () => {
        let m: MotoCluster;
        let created: { id: string; outs: Props };
        before(async () => {
            await moto.reset();
            m = await createMotoCluster(moto.endpoint, { name: "roll", instances: 2, tasksPerInstance: 2, maxSize: 4, targetGroup: true });
            await putReservations(m.clients, m.clusterName, 80, 80, 8);
        });

        it("creates with an empty plan and reports no change while nothing is to be done", async () => {
            const checked = await host.check({}, inputsFor(m, providerText));
            assert.deepEqual(checked.failures, []);
            assert.deepEqual(checked.inputs.plan, []);
            created = await host.create(checked.inputs);
            assert.equal(created.id, "roll/roll-asg");
            assert.equal(created.outs.lastRun, null);
            const again = await host.check(checked.inputs, inputsFor(m, providerText));
            const diff = await host.diff(created.id, created.outs, again.inputs);
            assert.equal(diff.changes, "DIFF_NONE");
        });

        it("shows the replacement in the plan and reports a change", async () => {
            await rollGroupTo(m, "2");
            const checked = await host.check(created.outs, inputsFor(m, providerText, { version: "2" }));
            const plan = (checked.inputs.plan as string[]).filter((l) => !isForecastLine(l));
            assert.equal(plan[0], "surge 2 → 4: 2 instances to replace with launch template v2");
            assert.deepEqual(plan.slice(1).map((l) => l.replace(/i-\w+/, "i-X")), [
                "replace i-X (launch template v1 → v2): drain 2 tasks, batch 1 of 2, then lower desired capacity",
                "replace i-X (launch template v1 → v2): drain 2 tasks, batch 2 of 2, then lower desired capacity",
            ]);
            const diff = await host.diff(created.id, created.outs, checked.inputs);
            assert.equal(diff.changes, "DIFF_SOME");
            assert.deepEqual(diff.replaces, []);
        });

        it("drains and terminates the old instances in Update, printing progress prefixed with the cluster", async () => {
            const news = await host.check(created.outs, inputsFor(m, providerText, { version: "2", draining: { batchSize: 2 } }));
            const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
            let outs: Props;
            try {
                outs = await host.update(created.id, created.outs, news.inputs);
            } finally {
                await ecs.stop();
            }
            const lastRun = outs.lastRun as { instances: Record<string, string>; actions: { outcome: string }[];
                forecast: { estimateSeconds: number; actualSeconds: number; steps: { step: string }[] } };
            assert.deepEqual(lastRun.forecast.steps.map((s) => s.step), ["new instances (surge)", "replace batch 1 of 1"], "the forecast the plan showed");
            assert.ok(lastRun.forecast.estimateSeconds > 0 && lastRun.forecast.actualSeconds >= 0, JSON.stringify(lastRun.forecast));
            assert.deepEqual(Object.keys(lastRun.instances).sort(), [...m.instanceIds].sort());
            assert.deepEqual([...new Set(Object.values(lastRun.instances))], ["terminated"]);
            assert.deepEqual([...new Set(lastRun.actions.map((a) => a.outcome))], ["done"]);
            assert.equal(ecs.moved(), 4, "the four service tasks were moved off the DRAINING instances");
            const g = (await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }))).AutoScalingGroups![0];
            assert.equal(g.DesiredCapacity, 2);
            // moto reports every instance at the template's default version, so check identities instead.
            assert.equal(g.Instances!.length, 2);
            assert.ok(!g.Instances!.some((i) => m.instanceIds.includes(i.InstanceId!)), "the old instances are gone");
            assert.ok(host.stdout.some((l) => l.startsWith("[roll] surge 2 → 4")), host.stdout.join("\n"));
            const state = JSON.stringify(outs);
            for (const value of [FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, proxy.endpoint, moto.endpoint]) {
                assert.ok(!state.includes(value), `state holds ${value}`);
            }
            assert.ok(host.stdout.some((l) => /^\[roll\] terminated i-\w+ \(desired capacity lowered by 1\)$/.test(l)));
            created = { id: created.id, outs };
        });

        it("stores the plan it carried out in lastRun only, so the next preview shows the new plan alone", async () => {
            const outs = created.outs;
            assert.deepEqual((outs.plan as string[]).filter((l) => !l.startsWith("note: ")), [], "no action line left in the outputs");
            assert.equal((outs.lastRun as { plan: string[] }).plan.filter((l) => !isForecastLine(l))[0], "surge 2 → 4: 2 instances to replace with launch template v2");
            // A preview shows a provider without previews as its stored outputs against the new checked inputs.
            const next = await host.check(outs, inputsFor(m, providerText, { version: "2", draining: { batchSize: 2 } }));
            const shown = [...new Set([...Object.keys(outs), ...Object.keys(next.inputs)])]
                .filter((k) => JSON.stringify(outs[k]) !== JSON.stringify(next.inputs[k])).sort();
            assert.deepEqual(shown.filter((k) => k !== "lastRun"), ["plan"], "only the plan differs (lastRun's diff is hidden)");
            const removed = (outs.plan as string[]).filter((l) => !(next.inputs.plan as string[]).includes(l));
            assert.deepEqual(removed, [], "no line of the last up shows as removed");
            assert.ok((next.inputs.plan as string[]).length > 0, "the new plan has lines to show");
        });

        it("reads the stored state back on refresh", async () => {
            const r = await host.read(created.id, created.outs);
            assert.equal(r.id, created.id);
            assert.deepEqual(r.props.lastRun, created.outs.lastRun);
        });
    });

    describe("scale-in protection of instances launched before the group protected new ones", () => {
        it("shows them in the preview, protects every live instance in one update, then shows no change", async () => {
            await moto.reset();
            const m = await createMotoCluster(moto.endpoint, { name: "prot", instances: 3, tasksPerInstance: 1, protectNew: false });
            await putReservations(m.clients, m.clusterName, 80, 80, 8);
            const before = proxy.total();
            const checked = await host.check({}, inputsFor(m, providerText));
            assert.deepEqual(checked.inputs.plan, [`protect 3 instances from the group's own scale-in: ${[...m.instanceIds].sort().join(", ")}`],
                "one line naming every unprotected instance");
            assert.ok(proxy.total() > before);
            // Turning the scaler on: its create does what the preview showed.
            const created = await host.create(checked.inputs);
            const g = (await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }))).AutoScalingGroups![0];
            assert.deepEqual(g.Instances!.map((i) => [i.InstanceId, i.ProtectedFromScaleIn]).sort(),
                m.instanceIds.map((id) => [id, true]).sort(), "every live instance is protected");
            assert.deepEqual((created.outs.lastRun as { actions: { outcome: string }[] }).actions.map((a) => a.outcome), ["done"]);
            const again = await host.check(created.outs, inputsFor(m, providerText));
            assert.deepEqual(again.inputs.plan, []);
            assert.equal((await host.diff(created.id, created.outs, again.inputs)).changes, "DIFF_NONE");
        });
    });

    describe("scale-in by ECS's placement rules, with host ports as moto reports them", () => {
        it("does not scale in when every instance binds the port its tasks need, and says why", async () => {
            await moto.reset();
            const m = await createMotoCluster(moto.endpoint, { name: "ports", instances: 3, tasksPerInstance: 1, hostPort: 80 });
            await putReservations(m.clients, m.clusterName, 10, 10, 12);
            const r = await host.check({}, inputsFor(m, providerText));
            const plan = r.inputs.plan as string[];
            assert.deepEqual(plan.filter((l) => !l.startsWith("note: ")), [], plan.join("\n"));
            assert.ok(plan.some((l) => /^note: no scale-in: .*, but the 1 task of i-\w+ would not fit on the 2 other ACTIVE instances: port 80 in use on every other instance$/.test(l)),
                plan.join("\n"));
        });

        it("scales in where the port is free", async () => {
            await moto.reset();
            const m = await createMotoCluster(moto.endpoint, { name: "ports", instances: 3, tasksPerInstance: 1, hostPort: 80 });
            // The third instance runs a task of the same size that binds no port instead.
            const third = m.containerArns[m.instanceIds[2]];
            const [bound] = (await m.clients.ecs.send(new ecs.ListTasksCommand({ cluster: m.clusterName, containerInstance: third }))).taskArns!;
            await m.clients.ecs.send(new ecs.StopTaskCommand({ cluster: m.clusterName, task: bound }));
            await m.clients.ecs.send(new ecs.RegisterTaskDefinitionCommand({ family: "worker", cpu: "128", memory: "256",
                containerDefinitions: [{ name: "worker", image: "busybox", cpu: 128, memory: 256 }] }));
            await m.clients.ecs.send(new ecs.StartTaskCommand({ cluster: m.clusterName, taskDefinition: "worker", containerInstances: [third], group: "service:worker" }));
            await putReservations(m.clients, m.clusterName, 10, 10, 12);
            const r = await host.check({}, inputsFor(m, providerText));
            const plan = r.inputs.plan as string[];
            assert.equal(plan.filter((l) => /^  drain i-\w+/.test(l)).length, 1, plan.join("\n"));
            assert.ok(!plan.some((l) => l.includes("port 80 in use")), plan.join("\n"));
        });
    });

    describe("scale-in by ECS's placement rules, with ENIs and constraints as moto reports them", () => {
        const noScaleIn = (plan: string[], reason: RegExp) => {
            assert.deepEqual(plan.filter((l) => !l.startsWith("note: ")), [], plan.join("\n"));
            assert.ok(plan.some((l) => /^note: no scale-in: .*, but the \d tasks? of i-\w+ would not fit on the 2 other ACTIVE instances: /.test(l)
                && reason.test(l)), plan.join("\n"));
        };

        it("counts awsvpc tasks against the instance type's ENIs", async () => {
            await moto.reset();
            // m6i.large has 3 interfaces, 2 for tasks; every instance runs 2 awsvpc tasks.
            const m = await createMotoCluster(moto.endpoint, { name: "enis", instances: 3, tasksPerInstance: 2, networkMode: "awsvpc" });
            await putReservations(m.clients, m.clusterName, 10, 10, 12);
            noScaleIn((await host.check({}, inputsFor(m, providerText))).inputs.plan as string[], /: no free ENI on every other instance$/);
        });

        it("keeps distinctInstance tasks apart, read from the service", async () => {
            await moto.reset();
            const m = await createMotoCluster(moto.endpoint, { name: "distinct", instances: 3, tasksPerInstance: 1,
                serviceConstraints: [{ type: "distinctInstance" }] });
            proxy.servicePlacement("web", [{ type: "distinctInstance" }]);
            try {
                await putReservations(m.clients, m.clusterName, 10, 10, 12);
                noScaleIn((await host.check({}, inputsFor(m, providerText))).inputs.plan as string[], /: distinctInstance \(service:web\) on every other instance$/);
            } finally {
                proxy.servicePlacement("web", []);
            }
        });

        it("evaluates memberOf on the attributes ECS reports, and scales in where the constraint holds", async () => {
            await moto.reset();
            const m = await createMotoCluster(moto.endpoint, { name: "member", instances: 3, tasksPerInstance: 0 });
            // Each instance carries its own slot; each task may only run where its slot is.
            const slots = ["a", "b", "c"];
            const place = async (slotOf: (k: number) => string) => {
                await m.clients.ecs.send(new ecs.PutAttributesCommand({ cluster: m.clusterName,
                    attributes: m.instanceIds.map((id, k) => ({ name: "slot", value: slotOf(k), targetId: m.containerArns[id] })) }));
            };
            await place((k) => slots[k]);
            for (const [k, id] of m.instanceIds.entries()) {
                await m.clients.ecs.send(new ecs.RegisterTaskDefinitionCommand({ family: `slot-${slots[k]}`, cpu: "128", memory: "256",
                    placementConstraints: [{ type: "memberOf", expression: `attribute:slot == ${slots[k]}` }],
                    containerDefinitions: [{ name: "w", image: "busybox", cpu: 128, memory: 256 }] }));
                await m.clients.ecs.send(new ecs.StartTaskCommand({ cluster: m.clusterName, taskDefinition: `slot-${slots[k]}`,
                    containerInstances: [m.containerArns[id]], group: `service:slot-${slots[k]}` }));
            }
            await putReservations(m.clients, m.clusterName, 10, 10, 12);
            noScaleIn((await host.check({}, inputsFor(m, providerText))).inputs.plan as string[], /: memberOf\(attribute:slot == \w\) on every other instance$/);

            // The second instance now carries slot a as well: the first one's task may move there and back.
            await place((k) => (k === 1 ? "a" : slots[k]));
            const plan = (await host.check({}, inputsFor(m, providerText))).inputs.plan as string[];
            const drains = plan.filter((l) => /^  drain i-\w+/.test(l));
            assert.equal(drains.length, 1, plan.join("\n"));
            assert.ok(!drains[0].includes(m.instanceIds[2]), `the instance of slot c stays: ${plan.join("\n")}`);
        });
    });

    describe("an Update whose moved tasks take a while to stop", () => {
        it("terminates each old instance only after every task on it has reached STOPPED", async () => {
            await moto.reset();
            const m = await createMotoCluster(moto.endpoint, { name: "slow", instances: 2, tasksPerInstance: 2, maxSize: 4, targetGroup: true });
            await putReservations(m.clients, m.clusterName, 80, 80, 8);
            const created = await host.create((await host.check({}, inputsFor(m, providerText))).inputs);
            await rollGroupTo(m, "2");
            const news = await host.check(created.outs, inputsFor(m, providerText, { version: "2", draining: { batchSize: 2 } }));
            // ECS reports a stopped task STOPPING (desired STOPPED, no longer in the instance's counters) for 8 s.
            const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName, 300, { hold: proxy, ms: 8_000 });
            const from = proxy.terminations.length;
            let outs: Props;
            try {
                outs = await host.update(created.id, created.outs, news.inputs);
            } finally {
                await ecs.stop();
            }
            const lastRun = outs.lastRun as { instances: Record<string, string> };
            assert.deepEqual(Object.values(lastRun.instances), ["terminated", "terminated"]);
            const terminations = proxy.terminations.slice(from);
            assert.deepEqual(terminations.map((t) => t.instanceId).sort(), [...m.instanceIds].sort());
            for (const t of terminations) {
                const until = ecs.heldUntil(t.instanceId);
                assert.ok(until > 0, `${t.instanceId} had tasks stopped on it`);
                assert.ok(t.at >= until, `${t.instanceId} terminated ${until - t.at} ms before its tasks reached STOPPED`);
            }
            assert.ok(host.stdout.some((l) => /^\[slow\] i-\w+: 0 tasks left, 2 still stopping \(STOPPING ×2\)$/.test(l)), host.stdout.join("\n"));
        });
    });

    describe("an Update that cannot finish", () => {
        it("fails part-way naming what is left; from a source checkout without state, which is too large to return", async () => {
            await moto.reset();
            const m = await createMotoCluster(moto.endpoint, { name: "stuck", instances: 1, tasksPerInstance: 1, maxSize: 2, standalone: ["nightly"] });
            await putReservations(m.clients, m.clusterName, 80, 80, 8);
            const created = await host.create((await host.check({}, inputsFor(m, providerText))).inputs);
            await rollGroupTo(m, "2");
            const news = await host.check(created.outs, inputsFor(m, providerText, { version: "2", draining: { timeoutSeconds: 30 } }));
            assert.ok(providerText.length > PARTIAL_STATE_LIMIT_BYTES, "run from the repository, the provider is serialized by value");
            const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
            const error = await host.update(created.id, created.outs, news.inputs).then(() => undefined, (e) => e);
            await ecs.stop();
            assert.ok(error !== undefined, "the update fails");
            const old = m.instanceIds[0];
            assert.match(error.details, new RegExp(`^\\[stuck\\] batch 1 of 1 \\(replace\\) could not finish; nothing with a running task was terminated:\\n  - ${old}: standalone task\\(s\\) still running after 30 s: \\S+ \\(family:nightly\\)`));
            assert.equal(decodePartialFailure(error), undefined);
            assert.ok(host.stdout.some((l) => l.endsWith("(this run's record is too large to return with the error and is not saved)")));
            const g = (await m.clients.asg.send(new asg.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [m.autoScalingGroupName] }))).AutoScalingGroups![0];
            assert.ok(g.Instances!.some((i) => i.InstanceId === old), "the instance with the standalone task is still there");
        });
    });
});
