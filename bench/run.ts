// `npm run bench`: runs every benchmark, prints the tables with the targets beside the measured
// figures, and writes bench/results.json. A benchmark never fails on a timing; it reports.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { apiCallRows, ApiCallsRow } from "./apiCost";
import { planCurve, PlanCurvePoint, planTime, PlanTime } from "./planTime";
import { BENCH_TIMINGS, LATENCY_TIMINGS, latencyRows, replacementRows, ReplacementRow } from "./replacement";
import { AWS_NETWORK, describeNetwork } from "../provider/sim/network";
import { observeCurve, ObservePoint } from "./observeCost";
import { wholeUpRows, WholeUpRow } from "./wholeUp";
import { DEMAND_SHAPES, demandTrace, packingFloor, runTrace, SHAPE_TEXT, traceResults, TraceResult, TraceSeed, traceSeeds, TradeOff, tradeOffs } from "./trace";

export interface BenchSizes {
    replacement: number[];
    /** Fleet sizes replaced at full surge with latency and throttling. */
    replacementWithLatency: number[];
    /** Fleet size of the replacement row with the package's draining defaults. */
    replacementDefaultsAt?: number;
    apiCalls: number[];
    plan: { instances: number; tasksPerInstance: number; runs: number };
    /** Cluster sizes of the plan-time curve (realistic clusters, about 10 tasks per instance). */
    planCurve: number[];
    /** Cluster sizes of the observe-cost curve (the same clusters). */
    observeCurve: number[];
    /** Cluster sizes of the whole-`pulumi up` request counts. */
    wholeUp: number[];
    traceMinutes: number;
    /** Seeds of the demand trace's spread (the first is the trace reported in full). */
    traceSeeds: number[];
}

export const FULL_SIZES: BenchSizes = {
    replacement: [10, 100, 500],
    replacementWithLatency: [100, 1000, 2000],
    replacementDefaultsAt: 100,
    apiCalls: [10, 100, 1000],
    plan: { instances: 5000, tasksPerInstance: 10, runs: 25 },
    planCurve: [1250, 2500, 5000, 10000, 20000],
    observeCurve: [1250, 2500, 5000, 10000, 20000],
    wholeUp: [1000, 5000],
    traceMinutes: 1440,
    traceSeeds: [42, 7, 11, 23, 99],
};

export interface BenchResults {
    machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string; date: string };
    timings: typeof BENCH_TIMINGS;
    replacement: ReplacementRow[];
    apiCalls: ApiCallsRow[];
    planMs: PlanTime;
    planCurve: PlanCurvePoint[];
    observeCurve: ObservePoint[];
    wholeUp: WholeUpRow[];
    /** The latency and throttling model of the rows that use one. */
    network: string;
    traceSeeds: TraceSeed[];
    /** Settings trading cost for pending time, on the base day at the runner's cadence. */
    tradeOffs: TradeOff[];
    trace: { ours: TraceResult; fixedPeak: TraceResult; stepScaling: TraceResult;
        droughtFallback: TraceResult; droughtNoFallback: TraceResult; runner: TraceResult;
        /** Instance-hours of the packing floor: each minute exactly the instances its tasks need. */
        floor: number };
}

export async function runBenchmarks(sizes: BenchSizes, log: (line: string) => void = () => undefined): Promise<BenchResults> {
    log("fleet replacement on the simulator …");
    const replacement = [...await replacementRows(sizes.replacement, [100, 10], undefined, sizes.replacementDefaultsAt),
        ...await latencyRows(sizes.replacementWithLatency, AWS_NETWORK)];
    log("API cost of one reconcile against moto …");
    const apiCalls = await apiCallRows(sizes.apiCalls);
    log("plan time …");
    const planMs = planTime(sizes.plan.instances, sizes.plan.tasksPerInstance, sizes.plan.runs);
    log("plan-time curve …");
    const curve = planCurve(sizes.planCurve, 10, 5);
    log("observe cost …");
    const observed = await observeCurve(sizes.observeCurve, AWS_NETWORK);
    log("requests of a whole pulumi up …");
    const wholeUp = await wholeUpRows(sizes.wholeUp, AWS_NETWORK);
    log("24-hour demand trace …");
    const trace = demandTrace(42, sizes.traceMinutes);
    const traces = await traceResults(trace);
    // The runner's cadence: a bounded step every minute, under the lease.
    const runner = await runTrace("ours", trace, 1, {}, undefined, true);
    // A two-hour Spot drought over the morning rise, with the fallback to On-Demand and without it.
    const drought = { startMinute: Math.floor(sizes.traceMinutes * 0.35), minutes: Math.max(10, Math.floor(sizes.traceMinutes / 12)) };
    const droughtFallback = await runTrace("ours", trace, 10, {}, drought);
    const droughtNoFallback = await runTrace("ours", trace, 10, { spotFallbackAfterSeconds: 86400 }, drought);
    log("demand shapes over seeds …");
    const seeds = await traceSeeds(sizes.traceSeeds, sizes.traceMinutes);
    log("cost against pending time …");
    const trade = await tradeOffs(trace);
    const cpus = os.cpus();
    return {
        machine: {
            cpu: cpus[0]?.model ?? "unknown", cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
            node: process.version, platform: `${os.platform()} ${os.arch()}`, date: new Date().toISOString().slice(0, 10),
        },
        timings: BENCH_TIMINGS,
        replacement,
        apiCalls,
        planMs,
        planCurve: curve,
        observeCurve: observed,
        wholeUp,
        network: describeNetwork(AWS_NETWORK),
        traceSeeds: seeds,
        tradeOffs: trade,
        trace: { ...traces, droughtFallback, droughtNoFallback, runner, floor: packingFloor(trace) },
    };
}

