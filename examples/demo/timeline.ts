// A timeline of the demo as SVG: instances by state (launching, ACTIVE, DRAINING stacked; gone as a
// running total) and running tasks over time, with the story's steps and the plan's actions marked.
import { TickSample } from "../../provider/sim/world";
import { Mark } from "./story";

export interface TimelineInput {
    samples: TickSample[];
    marks: Mark[];
    start: number;
    end: number;
    world?: { instances: Map<string, { terminatedAt?: number }> };
}

const W = 1000;
const H = 540;
/** The plot area's margins; action labels sit in rows above the plot, step labels below its axis. */
const PAD = { left: 56, right: 64, top: 100, bottom: 110 };
/** Rows for action labels above the plot, and the height of one. */
const ACTION_ROWS = 4;
const ROW_H = 13;
/** Width of a label in pixels at font size 11, by its length (sans-serif, generous). */
const labelWidth = (text: string) => Math.ceil(text.length * 6.4) + 4;

const SERIES = {
    launching: { color: "#5b8def", label: "launching" },
    active: { color: "#2e9e5b", label: "ACTIVE" },
    draining: { color: "#f0a030", label: "DRAINING" },
    gone: { color: "#7a7a7a", label: "gone (terminated, running total)" },
    tasks: { color: "#8e44ad", label: "running tasks (right axis)" },
} as const;

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fixed = (n: number) => Math.round(n * 10) / 10;

/** The smallest of 1, 2, 5 × 10^k that is at least `raw`. */
export function niceStep(raw: number): number {
    const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
}

/**
 * Places labels left to right in `rows` rows so that none overlaps another: each goes into the first
 * row whose last label ends before it starts. Returns the row of each label (undefined when no row has
 * room), and the x at which it is drawn and whether it is anchored at its end (to stay inside `maxX`).
 */
export function placeLabels(labels: { x: number; text: string }[], rows: number, maxX: number):
    { row: number | undefined; x: number; anchorEnd: boolean }[] {
    const ends: number[] = Array.from({ length: rows }, () => -Infinity);
    return labels.map(({ x, text }) => {
        const width = labelWidth(text);
        const anchorEnd = x + 3 + width > maxX;
        const left = anchorEnd ? x - 3 - width : x + 3;
        const row = ends.findIndex((end) => end + 6 <= left);
        if (row >= 0) ends[row] = left + width;
        return { row: row >= 0 ? row : undefined, x: anchorEnd ? x - 3 : x + 3, anchorEnd };
    });
}

/** Keeps one sample in `every` (and the last), enough for a picture. */
function thin(samples: TickSample[], every: number): TickSample[] {
    return samples.filter((_, i) => i % every === 0 || i === samples.length - 1);
}

