// The scaler serialized exactly as pulumi.dynamic.Resource serializes it: it must resolve, capture
// no secret, credential or environment value, and require SDK packages by their bare names.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { scalerProvider } from "../../provider/dynamic";
import { requiredModules, serializeLikeDynamicResource } from "../helpers/serialize";
import { awsEnv, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FAKE_SESSION_TOKEN } from "../helpers/env";

const ENV_SENTINEL = "spot-ecs-env-sentinel-7f3a9c";

describe("serialized scaler provider", () => {
    let text: string;
    let containsSecrets: boolean;
    let restore: () => void;

    before(async () => {
        restore = awsEnv("http://127.0.0.1:9");
        process.env.SPOT_ECS_TEST_SENTINEL = ENV_SENTINEL;
        const result = await serializeLikeDynamicResource(scalerProvider);
        text = result.text;
        containsSecrets = result.containsSecrets;
    });

    after(() => {
        delete process.env.SPOT_ECS_TEST_SENTINEL;
        restore();
    });

    it("serializes to a module exporting the provider", () => {
        assert.match(text, /^exports\.handler = /);
        for (const hook of ["check", "diff", "create", "update", "read", "delete"]) {
            assert.match(text, new RegExp(`\\b${hook}\\b`), `has ${hook}`);
        }
    });

    it("captures no secret", () => {
        assert.equal(containsSecrets, false);
    });

    it("contains no credential, endpoint or other environment value", () => {
        for (const value of [FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FAKE_SESSION_TOKEN, ENV_SENTINEL, "127.0.0.1:9"]) {
            assert.ok(!text.includes(value), `serialized text contains ${value}`);
        }
        assert.ok(!/process\.env\.AWS_/.test(text), "reads no AWS_* variable itself");
    });

    it("requires the AWS SDK packages by bare package name, nothing else", () => {
        assert.deepEqual(requiredModules(text), [
            "@aws-sdk/client-auto-scaling",
            "@aws-sdk/client-cloudwatch",
            "@aws-sdk/client-dynamodb",
            "@aws-sdk/client-ec2",
            "@aws-sdk/client-ecs",
            "@aws-sdk/client-elastic-load-balancing-v2",
        ]);
    });

    it("uses no construct the serializer cannot carry: subclassed built-ins, module-level Sets or Maps", () => {
        const files = fs.readdirSync(path.join(__dirname, "../../provider"), { recursive: true, encoding: "utf8" })
            .filter((f) => f.endsWith(".ts") && !f.startsWith("sim"));
        for (const file of files) {
            const source = fs.readFileSync(path.join(__dirname, "../../provider", file), "utf8");
            assert.ok(!/class \w+ extends (Error|Map|Set|Array|Promise)\b/.test(source), `${file} subclasses a built-in`);
            assert.ok(!/^(export )?(const|let) \w+[^=]*= new (Set|Map)\b/m.test(source), `${file} has a module-level Set or Map`);
        }
    });

    it("serializes the same text every time, so unchanged code causes no diff", async () => {
        assert.equal((await serializeLikeDynamicResource(scalerProvider)).text, text);
    });
});
