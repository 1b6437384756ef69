import { strict as assert } from "node:assert";
import { binSet } from "../../provider/binpack";

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
});
