// A scripted story on the simulated cluster: steady state, a CPU spike, a new AMI, then demand
// dropping. Each step shows the plan as `pulumi preview --diff` shows the scaler's `plan` property,
// runs it with the progress lines `pulumi up` prints, and sums up what happened.
import { notesOf } from "../../provider/dynamic";
import { NEW_VERSION } from "../../provider/model";
import { duration, isNoteLine, renderAction, renderPlan } from "../../provider/render";
import { buildCluster, newLaunchTemplateVersion, simPreview, simReconcile, simSettings } from "../../provider/sim/scenario";
import { SimWorld, TickSample } from "../../provider/sim/world";
import { ScalerSettings } from "../../provider/settings";

const MINUTE = 60_000;

export interface Mark {
    at: number;
    label: string;
    /** A step of the story, or an action of the plan. */
    kind: "step" | "action";
}

export interface StepSummary {
    step: string;
    instancesReplaced: number;
    instancesAdded: number;
    instancesRemoved: number;
    tasksMoved: number;
    standaloneStopped: number;
    tasksLost: number;
    elapsedSeconds: number;
}

export interface DemoResult {
    /** Everything the demo prints. */
    text: string[];
    samples: TickSample[];
    marks: Mark[];
    steps: StepSummary[];
    start: number;
    end: number;
    world: SimWorld;
}

/**
 * The lines `pulumi preview --diff` shows for the scaler's `plan` property: the stored output (what the
 * last up left) against the new plan, as the engine displays a provider without previews.
 */
export function previewDiff(resource: string, before: string[], after: string[]): string[] {
    const q = (s: string) => JSON.stringify(s);
    if (JSON.stringify(before) === JSON.stringify(after) || !after.some((l) => !isNoteLine(l))) {
        return [`  ${resource}: no changes`];
    }
    const lines = [`  ~ pulumi-nodejs:dynamic/spot-ecs:Scaler: (update)`, `      [urn=urn:pulumi:dev::demo::${resource}]`, "    ~ plan: ["];
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) {
        if (i >= after.length) lines.push(`        - [${i}]: ${q(before[i])}`);
        else if (i >= before.length) lines.push(`        + [${i}]: ${q(after[i])}`);
        else if (before[i] !== after[i]) lines.push(`        ~ [${i}]: ${q(before[i])} => ${q(after[i])}`);
    }
    lines.push("      ]");
    return lines;
}

interface Counters {
    terminated: number;
    launched: number;
    moved: number;
    stopped: number;
    killed: number;
}

function counters(world: SimWorld): Counters {
    const tasks = [...world.tasks.values()];
    const instances = [...world.instances.values()];
    return {
        terminated: instances.filter((i) => i.terminatedBy === "scaler").length,
        launched: instances.length,
        moved: tasks.filter((t) => t.stopCause === "drain").length,
        stopped: tasks.filter((t) => t.stopCause === "stop-task" && t.stoppedBy === "scaler").length,
        killed: world.killedTasks().length,
    };
}

