// The scaler's policies are enough, held by a moto that enforces IAM: a user with only the preview
// policy plans a replacement, a user with only the up policy carries it out, and a policy without one
// of the reads a preview makes is refused. moto checks actions, not resources or conditions (a
// statement with a resource ARN never matches its requests), so the policies are tried with every
// resource widened to "*" and no condition; the scoping itself is held by permissions.test.ts.
import { strict as assert } from "node:assert";
import * as iam from "@aws-sdk/client-iam";
import { awsCloud } from "../../provider/aws/cloud";
import { realDeps } from "../../provider/cloud";
import { PolicyDocument, scalerPolicy } from "../../provider/permissions";
import { isForecastLine } from "../../provider/render";
import { previewPlan, reconcile } from "../../provider/reconcile";
import { ScalerSettings } from "../../provider/settings";
import { awsEnv } from "../helpers/env";
import { Moto, startMoto } from "../helpers/moto";
import { createMotoCluster, Credentials, MotoCluster, playEcs, putReservations, REGION } from "../helpers/motoCluster";
import { inputsFor, rollGroupTo } from "../helpers/scalerInputs";

/** The first requests moto lets through unauthenticated: an admin user, its policy and its key. */
const UNAUTHENTICATED = 3;

/** `doc` as moto can check it: every resource "*", no condition; CloudWatch actions also under moto's `monitoring:` prefix. */
function forMoto(doc: PolicyDocument): PolicyDocument {
    return { Version: doc.Version, Statement: doc.Statement.map(({ Condition: _, ...s }) => ({ ...s, Resource: "*",
        Action: s.Action.flatMap((a) => a.startsWith("cloudwatch:") ? [a, a.replace("cloudwatch:", "monitoring:")] : [a]) })) };
}

describe("the scaler's IAM policies against a moto that enforces IAM @moto", function () {
    this.timeout(300_000);
    let moto: Moto;
    let admin: Credentials;
    let m: MotoCluster;

    /** A user allowed exactly `doc`, and its credentials. */
    async function userWith(name: string, doc: PolicyDocument): Promise<Credentials> {
        const client = new iam.IAMClient({ region: REGION, endpoint: moto.endpoint, credentials: admin });
        await client.send(new iam.CreateUserCommand({ UserName: name }));
        await client.send(new iam.PutUserPolicyCommand({ UserName: name, PolicyName: "scaler", PolicyDocument: JSON.stringify(forMoto(doc)) }));
        const key = (await client.send(new iam.CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
        return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    }

    /** Runs `work` with `credentials` in the default chain, as the scaler finds them. */
    async function as<T>(credentials: Credentials, work: () => Promise<T>): Promise<T> {
        const restore = awsEnv(moto.endpoint);
        process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
        delete process.env.AWS_SESSION_TOKEN;
        try {
            return await work();
        } finally {
            restore();
        }
    }

    const settings = (version: string): ScalerSettings => {
        const { __provider: _, ...inputs } = inputsFor(m, "", { version, draining: { batchSize: 2, maxUpdateSeconds: 600 } });
        return inputs as unknown as ScalerSettings;
    };
    const cloud = () => awsCloud({ region: REGION, clusterName: m.clusterName, autoScalingGroupName: m.autoScalingGroupName });
    const scope = () => ({ clusterArn: `arn:aws:ecs:${REGION}:123456789012:cluster/${m.clusterName}`,
        autoScalingGroupArn: "arn:aws:autoscaling:*", targetGroupArns: [m.targetGroupArn!] });

    before(async () => {
        moto = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: String(UNAUTHENTICATED) });
        const bootstrap = new iam.IAMClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: "x", secretAccessKey: "y" } });
        await bootstrap.send(new iam.CreateUserCommand({ UserName: "admin" }));
        await bootstrap.send(new iam.PutUserPolicyCommand({ UserName: "admin", PolicyName: "all",
            PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }));
        const key = (await bootstrap.send(new iam.CreateAccessKeyCommand({ UserName: "admin" }))).AccessKey!;
        admin = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
        m = await createMotoCluster(moto.endpoint, { name: "iam", instances: 2, tasksPerInstance: 1, maxSize: 4, targetGroup: true, credentials: admin });
        await putReservations(m.clients, m.clusterName, 80, 80, 8);
        await rollGroupTo(m, "2");
    });

    after(async () => {
        await moto?.stop();
    });

    it("lets a user with the preview policy alone plan the replacement", async () => {
        const user = await userWith("previewer", scalerPolicy(scope(), { access: "preview" }));
        const preview = await as(user, () => previewPlan(cloud(), realDeps(() => undefined), settings("2")));
        assert.equal(preview.lines.filter((l) => !isForecastLine(l))[0], "surge 2 → 4: 2 instances to replace with launch template v2");
    });

    it("refuses a preview to a policy without one of the reads it makes (ecs:ListServices), naming the operation", async () => {
        const doc = scalerPolicy(scope(), { access: "preview" });
        const without = { ...doc, Statement: doc.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== "ecs:ListServices") })) };
        const user = await userWith("short", without);
        await assert.rejects(as(user, () => previewPlan(cloud(), realDeps(() => undefined), settings("2"))),
            (e: unknown) => (e as { operation?: string }).operation === "ListServices");
    });

    it("lets a user with the up policy alone drain and replace the instances", async () => {
        const user = await userWith("deployer", scalerPolicy(scope(), { access: "up" }));
        const ecs = playEcs(m.clients, m.clusterName, m.autoScalingGroupName);
        try {
            const result = await as(user, () => reconcile(cloud(), realDeps(() => undefined), settings("2")));
            assert.deepEqual([...new Set(Object.values(result.report.instances))], ["terminated"]);
            assert.deepEqual(Object.keys(result.report.instances).sort(), [...m.instanceIds].sort());
            assert.ok(result.report.metrics !== undefined, "the scaler's metrics were published (cloudwatch:PutMetricData)");
        } finally {
            await ecs.stop();
        }
    });
});
