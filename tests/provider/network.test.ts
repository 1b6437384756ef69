// The simulated network: per-request latency and AWS's token buckets, on the world's virtual clock.
import { strict as assert } from "node:assert";
import { simCloud } from "../../provider/sim/cloud";
import { AWS_BUCKETS, AWS_NETWORK, Network } from "../../provider/sim/network";
import { buildCluster } from "../../provider/sim/scenario";
import { VirtualClock } from "../../provider/sim/clock";

describe("simulated network", () => {
    const clockAt = () => {
        const clock: VirtualClock = new VirtualClock(0, (t) => { clock.nowMs = t; });
        return clock;
    };

    it("draws log-normal latencies around the median", async () => {
        const clock = clockAt();
        const net = new Network({ seed: 3, medianMs: 100, sigma: 0.5, buckets: {} }, () => clock.now(), (ms) => clock.sleep(ms));
        const draws = Array.from({ length: 4001 }, () => net.latencyMs()).sort((a, b) => a - b);
        const median = draws[2000];
        assert.ok(median > 90 && median < 110, `median ${median}`);
        const p99 = draws[Math.floor(4001 * 0.99)];
        assert.ok(p99 > 250 && p99 < 400, `p99 ${p99} (3.2 × the median expected)`);
    });

    it("throttles by token bucket: the burst at once, then the sustained rate", async () => {
        const clock = clockAt();
        const net = new Network({ seed: 1, medianMs: 1, sigma: 0,
            buckets: { reads: { capacity: 3, refillPerSecond: 2, operations: ["ListTasks"], source: "test" } } },
        () => clock.now(), (ms) => clock.sleep(ms));
        const attempt = () => clock.run(net.send(["ListTasks"]).then(() => "ok", (e: Error) => e.name));
        assert.deepEqual([await attempt(), await attempt(), await attempt(), await attempt()], ["ok", "ok", "ok", "ThrottlingException"]);
        await clock.run(clock.sleep(500));
        assert.equal(await attempt(), "ok", "one token back after half a second at 2 per second");
        assert.equal(await attempt(), "ThrottlingException");
        assert.deepEqual([net.requests.ListTasks, net.throttled.ListTasks], [6, 2]);
        // An operation in no bucket is never throttled.
        for (let k = 0; k < 10; k++) await clock.run(net.send(["DescribeWidgets"]));
    });

    it("puts the ECS reads the scaler sends in the bucket the ECS page gives them: 100 at once, 20 a second", () => {
        const reads = AWS_BUCKETS["ECS cluster resource read"];
        assert.deepEqual([reads.capacity, reads.refillPerSecond], [100, 20]);
        for (const op of ["ListTasks", "DescribeTasks", "ListContainerInstances", "DescribeContainerInstances"]) assert.ok(reads.operations.includes(op));
        const all = Object.values(AWS_BUCKETS).flatMap((b) => b.operations);
        assert.equal(new Set(all).size, all.length, "an operation is in one bucket only");
    });

    it("makes a simulated call take the time of the requests behind it", async () => {
        const world = buildCluster({ instances: 250 });
        const cloud = simCloud(world, undefined, { ...AWS_NETWORK, sigma: 0 });
        const start = world.now;
        const cis = await world.clock.run(cloud.listContainerInstances());
        assert.equal(cis.length, 250);
        // Three pages, each described: six requests of 100 ms, one after another.
        assert.deepEqual(cloud.network!.requests, { ListContainerInstances: 3, DescribeContainerInstances: 3 });
        assert.equal(world.now - start, 600);
    });
});
