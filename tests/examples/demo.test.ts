// The demo story on the simulated cluster, and its timeline picture rendered in a real browser.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DemoResult, runDemo } from "../../examples/demo/story";
import { renderTimelineHtml, renderTimelineSvg } from "../../examples/demo/timeline";

/** Debian's Chromium, where `.ci/run` installs it; CHROMIUM names another binary. */
function findChromium(): string | undefined {
    const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter((c): c is string => c !== undefined);
    return candidates.find((c) => fs.existsSync(c));
}

describe("demo", function () {
    this.timeout(120_000);
    let result: DemoResult;
    let output: string;

    before(async () => {
        const started = Date.now();
        result = await runDemo();
        output = result.text.join("\n");
        assert.ok(Date.now() - started < 30_000, "the demo finishes in seconds");
    });

    it("shows each step's plan as preview --diff shows the plan property", () => {
        assert.match(output, /━━ A CPU spike: web scales from 20 to 44 tasks ━━\n\$ pulumi preview --diff\n  ~ pulumi-nodejs:dynamic\/spot-ecs:Scaler: \(update\)\n.*\n    ~ plan: \[\n        \+ \[0\]: "scale out 6 → 9: CPUReservation 99% > 88% over 2 min; service web cannot place 11 tasks \(ECS: [^"]*\)"\n      \]/);
        assert.match(output, /━━ Steady state: nothing to do ━━\n\$ pulumi preview --diff\n  demo-scaler: no changes/);
        // The new template's version is unknown in a real preview: the plan names the version this update creates.
        assert.match(output, /\+ \[\d\]: "replace i-\w+ \(launch template v1 → the version this update creates\): drain \d+ tasks?, batch 1 of \d"/);
        assert.match(output, /\$ pulumi up\n(.*\n)*?  \[demo\] replace i-\w+ \(launch template v1 → v2\): drain \d+ tasks?, batch 1 of \d/);
    });

    it("runs each plan with pulumi up's progress lines", () => {
        assert.match(output, /\$ pulumi up\n  \[demo\] scale out 6 → 9: CPUReservation 99% > 88% over 2 min; service web cannot place 11 tasks \(ECS: .*\)\n  \[demo\] desired capacity 6 → 9\n/);
        assert.match(output, /  \[demo\] stopped standalone task \S+ \(family:nightly-report\) on i-\w+: drain timeout, draining.standaloneTasks is "stop"/);
        assert.match(output, /  \[demo\] terminated i-\w+ \(desired capacity lowered by 1\)/);
    });

    it("replaces every instance, moves tasks and loses none", () => {
        const ami = result.steps.find((s) => s.step.startsWith("A new AMI"))!;
        assert.equal(ami.instancesReplaced, 9);
        assert.ok(ami.tasksMoved > 0);
        assert.deepEqual(result.steps.map((s) => s.tasksLost), [0, 0, 0, 0]);
        assert.ok(result.world.liveInstances().every((i) => i.ltVersion === "2"));
        assert.deepEqual(result.world.violations, []);
        assert.match(output, /^Done: 9 instances replaced, \d+ tasks moved, tasks lost: 0, \d+ min \d\d s of virtual time\.$/m);
    });

    it("scales in once demand drops", () => {
        const drop = result.steps.find((s) => s.step.startsWith("Demand drops"))!;
        // 50% of the 10 instances at most (maxScaleInPercent), Spot ones, the On-Demand base kept.
        assert.equal(drop.instancesRemoved, 5);
        assert.match(output, /━━ Demand drops: web down to 4 tasks ━━[^━]*scale in 10 → 7: CPUReservation at most/);
        assert.deepEqual(result.world.liveInstances().map((i) => i.lifecycle).sort(), ["on-demand", "on-demand", "spot", "spot", "spot"]);
    });

    it("prints what docs/demo.md shows, every line of it", () => {
        const page = fs.readFileSync(path.join(__dirname, "../../docs/demo.md"), "utf8");
        const block = /<!-- demo-output -->\n```\n([^]*?)\n```\n<!-- \/demo-output -->/.exec(page);
        assert.ok(block, "docs/demo.md has the demo output block");
        assert.equal(block[1], output, "docs/demo.md shows the demo's whole output");
    });

    it("prints what the README shows of it, in order and uncut but where it says so", () => {
        const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
        const block = /<!-- demo-output -->\n```\n([^]*?)\n```\n<!-- \/demo-output -->/.exec(readme);
        assert.ok(block, "README has the demo output block");
        const shown = block[1].split("\n");
        assert.ok(shown.length > 10);
        // The README shows a run of the demo's lines, whole and in order, and marks where it cuts.
        const first = result.text.indexOf(shown[0]);
        assert.ok(first >= 0, `README line not in the demo's output: ${shown[0]}`);
        assert.deepEqual(shown.slice(0, -1), result.text.slice(first, first + shown.length - 1));
        assert.equal(shown[shown.length - 1], "… (the whole output: docs/demo.md)");
    });

    it("draws every series and marks every step and action in the SVG", () => {
        const svg = renderTimelineSvg(result);
        for (const series of ["active", "draining", "launching", "gone", "tasks"]) assert.match(svg, new RegExp(`data-series="${series}"`));
        assert.equal(svg.match(/data-mark="step"/g)?.length, 4);
        assert.equal(svg.match(/data-mark="action"/g)?.length, result.marks.filter((m) => m.kind === "action").length);
    });

    it("renders in headless Chromium with every series laid out @browser", function () {
        const chromium = findChromium();
        if (chromium === undefined) {
            console.log("      skipped: no Chromium found (.ci/run installs Debian's chromium package; set CHROMIUM to use another)");
            this.skip();
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spot-ecs-demo-"));
        try {
            const file = path.join(dir, "rollout.html");
            fs.writeFileSync(file, renderTimelineHtml(renderTimelineSvg(result)));
            const r = spawnSync(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${path.join(dir, "profile")}`,
                "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 60_000 });
            const match = /<pre id="render-check"[^>]*>([^<]*)<\/pre>/.exec(r.stdout);
            assert.ok(match, `Chromium printed no rendered page: ${r.stderr.slice(0, 500)}`);
            const check = JSON.parse(match[1]);
            for (const series of ["active", "draining", "launching", "gone", "tasks"]) {
                assert.ok(check[series].width > 800, `${series} spans the plot (${JSON.stringify(check[series])})`);
                assert.ok(check[series].height > 0, `${series} has height`);
            }
            assert.equal(check.marks, result.marks.length);
            assert.equal(check.legend, 5);
            // A picture read at a glance: no label over another, none cut off, ticks on round numbers,
            // and the right axis's labels on the same gridlines as the left's.
            assert.ok(check.labels > 20, `${check.labels} labels`);
            assert.deepEqual(check.overlaps, [], "overlapping labels");
            assert.deepEqual(check.outside, [], "labels outside the picture");
            const round = (v: number) => v > 0 && [1, 2, 5].some((m) => Number.isInteger(Math.log10(v / m)) && v / m >= 1);
            for (const axis of [check.left, check.right] as { value: number; y: number }[][]) {
                const step = axis[1].value - axis[0].value;
                assert.ok(round(step), `tick step ${step} is 1, 2 or 5 × 10^k`);
                assert.ok(axis.every((t, i) => t.value === i * step), JSON.stringify(axis));
            }
            assert.deepEqual(check.right.map((t: { y: number }) => t.y), check.left.map((t: { y: number }) => t.y), "right-axis labels sit on the gridlines");
            const minutes = check.x.map((t: string) => Number(t.replace(" min", "")));
            assert.ok(round(minutes[1] - minutes[0]), `time ticks every ${minutes[1] - minutes[0]} min`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
