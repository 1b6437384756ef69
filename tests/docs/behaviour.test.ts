// The behaviour catalogue (docs/aws-behaviour.md) names the tests that pin each AWS behaviour; hold
// those names to the test files, so a renamed or deleted test cannot leave a line pointing at nothing.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const CATALOGUE = fs.readFileSync(path.join(ROOT, "docs/aws-behaviour.md"), "utf8");

function testFile(name: string): string {
    for (const dir of ["tests/provider", "tests/components", "tests/docs", "tests/examples", "tests/plugin"]) {
        const p = path.join(ROOT, dir, name);
        if (fs.existsSync(p)) return fs.readFileSync(p, "utf8");
    }
    throw new Error(`docs/aws-behaviour.md names ${name}, which is not a test file`);
}

describe("docs/aws-behaviour.md", () => {
    const rows = CATALOGUE.split("\n").filter((l) => /^\| [A-Z]\d+ \|/.test(l));

    it("has a source page, a simulator rule and a test on every line", () => {
        assert.ok(rows.length >= 15, `${rows.length} behaviours`);
        for (const row of rows) {
            const cells = row.split(" | ");
            assert.equal(cells.length, 5, row);
            // AWS behaviour cites AWS's documentation; the engine's cites the source that implements it.
            const source = cells[0].startsWith("| P") ? /https:\/\/(github\.com\/(pulumi|hashicorp)\/|www\.pulumi\.com\/docs\/)/ : /https:\/\/docs\.aws\.amazon\.com\//;
            assert.match(cells[2], source, `${cells[0]} cites its source`);
            assert.match(cells[4], /\.test\.ts/, `${cells[0]} names a test`);
        }
    });

    it("names only tests that exist", () => {
        let named = 0;
        for (const row of rows) {
            const cell = row.split(" | ")[4];
            // `file.test.ts "title", "title"; other.test.ts "title"`
            for (const part of cell.split(";")) {
                const file = /(\w+\.test\.ts)/.exec(part)?.[1];
                if (file === undefined) continue;
                const text = testFile(file);
                for (const m of part.matchAll(/"([^"]+)"/g)) {
                    const title = m[1].split("…")[0];
                    assert.ok(text.includes(title), `${row.slice(0, 6)}: ${file} has no test "${title}"`);
                    named++;
                }
            }
        }
        assert.ok(named >= 15, `${named} test titles checked`);
    });

    it("names simulator rules that are defined in the files it names", () => {
        let named = 0;
        for (const row of rows) {
            const cell = row.split(" | ")[3];
            // `name` (`sim/file.ts`): the function, type or constant `name` defined in provider/sim/file.ts.
            for (const m of cell.matchAll(/`(\w+)` \(`([\w/]+\.ts)`\)/g)) {
                const file = path.join(ROOT, "provider", m[2]);
                assert.ok(fs.existsSync(file), `${row.slice(0, 6)}: provider/${m[2]} does not exist`);
                const source = fs.readFileSync(file, "utf8");
                const defined = new RegExp(`(function\\*? |const |class |interface |type |^\\s+(async )?)${m[1]}\\b`, "m");
                assert.match(source, defined, `${row.slice(0, 6)}: ${m[1]} is not defined in provider/${m[2]}`);
                named++;
            }
        }
        assert.ok(named >= 30, `${named} rules checked`);
    });
});
