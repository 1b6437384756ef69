import { strict as assert } from "node:assert";
import { Bin, binSet } from "../../provider/binpack";
import { seededRandom } from "../../provider/sim/random";

const t = (cpu: number, memory: number) => ({ cpu, memory });

describe("binSet", () => {
    it("places each task, largest first, where it leaves the least CPU free", () => {
        const room = binSet([{ id: "a", cpu: 1000, memory: 1000 }, { id: "b", cpu: 600, memory: 1000 }, { id: "c", cpu: 300, memory: 1000 }]);
        const placed = room.place([t(250, 10), t(500, 10)]);
        assert.deepEqual(placed && Object.fromEntries(placed), { b: [t(500, 10)], c: [t(250, 10)] });
    });

    it("breaks CPU ties by the least memory left", () => {
        const room = binSet([{ id: "roomy", cpu: 500, memory: 4000 }, { id: "tight", cpu: 500, memory: 600 }]);
        assert.deepEqual([...room.place([t(100, 500)])!.keys()], ["tight"]);
    });

    it("needs both CPU and memory to fit", () => {
        const room = binSet([{ id: "cpu-only", cpu: 4000, memory: 100 }, { id: "mem-only", cpu: 100, memory: 4000 }]);
        assert.equal(room.place([t(500, 500)]), undefined);
    });

    it("takes the room it used, so later placements see less", () => {
        const room = binSet([{ id: "a", cpu: 1000, memory: 1000 }]);
        assert.ok(room.place([t(700, 100)]));
        assert.equal(room.place([t(400, 100)]), undefined);
        assert.ok(room.place([t(300, 100)]));
    });

    it("changes nothing when one task of the set does not fit", () => {
        const room = binSet([{ id: "a", cpu: 1000, memory: 1000 }, { id: "b", cpu: 500, memory: 1000 }]);
        assert.equal(room.place([t(900, 10), t(500, 10), t(400, 10)]), undefined);
        assert.deepEqual(Object.fromEntries(room.place([t(900, 10), t(500, 10)])!), { a: [t(900, 10)], b: [t(500, 10)] });
    });

    it("skips the excluded bin and removed bins", () => {
        const room = binSet([{ id: "a", cpu: 1000, memory: 1000 }, { id: "b", cpu: 1000, memory: 1000 }]);
        assert.deepEqual([...room.place([t(100, 10)], "a")!.keys()], ["b"]);
        room.remove("b");
        assert.equal(room.place([t(100, 10)], "a"), undefined);
        assert.deepEqual([...room.place([t(100, 10)])!.keys()], ["a"]);
    });

    it("does not change the bins it was built from", () => {
        const source = [{ id: "a", cpu: 1000, memory: 1000 }];
        binSet(source).place([t(500, 500)]);
        assert.deepEqual(source, [{ id: "a", cpu: 1000, memory: 1000 }]);
    });
    it("finds the one bin with the memory a task needs past blocks of CPU-rich, memory-poor bins, and sees its memory go", () => {
        // Blocks of two: the memory-poor bins fill blocks that the search skips whole.
        const bins: Bin[] = [...Array.from({ length: 9 }, (_, i) => ({ id: `poor${i}`, cpu: 4000 + i, memory: 100 })), { id: "rich", cpu: 500, memory: 4000 }];
        const room = binSet(bins, 2);
        const first = room.place([t(200, 3000)]);
        assert.deepEqual(first && Object.fromEntries(first), { rich: [t(200, 3000)] });
        // The rich bin has 1000 MiB left: a second task of 3000 fits nowhere, one of 1000 still fits there.
        assert.equal(room.place([t(200, 3000)]), undefined);
        assert.deepEqual(Object.fromEntries(room.place([t(200, 1000)])!), { rich: [t(200, 1000)] });
        assert.deepEqual(Object.fromEntries(room.place([t(200, 100)])!), { poor0: [t(200, 100)] }, "a small task still goes to the best CPU fit");
    });

    for (const blockSize of [256, 3]) it(`places as a plain best fit over a sorted list does, at thousands of bins with removals (blocks of ${blockSize})`, () => {
        const rnd = seededRandom(42);
        const bins: Bin[] = Array.from({ length: 3000 }, (_, i) => ({ id: `b${i}`, cpu: Math.floor(rnd() * 40) * 64, memory: Math.floor(rnd() * 60) * 128 }));
        const fast = binSet(bins, blockSize);
        // The reference: every bin in one array, searched in full for each task.
        const slow = bins.map((b) => ({ ...b }));
        const order = (a: Bin, b: Bin) => a.cpu - b.cpu || a.memory - b.memory || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        const slowPlace = (tasks: { cpu: number; memory: number }[], exclude?: string) => {
            const copy = slow.map((b) => ({ ...b }));
            const out = new Map<string, number>();
            for (const t of [...tasks].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory)) {
                let bin: Bin | undefined;
                for (const b of copy) if (b.id !== exclude && b.cpu >= t.cpu && b.memory >= t.memory && (bin === undefined || order(b, bin) < 0)) bin = b;
                if (bin === undefined) return undefined;
                bin.cpu -= t.cpu;
                bin.memory -= t.memory;
                out.set(bin.id, (out.get(bin.id) ?? 0) + 1);
            }
            copy.forEach((b, i) => Object.assign(slow[i], b));
            return out;
        };
        for (let round = 0; round < 400; round++) {
            if (round % 7 === 3) {
                const id = `b${Math.floor(rnd() * 3000)}`;
                fast.remove(id);
                const k = slow.findIndex((b) => b.id === id);
                if (k >= 0) slow.splice(k, 1);
                continue;
            }
            const tasks = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => ({ cpu: 64 + Math.floor(rnd() * 8) * 64, memory: 128 + Math.floor(rnd() * 8) * 128 }));
            const exclude = rnd() < 0.5 ? `b${Math.floor(rnd() * 3000)}` : undefined;
            const got = fast.place(tasks, exclude);
            const want = slowPlace(tasks, exclude);
            assert.deepEqual(got === undefined ? undefined : new Map([...got].map(([id, list]) => [id, list.length])), want, `round ${round}`);
        }
    });
});
