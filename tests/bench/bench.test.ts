// The benchmarks produce every field of results.json (at small sizes; timings are not asserted).
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { report, runBenchmarks, withReport } from "../../bench/run";
import { requestBudget } from "../../bench/apiCost";
import { DEMAND_SHAPES, demandTrace, packingFloor, TRADE_OFFS } from "../../bench/trace";

describe("benchmarks", function () {
    this.timeout(300_000);

    it("produce every field of results.json, and the report shows them", async () => {
        const r = await runBenchmarks({ replacement: [4], replacementWithLatency: [6], replacementDefaultsAt: 4, apiCalls: [3], plan: { instances: 40, tasksPerInstance: 2, runs: 3 },
            planCurve: [20, 40], observeCurve: [30, 60], wholeUp: [20], traceMinutes: 90, traceSeeds: [42, 7] });
        assert.deepEqual(Object.keys(r).sort(), ["apiCalls", "machine", "network", "observeCurve", "planCurve", "planMs", "replacement", "timings",
            "trace", "traceSeeds", "tradeOffs", "wholeUp"]);
        assert.deepEqual(r.observeCurve.map((p) => p.instances), [30, 60]);
        assert.ok(r.observeCurve.every((p) => p.tasks > 0 && p.requests > 0 && p.seconds > 0 && typeof p.cpuMs === "number" && p.sdkCpuMs > 0),
            JSON.stringify(r.observeCurve));
        assert.ok(r.observeCurve[1].requests > r.observeCurve[0].requests, "twice the cluster, more requests");
        assert.deepEqual(r.wholeUp.map((w) => [w.instances, w.scenario]), [[20, "replace"], [20, "scaleIn"]]);
        for (const w of r.wholeUp) {
            assert.equal(w.requests, Object.values(w.byOperation).reduce((a, b) => a + b, 0));
            assert.ok(w.executionRequests > 0 && w.executionRequests < w.requests, JSON.stringify(w));
            assert.match(w.outcome, /^[1-9]\d* instances? drained and terminated$/);
        }
        assert.deepEqual(r.planCurve.map((p) => [p.instances, p.scenario]), [[20, "scaleIn"], [20, "replacement"], [40, "scaleIn"], [40, "replacement"]]);
        assert.ok(r.planCurve.every((p) => p.tasks > 0 && typeof p.medianMs === "number"));
        assert.deepEqual(r.replacement.map((row) => [row.instances, row.surgePercent, row.defaults ?? false, row.latency === "none"]),
            [[4, 100, false, true], [4, 10, false, true], [4, 100, true, true], [6, 100, false, false]]);
        const [latent] = r.replacement.filter((row) => row.latency !== "none");
        assert.match(latent.latency, /median 100 ms/);
        assert.ok(latent.awsRequests! > 0 && latent.throttled === 0 && latent.tasksLost === 0 && latent.replaced === 6, JSON.stringify(latent));
        assert.equal(latent.physicalBoundSeconds, 90 + 30 + 300, "the slowest boot, then the deregistration delay");
        for (const row of r.replacement.filter((x) => x.latency === "none")) {
            assert.ok(row.physicalBoundSeconds <= row.lowerBoundSeconds);
            for (const key of ["seconds", "lowerBoundSeconds", "physicalBoundSeconds", "replaced", "oneAtATimeSeconds", "instanceRefreshSeconds", "tasksLost", "minHealthyViolations"] as const) {
                assert.equal(typeof row[key], "number", key);
            }
            assert.equal(row.tasksLost, 0);
            assert.ok(row.seconds > 0 && row.oneAtATimeSeconds! > 0 && row.instanceRefreshSeconds! > 0);
        }
        const [api] = r.apiCalls;
        assert.deepEqual([api.instances, api.tasks, api.budget], [3, 30, requestBudget(3, 30)]);
        assert.equal(api.requests, Object.values(api.byOperation).reduce((a, b) => a + b, 0));
        assert.ok(api.withTaskDetails.byOperation.DescribeTasks >= 1, "low reservation fetches task details");
        assert.equal(api.byOperation.DescribeTasks, undefined, "mid reservation does not");
        assert.deepEqual([r.planMs.instances, r.planMs.tasks, r.planMs.runs], [40, 80, 3]);
        assert.equal(typeof r.planMs.medianMs, "number");
        for (const k of ["ours", "fixedPeak", "stepScaling", "runner", "droughtFallback", "droughtNoFallback"] as const) {
            assert.deepEqual(Object.keys(r.trace[k]).filter((f) => f !== "reconcileFailures").sort(),
                ["instanceHours", "onDemandInstanceHours", "peakPending", "pendingMinutes", "tasksKilled"], k);
        }
        assert.equal(r.trace.droughtFallback.tasksKilled, 0);
        assert.equal(r.trace.floor, packingFloor(demandTrace(42, 90)));
        assert.ok(r.trace.floor > 0 && r.trace.floor <= r.trace.ours.instanceHours, JSON.stringify(r.trace));
        assert.ok(r.traceSeeds.every((t) => t.floorRatio >= 1), JSON.stringify(r.traceSeeds));
        assert.match(report(r), /\| packing floor \(each minute exactly ⌈tasks \/ 8⌉ instances\) \| [\d.]+ +\| \d+% +\| 1\.00× /);
        assert.match(report(r), /The same trace with a Spot drought/);
        assert.equal(r.trace.ours.tasksKilled, 0);
        const text = report(r);
        assert.match(text, /Fleet replacement/);
        assert.match(text, /\| 4 +\| 100% +\|/);
        assert.match(text, /API requests of one reconcile/);
        assert.match(text, /\| 6 +\| \d+ +\| 420 +\| [\d.]+× +\|/, "the row with latency");
        assert.match(text, /Plan time: 40 instances, 80 tasks/);
        assert.match(text, /Plan time on realistic clusters/);
        assert.match(text, /Observing a realistic cluster/);
        assert.match(text, /\| 20 +\| \d+ +\| replaces the fleet +\|/);
        assert.deepEqual(r.traceSeeds.map((t) => `${t.shape} ${t.seed}`), DEMAND_SHAPES.flatMap((shape) => [`${shape} 42`, `${shape} 7`]));
        assert.ok(r.traceSeeds.every((t) => t.share > 0 && t.tasksKilled === 0 && t.reconcileFailures === 0), JSON.stringify(r.traceSeeds));
        assert.ok(r.traceSeeds.every((t) => t.runnerFloorRatio >= 1 && t.stepScalingFloorRatio >= 1 && t.fixedPeakFloorRatio >= 1), JSON.stringify(r.traceSeeds));
        assert.match(text, /Demand shapes over 2 seeds each/);
        for (const shape of DEMAND_SHAPES) assert.match(text, new RegExp(`\\| ${shape} +\\| [\\d.]+× +\\| [\\d.]+× +\\| [\\d.]+× +\\| [\\d.]+× +\\|`), shape);
        assert.deepEqual(r.tradeOffs.map((t) => t.name), TRADE_OFFS.map((t) => t.name));
        assert.match(text, /Cost against pending time/);
        assert.match(text, /step scaling, scale-in without drain/);
    });

    it("are shown on docs/performance.md as the last run wrote them to results.json", () => {
        const page = fs.readFileSync(path.join(__dirname, "../../docs/performance.md"), "utf8");
        const results = JSON.parse(fs.readFileSync(path.join(__dirname, "../../bench/results.json"), "utf8"));
        assert.equal(withReport(page, report(results)), page);
    });

    it("count the packing floor as each minute's ⌈tasks / 8⌉ instances", () => {
        assert.equal(packingFloor(Array.from({ length: 60 }, () => 8)), 1);
        assert.equal(packingFloor(Array.from({ length: 60 }, () => 9)), 2);
        assert.equal(packingFloor([...Array.from({ length: 30 }, () => 1), ...Array.from({ length: 30 }, () => 24)]), 2);
    });

    it("replay the same demand trace for the same seed", () => {
        assert.deepEqual(demandTrace(7, 100), demandTrace(7, 100));
        assert.notDeepEqual(demandTrace(7, 100), demandTrace(8, 100));
    });
});