export function renderTimelineSvg(input: TimelineInput): string {
    const samples = thin(input.samples, Math.max(1, Math.floor(input.samples.length / 600)));
    const t0 = input.start;
    const t1 = Math.max(input.end, t0 + 60_000);
    const plotW = W - PAD.left - PAD.right;
    const plotH = H - PAD.top - PAD.bottom;
    const x = (t: number) => fixed(PAD.left + (t - t0) / (t1 - t0) * plotW);
    const terminations = [...(input.world?.instances.values() ?? [])].map((i) => i.terminatedAt).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    const goneAt = (t: number) => terminations.filter((x) => x <= t).length;
    // Both axes share four gridlines at round numbers: the right axis's step is chosen so that its
    // labels fall on the same lines as the left axis's.
    const DIVISIONS = 4;
    const peakInstances = Math.max(1, ...samples.map((s) => s.instances.launching + s.instances.active + s.instances.draining), goneAt(t1));
    const stepI = niceStep(peakInstances * 1.1 / DIVISIONS);
    const maxInstances = stepI * DIVISIONS;
    const stepT = niceStep(Math.max(1, ...samples.map((s) => s.runningTasks)) * 1.1 / DIVISIONS);
    const maxTasks = stepT * DIVISIONS;
    const yI = (n: number) => fixed(PAD.top + plotH - n / maxInstances * plotH);
    const yT = (n: number) => fixed(PAD.top + plotH - n / maxTasks * plotH);

    // Stacked areas: active at the bottom, draining on top of it, launching on top of both.
    const layers: [keyof typeof SERIES, (s: TickSample) => number, (s: TickSample) => number][] = [
        ["active", () => 0, (s) => s.instances.active],
        ["draining", (s) => s.instances.active, (s) => s.instances.active + s.instances.draining],
        ["launching", (s) => s.instances.active + s.instances.draining, (s) => s.instances.active + s.instances.draining + s.instances.launching],
    ];
    const area = (low: (s: TickSample) => number, high: (s: TickSample) => number) => {
        const top = samples.map((s) => `${x(s.at)},${yI(high(s))}`);
        const bottom = [...samples].reverse().map((s) => `${x(s.at)},${yI(low(s))}`);
        return `M${top.join(" L")} L${bottom.join(" L")} Z`;
    };
    const line = (points: [number, number][]) => `M${points.map(([a, b]) => `${a},${b}`).join(" L")}`;

    const parts: string[] = [];
    parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12" role="img" aria-labelledby="timeline-title">`);
    parts.push(`<title id="timeline-title">Rollout timeline: instances by state and running tasks over time</title>`);
    parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
    parts.push(`<text class="label" x="${PAD.left}" y="22" font-size="15" font-weight="bold">Instances by state and running tasks, ${Math.round((t1 - t0) / 60_000)} min of virtual time</text>`);

    // Grid and axes.
    for (let i = 0; i <= DIVISIONS; i++) {
        const gy = yI(stepI * i);
        parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${gy}" y2="${gy}" stroke="#e4e4e4"/>`);
        parts.push(`<text class="label tick-left" x="${PAD.left - 8}" y="${gy + 4}" text-anchor="end">${stepI * i}</text>`);
        parts.push(`<text class="label tick-right" x="${W - PAD.right + 8}" y="${gy + 4}" fill="${SERIES.tasks.color}">${stepT * i}</text>`);
    }
    const minutes = Math.ceil((t1 - t0) / 60_000);
    const tick = niceStep(minutes / 8);
    for (let m = 0; m <= minutes; m += tick) {
        const tx = x(t0 + m * 60_000);
        parts.push(`<line x1="${tx}" x2="${tx}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH + 4}" stroke="#333"/>`);
        // The first starts at the axis, clear of the left axis's 0.
        parts.push(`<text class="label tick-x" x="${tx}" y="${PAD.top + plotH + 16}" text-anchor="${m === 0 ? "start" : "middle"}">${m} min</text>`);
    }
    parts.push(`<text class="label" transform="translate(16 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">instances</text>`);
    parts.push(`<text class="label" transform="translate(${W - 14} ${PAD.top + plotH / 2}) rotate(90)" text-anchor="middle" fill="${SERIES.tasks.color}">running tasks</text>`);
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" stroke="#333"/>`);

    for (const [key, low, high] of layers) {
        parts.push(`<path data-series="${key}" class="series" d="${area(low, high)}" fill="${SERIES[key].color}" fill-opacity="0.75" stroke="none"><title>${SERIES[key].label}</title></path>`);
    }
    const gonePoints: [number, number][] = samples.map((s) => [x(s.at), Math.min(yI(goneAt(s.at)), PAD.top + plotH - 2)]);
    // Drawn over the axis line, and a little above it at zero, so the running total stays visible.
    parts.push(`<path data-series="gone" class="series" d="${line(gonePoints)}" fill="none" stroke="${SERIES.gone.color}" stroke-width="2.5" stroke-dasharray="6 4"><title>${SERIES.gone.label}</title></path>`);
    const taskPoints: [number, number][] = samples.map((s) => [x(s.at), yT(s.runningTasks)]);
    parts.push(`<path data-series="tasks" class="series" d="${line(taskPoints)}" fill="none" stroke="${SERIES.tasks.color}" stroke-width="2"><title>${SERIES.tasks.label}</title></path>`);
    // Marks: the story's steps (solid, labelled below the axis) and the plan's actions (dashed, labelled
    // in rows above the plot, never over the data). Labels that would collide take another row.
    const steps = input.marks.filter((m) => m.kind === "step");
    const actions = input.marks.filter((m) => m.kind !== "step");
    const stepPlaces = placeLabels(steps.map((m) => ({ x: x(m.at), text: m.label })), 2, W - 4);
    steps.forEach((mark, i) => {
        const mx = x(mark.at);
        const p = stepPlaces[i];
        const ly = PAD.top + plotH + 34 + (p.row ?? 0) * 14;
        parts.push(`<g class="mark" data-mark="step"><line x1="${mx}" x2="${mx}" y1="${PAD.top}" y2="${ly - 10}" stroke="#222" stroke-width="1.5"/>`
            + `<text class="label mark-label" x="${p.x}" y="${ly}" font-size="11" font-weight="bold"${p.anchorEnd ? " text-anchor=\"end\"" : ""}>${escape(mark.label)}</text></g>`);
    });
    const actionPlaces = placeLabels(actions.map((m) => ({ x: x(m.at), text: m.label })), ACTION_ROWS, W - 4);
    actions.forEach((mark, i) => {
        const mx = x(mark.at);
        const p = actionPlaces[i];
        // A label with no free row is left to its line's tooltip.
        const label = p.row === undefined ? ""
            : `<text class="label mark-label" x="${p.x}" y="${PAD.top - 8 - (ACTION_ROWS - 1 - p.row) * ROW_H}" font-size="11"${p.anchorEnd ? " text-anchor=\"end\"" : ""}>${escape(mark.label)}</text>`;
        parts.push(`<g class="mark" data-mark="action"><title>${escape(mark.label)}</title>`
            + `<line x1="${mx}" x2="${mx}" y1="${PAD.top - 8 - (ACTION_ROWS - 1 - (p.row ?? 0)) * ROW_H + 2}" y2="${PAD.top + plotH}" stroke="#222" stroke-dasharray="3 3"/>${label}</g>`);
    });

    // Legend.
    const legend = Object.entries(SERIES);
    legend.forEach(([key, s], i) => {
        const lx = PAD.left + (i % 3) * 300;
        const ly = H - 44 + Math.floor(i / 3) * 20;
        parts.push(`<g class="legend" data-legend="${key}"><rect x="${lx}" y="${ly - 10}" width="14" height="10" fill="${s.color}"/><text class="label" x="${lx + 20}" y="${ly}">${escape(s.label)}</text></g>`);
    });
    parts.push("</svg>");
    return parts.join("\n") + "\n";
}

