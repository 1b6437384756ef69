// Does a set of tasks fit into the free CPU and memory of a set of instances? Pure.
import { Resources } from "./model";

export interface Bin {
    id: string;
    free: Resources;
}

/**
 * Places `tasks` (largest first) into `bins` by best fit: each task goes where it leaves the least
 * CPU free. Returns the bins' remaining room when every task fits, or undefined when one does not.
 * The input bins are not changed.
 */
export function fitTasks(tasks: Resources[], bins: Bin[]): Bin[] | undefined {
    const room = bins.map((b) => ({ id: b.id, free: { ...b.free } }));
    const sorted = [...tasks].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory);
    for (const task of sorted) {
        let best: Bin | undefined;
        for (const bin of room) {
            if (bin.free.cpu < task.cpu || bin.free.memory < task.memory) continue;
            if (best === undefined || bin.free.cpu - task.cpu < best.free.cpu - task.cpu
                || (bin.free.cpu === best.free.cpu && bin.free.memory < best.free.memory)) {
                best = bin;
            }
        }
        if (best === undefined) return undefined;
        best.free.cpu -= task.cpu;
        best.free.memory -= task.memory;
    }
    return room;
}
