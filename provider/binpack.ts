// Do tasks fit into the free room of a set of instances: CPU and memory, and the rules of
// placement.ts (ports, ENIs, GPUs, constraints)? Pure: works on its own copy.
import { Resources } from "./model";
import { afterPlacing, blockedBy, InstanceOffer, TaskNeeds } from "./placement";

export interface Bin {
    id: string;
    cpu: number;
    memory: number;
    /** What else the instance offers; without it only CPU and memory count. */
    offer?: InstanceOffer;
}

/** A task to place: its size and, where known, what else it needs of an instance. */
export type PlaceableTask = Resources & { needs?: TaskNeeds };

/** The free room of a set of instances, kept sorted by CPU then memory so a best fit is a binary search away. */
export interface BinSet {
    /**
     * Places `tasks` (largest first) by best fit into the bins other than `exclude`: each task goes
     * where it leaves the least CPU free, then the least memory. When every task fits the room is
     * taken and the tasks each bin receives are returned; otherwise nothing changes and the result is
     * undefined.
     */
    place<T extends PlaceableTask>(tasks: T[], exclude?: string): Map<string, T[]> | undefined;
    /** Removes a bin: its instance is leaving. */
    remove(id: string): void;
    /** Why `task` fits on none of the bins other than `exclude`: each bin's first obstacle. */
    whyNot(task: PlaceableTask, exclude?: string): string[];
}

// Named so as not to shadow a global (mocha defines `before`): the closure serializer treats a name
// that is also a global as the global and does not capture it.
const binOrder = (a: Bin, b: Bin) => a.cpu - b.cpu || a.memory - b.memory || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function binSet(initial: Bin[]): BinSet {
    const bins = initial.map((b) => ({ ...b })).sort(binOrder);

    /** Index of the first bin not before `probe`. */
    const lowerBound = (probe: Bin): number => {
        let lo = 0;
        let hi = bins.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (binOrder(bins[mid], probe) < 0) lo = mid + 1;
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

    const allowed = (bin: Bin, task: PlaceableTask): boolean =>
        task.needs === undefined || blockedBy(task.needs, bin.offer ?? {}) === undefined;

    return {
        place<T extends PlaceableTask>(tasks: T[], exclude?: string) {
            const sorted = [...tasks].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory);
            const placed = new Map<string, T[]>();
            const undo: [Bin, T, InstanceOffer | undefined][] = [];
            for (const task of sorted) {
                let found: Bin | undefined;
                for (let i = lowerBound({ id: "", cpu: task.cpu, memory: -Infinity }); i < bins.length; i++) {
                    const bin = bins[i];
                    if (bin.memory >= task.memory && bin.id !== exclude && allowed(bin, task)) {
                        found = bin;
                        break;
                    }
                }
                if (found === undefined) {
                    for (const [bin, t, offer] of undo.reverse()) {
                        take(bin);
                        bin.cpu += t.cpu;
                        bin.memory += t.memory;
                        bin.offer = offer;
                        put(bin);
                    }
                    return undefined;
                }
                take(found);
                undo.push([found, task, found.offer]);
                found.cpu -= task.cpu;
                found.memory -= task.memory;
                if (task.needs !== undefined && found.offer !== undefined) found.offer = afterPlacing(found.offer, task.needs);
                put(found);
                const list = placed.get(found.id) ?? [];
                list.push(task);
                placed.set(found.id, list);
            }
            return placed;
        },
        whyNot(task, exclude) {
            return bins.filter((b) => b.id !== exclude).map((b) => b.cpu < task.cpu ? "CPU" : b.memory < task.memory ? "memory"
                : (task.needs === undefined ? undefined : blockedBy(task.needs, b.offer ?? {})) ?? "fits");
        },
        remove(id) {
            const index = bins.findIndex((b) => b.id === id);
            if (index >= 0) bins.splice(index, 1);
        },
    };
}