/**
 * A page embedding the SVG. A small script measures each series as laid out by the browser and
 * writes the result into #render-check, so a headless browser can prove the picture rendered.
 */
export function renderTimelineHtml(svg: string): string {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pulumi-spot-ecs demo: rollout timeline</title>
<style>body { font-family: sans-serif; margin: 24px; }</style>
</head>
<body>
<h1>Rollout timeline</h1>
<p>The demo's simulated cluster over virtual time: a CPU spike, a new AMI rolled out with surge and drain, then demand dropping.</p>
${svg}
<pre id="render-check" hidden>not rendered</pre>
<script>
  const check = {};
  for (const el of document.querySelectorAll("[data-series]")) {
    const box = el.getBBox();
    check[el.getAttribute("data-series")] = { width: Math.round(box.width), height: Math.round(box.height) };
  }
  check.marks = document.querySelectorAll("[data-mark]").length;
  check.legend = document.querySelectorAll("[data-legend]").length;
  // Geometry of every label as laid out: pairs that overlap, labels outside the picture.
  const svg = document.querySelector("svg").getBoundingClientRect();
  const labels = [...document.querySelectorAll("text.label")].map((el) => ({ text: el.textContent, r: el.getBoundingClientRect() }));
  check.labels = labels.length;
  check.overlaps = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
    const a = labels[i].r, b = labels[j].r;
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) check.overlaps.push([labels[i].text, labels[j].text]);
  }
  check.outside = labels.filter((l) => l.r.left < svg.left || l.r.right > svg.right || l.r.top < svg.top || l.r.bottom > svg.bottom).map((l) => l.text);
  const mid = (el) => { const r = el.getBoundingClientRect(); return Math.round((r.top + r.bottom) / 2); };
  check.gridY = [...document.querySelectorAll("line.grid")].map((el) => Math.round(el.getBoundingClientRect().top));
  check.left = [...document.querySelectorAll("text.tick-left")].map((el) => ({ value: Number(el.textContent), y: mid(el) }));
  check.right = [...document.querySelectorAll("text.tick-right")].map((el) => ({ value: Number(el.textContent), y: mid(el) }));
  check.x = [...document.querySelectorAll("text.tick-x")].map((el) => el.textContent);
  document.getElementById("render-check").textContent = JSON.stringify(check);
</script>
</body>
</html>
`;
}
