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

/** Largest block of the sorted bin list; a block that grows past twice this is split. */
const BLOCK = 256;

/** Bins kept sorted by {@link binOrder} as a list of blocks: finding a place is a binary search, and taking or putting a bin moves at most a block. */
interface SortedBins {
    take(bin: Bin): void;
    put(bin: Bin): void;
    /** The bins from `probe` on, in order; whole blocks with no bin of `minMemory` or more are skipped. */
    from(probe: Bin, minMemory?: number): Generator<Bin>;
    all(): Bin[];
}

function sortedBins(sorted: Bin[], blockSize: number): SortedBins {
    const blocks: Bin[][] = [];
    for (let i = 0; i < sorted.length; i += blockSize) blocks.push(sorted.slice(i, i + blockSize));
    // The most memory any bin of each block has: a task that needs more skips the block whole (the
    // bins are sorted by CPU first, so a memory-heavy task would otherwise walk past every CPU-rich,
    // memory-poor bin one by one).
    const most = (block: Bin[]) => block.reduce((m, b) => Math.max(m, b.memory), -Infinity);
    const maxMemory = blocks.map(most);

    /** The block and offset of the first bin not before `probe` (block = blocks.length past the end). */
    const lowerBound = (probe: Bin): [number, number] => {
        let lo = 0;
        let hi = blocks.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            const block = blocks[mid];
            if (binOrder(block[block.length - 1], probe) < 0) lo = mid + 1;
            else hi = mid;
        }
        if (lo === blocks.length) return [lo, 0];
        const block = blocks[lo];
        let a = 0;
        let b = block.length;
        while (a < b) {
            const mid = (a + b) >> 1;
            if (binOrder(block[mid], probe) < 0) a = mid + 1;
            else b = mid;
        }
        return [lo, a];
    };
    return {
        take(bin) {
            const [k, i] = lowerBound(bin);
            blocks[k].splice(i, 1);
            if (blocks[k].length === 0) {
                blocks.splice(k, 1);
                maxMemory.splice(k, 1);
            } else if (bin.memory >= maxMemory[k]) {
                maxMemory[k] = most(blocks[k]);
            }
        },
        put(bin) {
            let [k, i] = lowerBound(bin);
            if (blocks.length === 0) {
                blocks.push([bin]);
                maxMemory.push(bin.memory);
                return;
            }
            if (k === blocks.length) {
                k = blocks.length - 1;
                i = blocks[k].length;
            }
            blocks[k].splice(i, 0, bin);
            maxMemory[k] = Math.max(maxMemory[k], bin.memory);
            if (blocks[k].length > 2 * blockSize) {
                const halves = [blocks[k].slice(0, blockSize), blocks[k].slice(blockSize)];
                blocks.splice(k, 1, ...halves);
                maxMemory.splice(k, 1, ...halves.map(most));
            }
        },
        *from(probe, minMemory = -Infinity) {
            const [k0, i0] = lowerBound(probe);
            for (let k = k0; k < blocks.length; k++) {
                if (maxMemory[k] < minMemory) continue;
                const block = blocks[k];
                for (let i = k === k0 ? i0 : 0; i < block.length; i++) yield block[i];
            }
        },
        all: () => blocks.flat(),
    };
}

/** `blockSize` is the list's block size (tests use small ones to exercise splitting). */
export function binSet(initial: Bin[], blockSize = BLOCK): BinSet {
    const sorted = initial.map((b) => ({ ...b })).sort(binOrder);
    const byId = new Map(sorted.map((b) => [b.id, b]));
    const { take, put, from, all } = sortedBins(sorted, blockSize);

    const allowed = (bin: Bin, task: PlaceableTask): boolean =>
        task.needs === undefined || blockedBy(task.needs, bin.offer ?? {}) === undefined;

    return {
        place<T extends PlaceableTask>(tasks: T[], exclude?: string) {
            const sorted = [...tasks].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory);
            const placed = new Map<string, T[]>();
            const undo: [Bin, T, InstanceOffer | undefined][] = [];
            for (const task of sorted) {
                let found: Bin | undefined;
                for (const bin of from({ id: "", cpu: task.cpu, memory: -Infinity }, task.memory)) {
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
            return all().filter((b) => b.id !== exclude).map((b) => b.cpu < task.cpu ? "CPU" : b.memory < task.memory ? "memory"
                : (task.needs === undefined ? undefined : blockedBy(task.needs, b.offer ?? {})) ?? "fits");
        },
        remove(id) {
            const bin = byId.get(id);
            if (bin === undefined) return;
            take(bin);
            byId.delete(id);
        },
    };
}
