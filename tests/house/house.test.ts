// The shape of the code, held by tests: the modules of provider/ and components/ import one another
// without a circle (so each stands above all it imports), functions stay short, and every test that
// needs more than Node itself says so in its title, so that `npm run test:fast` leaves it out.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");

/** Every .ts file under `dirs` (relative to the repository), as repository paths. */
function sources(...dirs: string[]): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, e.name);
            if (e.isDirectory()) walk(rel);
            else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) out.push(rel);
        }
    };
    dirs.forEach(walk);
    return out.sort();
}

/** The files of the repository that `file` imports (type-only imports too), resolved as Node resolves them. */
function importsOf(file: string): string[] {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), "utf8"), true, true);
    return info.importedFiles.map((f) => f.fileName).filter((name) => name.startsWith(".")).flatMap((name) => {
        const base = path.join(path.dirname(file), name);
        return [`${base}.ts`, path.join(base, "index.ts")].filter((p) => fs.existsSync(path.join(ROOT, p))).slice(0, 1);
    });
}

/** A circle of imports among `files`, as the files in order, or undefined when there is none. */
function findCircle(files: string[], imports: (file: string) => string[] = importsOf): string[] | undefined {
    const graph = new Map(files.map((f) => [f, imports(f).filter((i) => files.includes(i))]));
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string): string[] | undefined => {
        if (state.get(f) === "done") return undefined;
        if (state.get(f) === "open") return [...stack.slice(stack.indexOf(f)), f];
        state.set(f, "open");
        stack.push(f);
        for (const next of graph.get(f)!) {
            const circle = visit(next);
            if (circle !== undefined) return circle;
        }
        stack.pop();
        state.set(f, "done");
        return undefined;
    };
    for (const f of files) {
        const circle = visit(f);
        if (circle !== undefined) return circle;
    }
    return undefined;
}

/** The longest a function may be, in lines, unless its comment says why it is longer. */
const MAX_FUNCTION_LINES = 100;
const LONG_NOTE = "Longer than 100 lines because";

/** Functions of `file` longer than MAX_FUNCTION_LINES whose leading comment does not explain why. */
function longFunctions(file: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const out: string[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
            const first = sf.getLineAndCharacterOfPosition(node.getStart()).line;
            const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
            const comment = text.slice(node.getFullStart(), node.getStart());
            if (last - first + 1 > MAX_FUNCTION_LINES && !comment.includes(LONG_NOTE)) {
                const name = (node as { name?: ts.Node }).name?.getText() ?? "(anonymous)";
                out.push(`${file}:${first + 1} ${name} is ${last - first + 1} lines`);
            }
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return out;
}

describe("the house", () => {
    const code = sources("provider", "components");

    it("has no circle of imports among the modules of provider/ and components/", () => {
        assert.ok(code.length > 40, `${code.length} modules read`);
        assert.equal(findCircle(code)?.join(" → "), undefined);
    });

    it("reads imports as Node resolves them, and finds a circle where there is one", () => {
        assert.ok(importsOf("provider/reconcile.ts").includes("provider/planner/index.ts"), "a folder import resolves to its index");
        assert.ok(importsOf("provider/aws/ecs.ts").includes("provider/placement.ts"), "a type import counts");
        const graph: Record<string, string[]> = { a: ["b"], b: ["c"], c: ["a"], d: ["a"] };
        assert.deepEqual(findCircle(["d", "a", "b", "c"], (f) => graph[f]), ["a", "b", "c", "a"]);
        assert.equal(findCircle(["d", "a", "b"], (f) => graph[f]), undefined);
    });

    it(`has no function longer than ${MAX_FUNCTION_LINES} lines in provider/ or components/ without a note saying why`, () => {
        assert.deepEqual(code.flatMap(longFunctions), []);
    });

    it("tags every test that needs moto, the SDK's host, a packed package or a browser, so that test:fast leaves it out", () => {
        const needs: [RegExp, string][] = [
            [/startMoto\(/, "@moto|@host|@package"],
            [/startHost\(|hostSuite\(/, "@host|@package"],
            [/\["pack"/, "@package"],
            [/findChromium\(\)/, "@browser"],
        ];
        for (const file of sources("tests").filter((f) => f.endsWith(".test.ts"))) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            for (const [uses, tags] of needs) {
                if (uses.test(text)) assert.match(text, new RegExp(`"[^"]*(${tags})"`), `${file} needs ${tags} in a title`);
            }
        }
    });
});
