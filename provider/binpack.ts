// Do tasks fit into the free CPU and memory of a set of instances? Pure: works on its own copy.
import { Resources } from "./model";

export interface Bin {
    id: string;
    cpu: number;
    memory: number;
}

/** The free room of a set of instances, kept sorted by CPU then memory so a best fit is a binary search away. */
export interface BinSet {
    /**
     * Places `tasks` (largest first) by best fit into the bins other than `exclude`: each task goes
     * where it leaves the least CPU free, then the least memory. When every task fits the room is
     * taken and the tasks each bin receives are returned; otherwise nothing changes and the result is
     * undefined.
     */
    place(tasks: Resources[], exclude?: string): Map<string, Resources[]> | undefined;
    /** Removes a bin: its instance is leaving. */
    remove(id: string): void;
}

const before = (a: Bin, b: Bin) => a.cpu - b.cpu || a.memory - b.memory || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function binSet(initial: Bin[]): BinSet {
    const bins = initial.map((b) => ({ ...b })).sort(before);

    /** Index of the first bin not before `probe`. */
    const lowerBound = (probe: Bin): number => {
        let lo = 0;
        let hi = bins.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (before(bins[mid], probe) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    };
    const take = (bin: Bin): void => {
        bins.splice(lowerBound(bin), 1);
    };
    const put = (bin: Bin): void => {
        bins.splice(lowerBound(bin), 0, bin);
    };

    return {
        place(tasks, exclude) {
            const sorted = [...tasks].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory);
            const placed = new Map<string, Resources[]>();
            const undo: [Bin, Resources][] = [];
            for (const task of sorted) {
                let found: Bin | undefined;
                for (let i = lowerBound({ id: "", cpu: task.cpu, memory: -Infinity }); i < bins.length; i++) {
                    const bin = bins[i];
                    if (bin.memory >= task.memory && bin.id !== exclude) {
                        found = bin;
                        break;
                    }
                }
                if (found === undefined) {
                    for (const [bin, t] of undo.reverse()) {
                        take(bin);
                        bin.cpu += t.cpu;
                        bin.memory += t.memory;
                        put(bin);
                    }
                    return undefined;
                }
                take(found);
                found.cpu -= task.cpu;
                found.memory -= task.memory;
                put(found);
                undo.push([found, task]);
                const list = placed.get(found.id) ?? [];
                list.push(task);
                placed.set(found.id, list);
            }
            return placed;
        },
        remove(id) {
            const index = bins.findIndex((b) => b.id === id);
            if (index >= 0) bins.splice(index, 1);
        },
    };
}
