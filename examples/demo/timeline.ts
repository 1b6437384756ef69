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
const H = 480;
const PAD = { left: 56, right: 64, top: 40, bottom: 96 };

const SERIES = {
    launching: { color: "#5b8def", label: "launching" },
    active: { color: "#2e9e5b", label: "ACTIVE" },
    draining: { color: "#f0a030", label: "DRAINING" },
    gone: { color: "#7a7a7a", label: "gone (terminated, running total)" },
    tasks: { color: "#8e44ad", label: "running tasks (right axis)" },
} as const;

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fixed = (n: number) => Math.round(n * 10) / 10;

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
    const maxInstances = Math.ceil(1.15 * Math.max(1, ...samples.map((s) => s.instances.launching + s.instances.active + s.instances.draining), goneAt(t1)));
    const maxTasks = Math.ceil(1.15 * Math.max(1, ...samples.map((s) => s.runningTasks)));
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
    parts.push(`<text x="${PAD.left}" y="22" font-size="15" font-weight="bold">Instances by state and running tasks, ${Math.round((t1 - t0) / 60_000)} min of virtual time</text>`);

    // Grid and axes.
    for (let i = 0; i <= 4; i++) {
        const n = Math.round(maxInstances * i / 4);
        parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${yI(n)}" y2="${yI(n)}" stroke="#e4e4e4"/>`);
        parts.push(`<text x="${PAD.left - 8}" y="${yI(n) + 4}" text-anchor="end">${n}</text>`);
        const m = Math.round(maxTasks * i / 4);
        parts.push(`<text x="${W - PAD.right + 8}" y="${yT(m) + 4}" fill="${SERIES.tasks.color}">${m}</text>`);
    }
    const minutes = Math.ceil((t1 - t0) / 60_000);
    const tick = minutes > 60 ? 10 : 5;
    for (let m = 0; m <= minutes; m += tick) {
        const tx = x(t0 + m * 60_000);
        parts.push(`<line x1="${tx}" x2="${tx}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH + 4}" stroke="#333"/>`);
        parts.push(`<text x="${tx}" y="${PAD.top + plotH + 16}" text-anchor="middle">${m} min</text>`);
    }
    parts.push(`<text transform="translate(16 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">instances</text>`);
    parts.push(`<text transform="translate(${W - 14} ${PAD.top + plotH / 2}) rotate(90)" text-anchor="middle" fill="${SERIES.tasks.color}">running tasks</text>`);

    for (const [key, low, high] of layers) {
        parts.push(`<path data-series="${key}" class="series" d="${area(low, high)}" fill="${SERIES[key].color}" fill-opacity="0.75" stroke="none"><title>${SERIES[key].label}</title></path>`);
    }
    const gonePoints: [number, number][] = samples.map((s) => [x(s.at), yI(goneAt(s.at))]);
    parts.push(`<path data-series="gone" class="series" d="${line(gonePoints)}" fill="none" stroke="${SERIES.gone.color}" stroke-width="2" stroke-dasharray="6 4"><title>${SERIES.gone.label}</title></path>`);
    const taskPoints: [number, number][] = samples.map((s) => [x(s.at), yT(s.runningTasks)]);
    parts.push(`<path data-series="tasks" class="series" d="${line(taskPoints)}" fill="none" stroke="${SERIES.tasks.color}" stroke-width="2"><title>${SERIES.tasks.label}</title></path>`);
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" stroke="#333"/>`);

    // Marks: the story's steps (solid, labelled below the axis) and the plan's actions (dashed, above).
    let row = 0;
    for (const mark of input.marks) {
        const mx = x(mark.at);
        if (mark.kind === "step") {
            parts.push(`<g class="mark" data-mark="step"><line x1="${mx}" x2="${mx}" y1="${PAD.top}" y2="${PAD.top + plotH + 24}" stroke="#222" stroke-width="1.5"/>`
                + `<text x="${mx + 3}" y="${PAD.top + plotH + 34}" font-size="11" font-weight="bold">${escape(mark.label)}</text></g>`);
        } else {
            parts.push(`<g class="mark" data-mark="action"><line x1="${mx}" x2="${mx}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#222" stroke-dasharray="3 3"/>`
                + `<text x="${mx + 3}" y="${PAD.top + 12 + (row++ % 4) * 13}" font-size="11">${escape(mark.label)}</text></g>`);
        }
    }

    // Legend.
    const legend = Object.entries(SERIES);
    legend.forEach(([key, s], i) => {
        const lx = PAD.left + (i % 3) * 300;
        const ly = H - 44 + Math.floor(i / 3) * 20;
        parts.push(`<g class="legend" data-legend="${key}"><rect x="${lx}" y="${ly - 10}" width="14" height="10" fill="${s.color}"/><text x="${lx + 20}" y="${ly}">${escape(s.label)}</text></g>`);
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
<style>body { font-family: sans-serif; margin: 24px; } pre#render-check { color: #666; font-size: 11px; white-space: pre-wrap; }</style>
</head>
<body>
<h1>Rollout timeline</h1>
<p>The demo's simulated cluster over virtual time: a CPU spike, a new AMI rolled out with surge and drain, then demand dropping.</p>
${svg}
<pre id="render-check">not rendered</pre>
<script>
  const check = {};
  for (const el of document.querySelectorAll("[data-series]")) {
    const box = el.getBBox();
    check[el.getAttribute("data-series")] = { width: Math.round(box.width), height: Math.round(box.height) };
  }
  check.marks = document.querySelectorAll("[data-mark]").length;
  check.legend = document.querySelectorAll("[data-legend]").length;
  document.getElementById("render-check").textContent = JSON.stringify(check);
</script>
</body>
</html>
`;
}
