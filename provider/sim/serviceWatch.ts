// What each service actually ran during one run of the scaler, to hold the plan's forecast to the
// truth: the fewest RUNNING tasks at any tick, with the tasks it lost during the run to what the plan
// did not do (an instance someone else killed or drained, a Spot interruption, a scale-down) counted
// back in, since the forecast speaks only of the plan's own drains.
import { Forecast } from "../model";
import { SimWorld } from "./world";

export interface ServiceWatch {
    /** Stops watching; each service's fewest running tasks plus its losses outside the plan, by the forecast's victims. */
    stop(forecast: Forecast): Record<string, number>;
}

/** Starts watching the services of `w` at every tick from now. */
export function watchServices(w: SimWorld): ServiceWatch {
    const start = w.now;
    // A sample when a count changes: between them running is flat and the losses only grow, so the fewest is at a sample.
    const samples: { at: number; running: Map<string, number> }[] = [];
    let watching = true;
    const sample = (x: SimWorld): void => {
        if (!watching) return;
        const running = new Map<string, number>();
        for (const s of x.services.values()) running.set(s.name, x.serviceTasks(s.name).filter((t) => t.status === "RUNNING").length);
        const last = samples[samples.length - 1]?.running;
        if (last === undefined || [...running].some(([name, n]) => last.get(name) !== n)) samples.push({ at: x.now, running });
    };
    sample(w);
    w.tickHooks.push(sample);
    return {
        stop(forecast: Forecast): Record<string, number> {
            watching = false;
            const victims = new Set(forecast.steps.flatMap((s) => s.instanceIds));
            // Stops during the run that the plan's drains did not make, by service, in time order.
            const outside = new Map<string, number[]>();
            for (const t of w.tasks.values()) {
                // A task killed with its instance was never asked to stop: it stopped at once.
                const at = t.stopRequestedAt ?? t.stoppedAt;
                if (t.service === undefined || at === undefined || at < start) continue;
                if (t.stopCause === "drain" && victims.has(t.instanceId)) continue;
                outside.set(t.service, [...(outside.get(t.service) ?? []), at]);
            }
            const out: Record<string, number> = {};
            for (const f of forecast.services) {
                const lost = outside.get(f.service) ?? [];
                out[f.service] = Math.min(...samples.map((s) => (s.running.get(f.service) ?? 0) + lost.filter((at) => at <= s.at).length));
            }
            return out;
        },
    };
}
