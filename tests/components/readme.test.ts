// The README's argument tables say what the argument declarations say: same names, same defaults, same sentences.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { CASES } from "./validate.test";
import { LATE_CASES } from "./late.test";
import { SCALER_CASES } from "../provider/inputs.test";
import { ARGUMENT_INTERFACES, documentedFields } from "../helpers/tsdoc";

const ROOT = path.join(__dirname, "../..");

/** [name, default, meaning] of each documented field of an argument interface. */
function documented(iface: keyof typeof ARGUMENT_INTERFACES): [string, string, string][] {
    const [file, name] = ARGUMENT_INTERFACES[iface];
    return documentedFields(file, name).map((f) => [f.name, f.default, f.sentence]);
}

/** Table rows of the README section that starts with `heading`. */
function readmeRows(heading: string, file = "README.md"): [string, string, string][] {
    const readme = fs.readFileSync(path.join(ROOT, file), "utf8");
    const start = readme.indexOf(heading);
    assert.ok(start >= 0, `README has ${heading}`);
    const lines = readme.slice(start).split("\n").slice(1);
    const table = lines.slice(lines.findIndex((l) => l.startsWith("| Argument")) + 2);
    const rows: [string, string, string][] = [];
    for (const line of table) {
        if (!line.startsWith("| `")) break;
        const [name, def, meaning] = line.split(" | ").map((c) => c.replace(/^\| /, "").replace(/ \|$/, ""));
        rows.push([name.replace(/`/g, ""), def, meaning]);
    }
    return rows;
}

describe("README", () => {
    for (const [heading, iface] of [
        ["`SpotEcsClusterArgs` (defaults", "SpotEcsClusterArgs"],
        ["`scaling` (`ScalingArgs`)", "ScalingArgs"],
        ["`draining` (`DrainingArgs`)", "DrainingArgs"],
        ["`runner` (`RunnerArgs`)", "RunnerArgs"],
    ] as [string, keyof typeof ARGUMENT_INTERFACES][]) {
        it(`documents every ${iface} field with the default and sentence of its declaration`, () => {
            assert.deepEqual(readmeRows(heading), documented(iface));
        });
    }

    it("documents every InstanceRequirementsArgs field in docs/instance-types.md with the default and sentence of its declaration", () => {
        assert.deepEqual(readmeRows("`instanceRequirements` (`InstanceRequirementsArgs`)", "docs/instance-types.md"), documented("InstanceRequirementsArgs"));
    });

    it("states in docs/reliability.md how many invalid inputs the suite tries, and how they split", () => {
        const readme = fs.readFileSync(path.join(ROOT, "docs/reliability.md"), "utf8");
        const total = CASES.length + SCALER_CASES.length + LATE_CASES.length;
        assert.ok(total >= 50);
        assert.ok(readme.includes(`**Bad input**: ${total} invalid inputs are tried with their exact messages: ${CASES.length} component arguments`));
        assert.ok(readme.includes(`${SCALER_CASES.length} scaler inputs in \`check\`, and ${LATE_CASES.length} arguments whose values are known only`));
    });

    it("gives the test command that CI runs", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const ci = fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8");
        assert.match(readme, /```sh\n[^`]*npm ci\nnpm test\n```/);
        assert.match(ci, /^npm ci\b.*$/m);
        assert.match(ci, /^npm test$/m);
    });

    it("is at most 450 lines and links every page of docs/ and CONTRIBUTING.md", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const lines = readme.replace(/\n$/, "").split("\n").length;
        assert.ok(lines <= 450, `${lines} lines`);
        const pages = [...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`), "CONTRIBUTING.md"];
        for (const page of pages) assert.ok(readme.includes(`](${page})`), `README links ${page}`);
    });

    it("links only to headings and files that exist", () => {
        for (const file of ["README.md", "CONTRIBUTING.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)]) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            const anchors = new Set([...text.matchAll(/^#+ (.+)$/gm)].map((m) => m[1].toLowerCase().replace(/[^\w\s-]/g, "").trim().replace(/\s+/g, "-")));
            for (const m of text.matchAll(/\]\(([^)#\s]*)(#[^)\s]+)?\)/g)) {
                const [, target, anchor] = m;
                if (/^https?:/.test(target)) continue;
                if (target !== "") assert.ok(fs.existsSync(path.join(ROOT, path.dirname(file), target)), `${file} links ${target}, which does not exist`);
                else if (anchor !== undefined) assert.ok(anchors.has(anchor.slice(1)), `${file} links ${anchor}, which is no heading of it`);
            }
        }
    });
});