/** Runs the demo story; `print` receives each line as it is produced. */
export async function runDemo(print: (line: string) => void = () => undefined): Promise<DemoResult> {
    const text: string[] = [];
    const out = (line = "") => {
        text.push(line);
        print(line);
    };
    const world = buildCluster({
        instances: 6, onDemand: 2, minSize: 3, maxSize: 12, targetGroups: 1,
        services: [
            { name: "web", count: 20, cpu: 256, memory: 512, minHealthyPercent: 100, maxPercent: 200 },
            { name: "api", count: 6, cpu: 256, memory: 512, minHealthyPercent: 50, maxPercent: 200 },
            { name: "worker", count: 4, cpu: 512, memory: 1024, minHealthyPercent: 0, maxPercent: 100 },
        ],
        standalone: [{ family: "nightly-report", cpu: 128, memory: 128, onInstance: 2 }],
    });
    world.sampling = true;
    const start = world.now;
    const marks: Mark[] = [];
    const steps: StepSummary[] = [];
    let stored: string[] = [];
    const settings = (): ScalerSettings => simSettings(world, {
        clusterName: "demo",
        targetGroupArns: world.group.targetGroupArns,
        launchTemplateVersion: world.group.launchTemplateVersion,
        draining: { batchSize: 3, standaloneTasks: "stop", timeoutSeconds: 600 },
    });

    /** `templateChanges`: the step changes the launch template, whose new version a real preview does not know yet. */
    const step = async (title: string, before: () => void, templateChanges = false) => {
        out(`━━ ${title} ━━`);
        marks.push({ at: world.now, label: title.split(":")[0], kind: "step" });
        before();
        // Long enough for a full window of readings, the scale-in delay's included.
        world.clock.advance(11 * MINUTE);
        const preview = await simPreview(world, templateChanges ? { ...settings(), launchTemplateVersion: NEW_VERSION } : settings());
        out("$ pulumi preview --diff");
        for (const l of previewDiff("demo-scaler", stored, preview.lines)) out(l);
        out("$ pulumi up");
        const c0 = counters(world);
        const t0 = world.now;
        const r = await simReconcile(world, settings());
        for (const line of r.lines) out(`  ${line}`);
        // Each action is marked where its first progress line was printed.
        for (const a of r.plan.actions) {
            const first = `[demo] ${renderAction(a)[0].trim()}`;
            const at = r.timed.find((t) => t.line === first)?.at ?? t0;
            const label = a.kind === "set-desired" ? `${a.cause} ${a.from} → ${a.to}` : a.kind === "drain" ? `${a.purpose} batch ${a.batch}/${a.batches}` : a.kind;
            marks.push({ at, label, kind: "action" });
        }
        // After `pulumi up`, the scaler's outputs hold the notes of the plan it carried out (the plan
        // itself is in lastRun), so the next preview shows its own plan, not this one undone.
        stored = notesOf(renderPlan(r.plan));
        const c1 = counters(world);
        const summary: StepSummary = {
            step: title,
            instancesReplaced: title.startsWith("A new AMI") ? c1.terminated - c0.terminated : 0,
            instancesAdded: c1.launched - c0.launched,
            instancesRemoved: c1.terminated - c0.terminated,
            tasksMoved: c1.moved - c0.moved,
            standaloneStopped: c1.stopped - c0.stopped,
            tasksLost: c1.killed - c0.killed,
            elapsedSeconds: Math.round((world.now - t0) / 1000),
        };
        steps.push(summary);
        out(`  summary: ${summary.instancesAdded} instance(s) launched, ${summary.instancesRemoved} drained and terminated, `
            + `${summary.tasksMoved} task(s) moved by ECS, ${summary.standaloneStopped} standalone task(s) stopped by policy, `
            + `tasks lost: ${summary.tasksLost}, elapsed ${formatDuration(summary.elapsedSeconds)} (virtual)`);
        const f = r.report.forecast;
        if (f !== undefined) out(`  lastRun.forecast: estimated ${duration(f.estimateSeconds)}, took ${duration(f.actualSeconds)}`);
        out();
        return r.plan;
    };

    await step("Steady state: nothing to do", () => undefined);
    await step("A CPU spike: web scales from 20 to 44 tasks", () => world.setServiceDesired("web", 44));
    await step("A new AMI: launch template v2", () => { newLaunchTemplateVersion(world); }, true);
    await step("Demand drops: web down to 4 tasks", () => world.setServiceDesired("web", 4));

    const end = world.now;
    const total = steps.reduce((acc, s) => ({
        replaced: acc.replaced + s.instancesReplaced, moved: acc.moved + s.tasksMoved, lost: acc.lost + s.tasksLost,
    }), { replaced: 0, moved: 0, lost: 0 });
    out(`Done: ${total.replaced} instances replaced, ${total.moved} tasks moved, tasks lost: ${total.lost}, `
        + `${formatDuration(Math.round((end - start) / 1000))} of virtual time.`);
    return { text, samples: world.samples, marks, steps, start, end, world };
}

export function formatDuration(seconds: number): string {
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    return m === 0 ? `${s} s` : `${m} min ${String(s).padStart(2, "0")} s`;
}
