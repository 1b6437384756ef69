// Arguments known only later (Outputs) are validated with the same rules once their values arrive,
// and no resource is created from an invalid value. Run in a child process: a failed apply leaves the
// Pulumi runtime with registrations that never finish, which must not leak into this test process.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.join(__dirname, "../..");

/** Constructs a component under mocks in a child process; returns every error message it reported. */
function errorsOf(argsSource: string): string[] {
    const script = `
        const pulumi = require("@pulumi/pulumi");
        const { installMocks, recorded } = require("./tests/helpers/pulumiMocks");
        const seen = new Set();
        const objects = new Set();
        process.on("unhandledRejection", (e) => { seen.add(String(e && e.message)); objects.add(e); });
        installMocks().then(() => {
            const { SpotEcsCluster } = require("./components");
            new SpotEcsCluster("late", ${argsSource});
            setTimeout(() => {
                for (const m of seen) console.log("ERROR " + JSON.stringify(m));
                console.log("OBJECTS " + objects.size + " " + [...objects].every((e) => pulumi.RunError.isInstance(e)));
                console.log("CREATED " + JSON.stringify(recorded.filter((r) => r.type === "aws:autoscaling/group:Group" || r.type === "aws:ec2/launchTemplate:LaunchTemplate").map((r) => r.type)));
                process.exit(0);
            }, 2500);
        });`;
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    const lines = r.stdout.split("\n");
    const created = JSON.parse(lines.find((l) => l.startsWith("CREATED "))?.slice(8) ?? "null");
    assert.deepEqual(created, [], "no launch template or group was created");
    assert.ok(lines.includes("OBJECTS 1 true"), `one error object, a RunError (reported once, without a stack): ${lines.find((l) => l.startsWith("OBJECTS"))}`);
    return lines.filter((l) => l.startsWith("ERROR ")).map((l) => JSON.parse(l.slice(6)));
}

export const LATE_CASES = [
    "`existingClusterName` must be 1-255 letters, digits, hyphens or underscores, got \"bad name\"",
    "`subnetIds` must have between 1 and 256 entries, got 0",
    "`securityGroupIds[0]` must be a security group id (sg-…), got \"sg-1\"",
    "`targetGroupArns[0]` must be a target group ARN, got \"my-tg\"",
    "`imageId` must be an AMI id (ami-…), got \"latest\"",
];

describe("arguments known only later", function () {
    this.timeout(120_000);

    it("fail with every problem, named as at construction, and create nothing from them", () => {
        const errors = errorsOf(`{
            existingClusterName: pulumi.output("bad name"),
            subnetIds: pulumi.output([]),
            securityGroupIds: pulumi.output(["sg-1"]),
            targetGroupArns: pulumi.output(["my-tg"]),
            imageId: pulumi.output("latest"),
            instanceTypes: ["m6i.large"], minSize: 1, maxSize: 2,
        }`);
        const expected = `Invalid arguments for SpotEcsCluster "late":\n${LATE_CASES.map((c) => `  - ${c}`).join("\n")}`;
        // One message, as validated: no "error serializing property …" prefix from the resources built from the values.
        assert.deepEqual(errors, [expected]);
    });
});
