// The package's examples for other languages, held to the component's arguments, and the reason the
// scaler is a resource of the package there: the Node.js dynamic-provider plugin looks for its host
// from the program's directory (docs/packages.md).
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { documentedFields } from "../helpers/tsdoc";

const ROOT = path.join(__dirname, "../..");
/** What `pulumi-resource-pulumi-nodejs` runs first to find the dynamic-provider host (pulumi/pulumi sdk/nodejs/dist). */
const FIND_HOST = "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))";

const ARGUMENTS = new Set(documentedFields("components/args.ts", "SpotEcsClusterArgs").map((f) => f.name));
const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

describe("the spot-ecs package from other languages", () => {
    it("is the plugin of the same release: named spot-ecs, at the package's version, on the Node.js runtime", () => {
        const plugin = JSON.parse(fs.readFileSync(path.join(ROOT, "plugin/package.json"), "utf8"));
        const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.deepEqual([plugin.name, plugin.version, plugin.main], ["spot-ecs", root.version, "index.ts"]);
        assert.match(fs.readFileSync(path.join(ROOT, "plugin/PulumiPlugin.yaml"), "utf8"), /^runtime:\n {2}name: nodejs\n/);
    });

    it("the Python example passes only the component's arguments, in the SDK's snake_case, and compiles", () => {
        const source = fs.readFileSync(path.join(ROOT, "examples/python/__main__.py"), "utf8");
        const call = /spot_ecs\.SpotEcsCluster\(\s*"web",([^]*?)\n\)/.exec(source);
        assert.ok(call !== null, "the example constructs a SpotEcsCluster");
        const keywords = [...call[1].matchAll(/^\s{4}(\w+)=/gm)].map((m) => m[1]);
        assert.ok(keywords.length >= 5);
        for (const k of keywords) assert.ok(ARGUMENTS.has(camel(k)), `${k} is ${camel(k)}, an argument of SpotEcsCluster`);
        const compiled = spawnSync("python3", ["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", path.join(ROOT, "examples/python/__main__.py")]);
        assert.equal(compiled.status, 0, String(compiled.stderr));
    });

    it("the YAML example uses the package's type token and only the component's arguments", () => {
        const source = fs.readFileSync(path.join(ROOT, "examples/yaml/Pulumi.yaml"), "utf8");
        assert.match(source, /type: spot-ecs:index:SpotEcsCluster\n/);
        const properties = source.slice(source.indexOf("    properties:\n")).split("\n").slice(1);
        const keys = properties.filter((l) => /^ {6}\w+:/.test(l)).map((l) => l.trim().split(":")[0]);
        assert.ok(keys.length >= 5);
        for (const k of keys) assert.ok(ARGUMENTS.has(k), `${k} is an argument of SpotEcsCluster`);
        assert.match(source, /runner:\n {8}enabled: false\n/, "runner: false is runner.enabled false in the package");
    });

    it("the Node.js dynamic-provider plugin's lookup finds its host from a Node.js project's directory, and nothing from another language's", () => {
        const python = fs.mkdtempSync(path.join(os.tmpdir(), "spot-ecs-python-"));
        try {
            fs.writeFileSync(path.join(python, "Pulumi.yaml"), "name: web\nruntime: python\n");
            fs.writeFileSync(path.join(python, "__main__.py"), "import pulumi\n");
            const there = spawnSync(process.execPath, ["-e", FIND_HOST], { cwd: python, encoding: "utf8" });
            assert.notEqual(there.status, 0);
            assert.equal(there.stdout, "", "no host path: the plugin script starts nothing");
            assert.match(there.stderr, /Cannot find module '@pulumi\/pulumi\/cmd\/dynamic-provider'/);
            const node = spawnSync(process.execPath, ["-e", FIND_HOST], { cwd: ROOT, encoding: "utf8" });
            assert.equal(node.status, 0, node.stderr);
            assert.match(node.stdout.trim(), /node_modules\/@pulumi\/pulumi\/cmd\/dynamic-provider\/index\.js$/);
        } finally {
            fs.rmSync(python, { recursive: true, force: true });
        }
    });
});
