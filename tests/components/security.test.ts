// Security properties of everything the component creates, checked on every resource recorded.
import { strict as assert } from "node:assert";
import { installMocks, recorded, settle, valueOf } from "../helpers/pulumiMocks";
import { SpotEcsCluster, SpotEcsClusterArgs } from "../../components";

const base: SpotEcsClusterArgs = {
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0aaa1111bbbb2222c"],
    instanceTypes: ["m6i.large"],
    minSize: 1,
    maxSize: 3,
};

/** Every IAM policy statement in a JSON policy document. */
function statements(doc: string): { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown }[] {
    const parsed = JSON.parse(doc);
    return Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
}

describe("security of what SpotEcsCluster creates", () => {
    /** The scaler's policies each component outputs, parsed. */
    const outputPolicies: string[] = [];

    before(async () => {
        await installMocks();
        for (const [name, args] of [
            ["sec-default", base],
            ["sec-ssm-off", { ...base, enableSsm: false, metadataHopLimit: 2 }],
            ["sec-existing", { ...base, clusterName: undefined, existingClusterName: "shared", securityGroupIds: ["sg-0123456789abcdef0"] }],
        ] as [string, SpotEcsClusterArgs][]) {
            const c = new SpotEcsCluster(name, args);
            await valueOf(c.alarmArns);
            outputPolicies.push((await valueOf(c.scalerPolicy))!, (await valueOf(c.scalerPreviewPolicy))!);
        }
        await settle();
        // The runner's role holds the scaler's policy, scoped the same way, and the rights to its own log group.
        for (const r of mine().filter((x) => x.type === "aws:iam/rolePolicy:RolePolicy")) outputPolicies.push(r.inputs.policy);
    });

    const mine = () => recorded.filter((r) => r.name.startsWith("sec-"));

    it("grants no IAM action \"*\" in any policy document, the scaler's policies included", () => {
        const docs = [...mine().flatMap((r) => [r.inputs.assumeRolePolicy, r.inputs.policy].filter((d): d is string => typeof d === "string")),
            ...outputPolicies];
        assert.ok(docs.length >= 9);
        for (const doc of docs) {
            for (const s of statements(doc)) {
                const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
                assert.ok(!actions.some((a) => a === "*" || a.endsWith(":*")), `statement grants ${actions.join(", ")}`);
            }
        }
    });

    it("creates no customer-managed policy, and one inline policy per cluster: its runner's, on the runner's own role", () => {
        const types = new Set(mine().map((r) => r.type));
        for (const t of ["aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy"]) assert.ok(!types.has(t), t);
        const inline = mine().filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
        assert.deepEqual(inline.map((r) => r.name), ["sec-default-runner-policy", "sec-ssm-off-runner-policy", "sec-existing-runner-policy"]);
        const runnerRoles = mine().filter((r) => r.type === "aws:iam/role:Role" && r.name.endsWith("-runner-role"));
        assert.ok(runnerRoles.every((r) => JSON.parse(r.inputs.assumeRolePolicy).Statement[0].Principal.Service === "lambda.amazonaws.com"));
        const attached = mine().filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => r.inputs.policyArn);
        assert.ok(attached.every((arn: string) => /^arn:aws:iam::aws:policy\/(service-role\/AmazonEC2ContainerServiceforEC2Role|AmazonSSMManagedInstanceCore)$/.test(arn)), attached.join(", "));
    });

    it("scopes every write of the scaler's policies to the component's own cluster, group or target groups, or by a condition", () => {
        for (const doc of outputPolicies) {
            for (const st of statements(doc)) {
                const reads = (Array.isArray(st.Action) ? st.Action : [st.Action]).every((a) => /:(Describe|List|Get)/.test(a));
                if (reads) continue;
                const where = JSON.stringify(st.Resource);
                assert.ok(st.Resource !== "*" || st.Condition !== undefined, `${JSON.stringify(st.Action)} on * without a condition`);
                assert.ok(st.Resource === "*" || /cluster\/(sec-|shared)|autoScalingGroupName\/sec-|table\/(sec-|shared)[\w-]*-spot-ecs-lease"|log-group:\/aws\/lambda\/(sec-|shared)/.test(where),
                    `${JSON.stringify(st.Action)} on ${where}`);
            }
        }
    });

    it("requires IMDSv2 and encrypts the root volume on every launch template", () => {
        const templates = mine().filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
        assert.equal(templates.length, 3);
        for (const lt of templates) {
            assert.equal(lt.inputs.metadataOptions.httpTokens, "required", lt.name);
            assert.ok(lt.inputs.metadataOptions.httpPutResponseHopLimit <= 2, lt.name);
            for (const m of lt.inputs.blockDeviceMappings) assert.equal(m.ebs.encrypted, "true", lt.name);
        }
    });

    it("opens no ingress on a security group it creates", () => {
        const groups = mine().filter((r) => r.type === "aws:ec2/securityGroup:SecurityGroup");
        assert.equal(groups.length, 2, "one for each component without securityGroupIds");
        for (const g of groups) assert.equal(g.inputs.ingress, undefined, g.name);
        assert.ok(!mine().some((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"));
    });
});