function table(headers: string[], rows: (string | number)[][]): string {
    const cells = [headers, ...rows.map((r) => r.map(String))];
    const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    return [line(headers), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}

const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

/** The results as Markdown tables, targets beside measured figures. */
export function report(r: BenchResults): string {
    const t = r.timings;
    const out: string[] = [];
    out.push(`Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.machine.platform}, ${r.machine.date}.`);
    out.push(`Simulated durations: boot and registration ${t.bootSeconds} s, target deregistration delay ${t.deregistrationDelaySeconds} s, `
        + `task stop ${t.taskStopSeconds} s, task start ${t.taskStartSeconds} s (step ${t.tickSeconds} s).`, "");
    out.push("Fleet replacement (virtual seconds; 8 service tasks per instance, min healthy 50%, max 200%; simulated AWS calls take no time).",
        "The scaler runs with every instance in one batch, draining.minHealthyPercent 100 and a one-day deadline, except the row marked",
        "defaults, which uses the package's draining defaults (batch 1, min healthy 100%, one-hour deadline):", "");
    const bench = r.replacement.filter((row) => !row.defaults && row.latency === "none");
    out.push(table(["instances", "surge", "scaler s", "physical bound s", "÷ physical", "one-wave bound s", "÷ bound (target ≤ 1.3 at full surge)",
        "one-at-a-time s", "speed-up (target ≥ 20× at 100)", "instance refresh s", "tasks lost", "min-healthy violations"],
    bench.map((row) => [row.instances, `${row.surgePercent}%`, row.seconds, row.physicalBoundSeconds, x(row.seconds, row.physicalBoundSeconds),
        row.lowerBoundSeconds, x(row.seconds, row.lowerBoundSeconds),
        row.oneAtATimeSeconds ?? "", x(row.oneAtATimeSeconds ?? 0, row.seconds), row.instanceRefreshSeconds ?? "", row.tasksLost, row.minHealthyViolations])), "");
    for (const row of r.replacement.filter((x) => x.defaults)) {
        out.push(`With the package defaults, ${row.instances} instances at full surge: ${row.replaced} of ${row.instances} replaced in the first `
            + `pulumi up (${row.seconds} s${row.replaced < row.instances ? ", stopped by the one-hour maxUpdateSeconds; the next pulumi up goes on" : ""}), `
            + `tasks lost ${row.tasksLost}. Raise draining.batchSize for large fleets.`, "");
    }
    const withLatency = r.replacement.filter((row) => row.latency !== "none");
    if (withLatency.length > 0) {
        out.push(`The same at full surge with every AWS request simulated: ${describeNetwork(AWS_NETWORK)}; the scaler paces itself to `
            + `half of each bucket's burst and its sustained rate. Boot and registration take ${LATENCY_TIMINGS.bootSeconds} to `
            + `${LATENCY_TIMINGS.bootSeconds + (LATENCY_TIMINGS.bootSpreadSeconds ?? 0)} s, different for each instance:`, "");
        out.push(table(["instances", "scaler s", "physical bound s", "÷ physical (target ≤ 1.3)", "AWS requests", "throttled", "tasks lost",
            "min-healthy violations"],
        withLatency.map((row) => [row.instances, Math.round(row.seconds), row.physicalBoundSeconds, x(row.seconds, row.physicalBoundSeconds),
            row.awsRequests ?? "", row.throttled ?? "", row.tasksLost, row.minHealthyViolations])), "");
    }
    out.push("API requests of one reconcile (observe + plan, no action) against moto, ECS page and batch limits enforced:", "");
    out.push(table(["instances", "tasks", "requests", "with task details", "budget 5 + 3⌈i/100⌉ + 2⌈t/100⌉", "by operation (with task details)"],
        r.apiCalls.map((row) => [row.instances, row.tasks, row.requests, row.withTaskDetails.requests, row.budget,
            Object.entries(row.withTaskDetails.byOperation).map(([k, v]) => `${k} ${v}`).join(", ")])), "");
    out.push(`Plan time: ${r.planMs.instances} instances, ${r.planMs.tasks} tasks, median of ${r.planMs.runs} runs: `
        + `${r.planMs.medianMs} ms (target < 250 ms; scale-in check ${r.planMs.byScenario.scaleIn} ms, replacement ${r.planMs.byScenario.replacement} ms).`, "");
    out.push("Plan time on realistic clusters (three instance types, four task sizes, tasks placed at random; median of 5 runs): a scale-in "
        + "on a cluster about half as loaded, with its own reservation readings, and the replacement of a quarter of a fuller one:", "");
    const sizesInCurve = [...new Set(r.planCurve.map((p) => p.instances))];
    out.push(table(["instances", "scale-in: tasks", "instances it drains", "scale-in ms", "target", "replacement: tasks", "replacement of a quarter ms"],
        sizesInCurve.map((n) => {
            const at = (scenario: string) => r.planCurve.find((p) => p.instances === n && p.scenario === scenario)!;
            return [n, at("scaleIn").tasks, at("scaleIn").victims, at("scaleIn").medianMs, n === 20000 ? "< 250 ms" : "", at("replacement").tasks,
                at("replacement").medianMs];
        })), "");
    out.push(`Observing a realistic cluster with task details (both reservations low), with ${r.network}. Requests as the AWS Cloud sends `
        + "them; virtual seconds with the latency and the pacing to AWS's quotas (ECS allows 20 cluster reads a second); the scaler's "
        + "CPU on the answers (median of 3 runs), and the AWS SDK's CPU for the ECS list and describe pages (each page's cost measured "
        + "on a canned answer, times the pages):", "");
    out.push(table(["instances", "tasks", "requests", "seconds", "scaler CPU ms", "AWS SDK CPU ms"],
        r.observeCurve.map((p) => [p.instances, p.tasks, p.requests, p.seconds, p.cpuMs, p.sdkCpuMs])), "");
    out.push("AWS requests of a whole pulumi up that acts (check, check, update: each observes; the update then carries the plan out), "
        + "on the simulator; a replacement in batches of 10% of the fleet, and a scale-in:", "");
    out.push(table(["instances", "tasks", "pulumi up", "requests", "of which the execution", "outcome", "top operations"],
        r.wholeUp.map((w) => [w.instances, w.tasks, w.scenario === "replace" ? "replaces the fleet" : "scales in", w.requests, w.executionRequests,
            w.outcome, Object.entries(w.byOperation).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${v}`).join(", ")])), "");
    out.push("24-hour demand trace (reconcile every 10 min, as scheduled deploys would, or a runner step every minute; scale-out alarms between):", "");
    const rows: [string, TraceResult][] = [["scaler (defaults), every 10 min", r.trace.ours], ["scaler, runner every minute", r.trace.runner],
        ["fixed at peak", r.trace.fixedPeak], ["step scaling, scale-in without drain", r.trace.stepScaling]];
    const floor = r.trace.floor;
    out.push(table(["strategy", "instance-hours", "of fixed peak (target ≤ 60%)", "× packing floor", "pending minutes", "peak pending", "tasks killed"],
        [...rows.map(([name, v]) => [name, v.instanceHours, `${Math.round(v.instanceHours / r.trace.fixedPeak.instanceHours * 100)}%`,
            `${(v.instanceHours / floor).toFixed(2)}×`, v.pendingMinutes, v.peakPending, v.tasksKilled]),
        ["packing floor (each minute exactly ⌈tasks / 8⌉ instances)", floor, `${Math.round(floor / r.trace.fixedPeak.instanceHours * 100)}%`, "1.00×", 0, 0, 0]]));
    out.push("", ...shapeReport(r.traceSeeds));
    out.push("", "Cost against pending time: the base day (seed 42) at the runner's cadence with other settings:", "");
    out.push(table(["settings", "× packing floor", "pending minutes", "peak pending", "tasks killed"],
        r.tradeOffs.map((t) => [t.name, `${t.floorRatio.toFixed(2)}×`, t.pendingMinutes, t.peakPending, t.tasksKilled])));
    out.push("", "The same trace with a Spot drought over the morning rise (every Spot launch fails):", "");
    const drought: [string, TraceResult][] = [["fallback to On-Demand (defaults)", r.trace.droughtFallback],
        ["no fallback", r.trace.droughtNoFallback]];
    out.push(table(["strategy", "instance-hours", "On-Demand instance-hours", "pending minutes", "peak pending", "tasks killed"],
        drought.map(([name, v]) => [name, v.instanceHours, v.onDemandInstanceHours ?? 0, v.pendingMinutes, v.peakPending, v.tasksKilled])));
    return out.join("\n");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Each demand shape over its seeds: the medians against the goals (≤ 1.3× the packing floor at the
 * runner's cadence, ≤ 1.5× every 10 minutes, pending minutes no worse than step scaling at every
 * seed), then every seed.
 */
function shapeReport(seeds: TraceSeed[]): string[] {
    const shapes = DEMAND_SHAPES.filter((s) => seeds.some((t) => t.shape === s));
    const out = [`Demand shapes over ${seeds.filter((t) => t.shape === shapes[0]).length} seeds each, package defaults: medians of instance-hours `
        + "over the packing floor (goals: ≤ 1.30× with a runner step every minute, ≤ 1.50× every 10 min), and the seeds where the scaler "
        + "had more pending minutes than step scaling (goal: none):", ""];
    out.push(table(["shape", "runner every minute", "every 10 min", "step scaling", "fixed peak", "seeds pending more than step scaling", "tasks killed", "failed reconciles"],
        shapes.map((shape) => {
            const rows = seeds.filter((t) => t.shape === shape);
            const worse = rows.filter((t) => Math.max(t.pendingMinutes, t.runnerPendingMinutes) > t.stepScalingPendingMinutes).map((t) => t.seed);
            return [shape, `${median(rows.map((t) => t.runnerFloorRatio)).toFixed(2)}×`, `${median(rows.map((t) => t.floorRatio)).toFixed(2)}×`,
                `${median(rows.map((t) => t.stepScalingFloorRatio)).toFixed(2)}×`, `${median(rows.map((t) => t.fixedPeakFloorRatio)).toFixed(2)}×`,
                worse.length === 0 ? "none" : worse.join(", "), rows.reduce((n, t) => n + t.tasksKilled, 0), rows.reduce((n, t) => n + t.reconcileFailures, 0)];
        })), "");
    out.push(...shapes.map((shape) => `- ${shape}: ${SHAPE_TEXT[shape]}.`), "");
    out.push(table(["shape", "seed", "floor instance-hours", "runner × floor", "runner pending", "10 min × floor", "10 min pending", "step scaling × floor",
        "step scaling pending", "of fixed peak (10 min)"],
    seeds.map((t) => [t.shape, t.seed, t.floor, `${t.runnerFloorRatio.toFixed(2)}×`, t.runnerPendingMinutes, `${t.floorRatio.toFixed(2)}×`, t.pendingMinutes,
        `${t.stepScalingFloorRatio.toFixed(2)}×`, t.stepScalingPendingMinutes, `${Math.round(t.share * 100)}%`])));
    return out;
}

/** The bench's block of docs/performance.md, between its markers. */
export const REPORT_MARKERS = ["<!-- bench-output -->\n", "\n<!-- /bench-output -->"] as const;

/** `page` with the text between its report markers replaced by `text`. */
export function withReport(page: string, text: string): string {
    const start = page.indexOf(REPORT_MARKERS[0]);
    const end = page.indexOf(REPORT_MARKERS[1]);
    if (start < 0 || end < start) throw new Error("docs/performance.md has lost its bench-output markers");
    return page.slice(0, start + REPORT_MARKERS[0].length) + text + page.slice(end);
}

if (require.main === module) {
    const started = Date.now();
    runBenchmarks(FULL_SIZES, (l) => console.error(l)).then((results) => {
        const file = path.join(__dirname, "results.json");
        fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
        const page = path.join(__dirname, "../docs/performance.md");
        fs.writeFileSync(page, withReport(fs.readFileSync(page, "utf8"), report(results)));
        console.log(report(results));
        console.log(`\nWrote ${path.relative(process.cwd(), file)} and ${path.relative(process.cwd(), page)} in ${Math.round((Date.now() - started) / 1000)} s.`);
    }, (error) => {
        console.error(error);
        process.exitCode = 1;
    });
}
