// The simulated network: per-request latency and AWS's token buckets, on the world's virtual clock.
import { strict as assert } from "node:assert";
import { simCloud } from "../../provider/sim/cloud";
import { AWS_NETWORK, Network } from "../../provider/sim/network";
import { pacer } from "../../provider/pacer";
import { AWS_RATE_LIMITS } from "../../provider/quotas";
import { buildCluster } from "../../provider/sim/scenario";
import { VirtualClock } from "../../provider/sim/clock";

describe("simulated network", () => {
    const clockAt = () => {
        const clock: VirtualClock = new VirtualClock(0, (t) => { clock.nowMs = t; });
        return clock;
    };

    it("draws log-normal latencies around the median", async () => {
        const clock = clockAt();
        const net = new Network({ seed: 3, medianMs: 100, sigma: 0.5, buckets: [] }, () => clock.now(), (ms) => clock.sleep(ms));
        const draws = Array.from({ length: 4001 }, () => net.latencyMs()).sort((a, b) => a - b);
        const median = draws[2000];
        assert.ok(median > 90 && median < 110, `median ${median}`);
        const p99 = draws[Math.floor(4001 * 0.99)];
        assert.ok(p99 > 250 && p99 < 400, `p99 ${p99} (3.2 × the median expected)`);
    });

    it("throttles by token bucket: the burst at once, then the sustained rate", async () => {
        const clock = clockAt();
        const net = new Network({ seed: 1, medianMs: 1, sigma: 0, pace: false,
            buckets: [{ name: "reads", capacity: 3, refillPerSecond: 2, operations: ["ListTasks"], source: "test" }] },
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

    it("puts the requests the scaler sends in the buckets the ECS and EC2 pages give them, and marks the others assumed", () => {
        const bucket = (name: string) => AWS_RATE_LIMITS.find((b) => b.name === name)!;
        const reads = bucket("ECS cluster resource read");
        assert.deepEqual([reads.capacity, reads.refillPerSecond], [100, 20]);
        for (const op of ["ListTasks", "DescribeTasks", "ListContainerInstances", "DescribeContainerInstances"]) assert.ok(reads.operations.includes(op));
        assert.deepEqual([bucket("ECS cluster resource modify").capacity, bucket("ECS cluster resource modify").refillPerSecond], [100, 40]);
        assert.deepEqual([bucket("EC2 DescribeInstances").capacity, bucket("EC2 DescribeInstances").refillPerSecond], [100, 20]);
        for (const b of AWS_RATE_LIMITS) {
            if (b.name.startsWith("ECS")) assert.match(b.source, /AmazonECS\/latest\/APIReference\/request-throttling/, b.name);
            else if (b.name.startsWith("EC2")) assert.match(b.source, /ec2-api-throttling/, b.name);
            else assert.match(b.source, /^assumed/, b.name);
        }
        const all = AWS_RATE_LIMITS.flatMap((b) => b.operations);
        assert.equal(new Set(all).size, all.length, "an operation is in one bucket only");
    });

    it("paces a client to half the burst, then the sustained rate, so that AWS refuses none of its requests", async () => {
        const clock = clockAt();
        const limits = [{ name: "reads", capacity: 10, refillPerSecond: 5, operations: ["ListTasks"], source: "test" }];
        const p = pacer(limits, () => clock.now(), (ms) => clock.sleep(ms));
        const sentAt: number[] = [];
        await clock.run(Promise.all(Array.from({ length: 15 }, () => p.take("ListTasks").then(() => { sentAt.push(clock.now()); }))));
        // Five at once (half of the burst of 10), then one every 200 ms.
        assert.deepEqual(sentAt, [0, 0, 0, 0, 0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
        const net = new Network({ seed: 1, medianMs: 50, sigma: 0, buckets: limits }, () => clock.now(), (ms) => clock.sleep(ms));
        await clock.run(Promise.all(Array.from({ length: 40 }, () => net.send(["ListTasks", "ListTasks"]))));
        assert.deepEqual([net.requests.ListTasks, net.throttled.ListTasks ?? 0], [80, 0]);
    });

    it("makes a simulated call take the time of the requests behind it", async () => {
        const world = buildCluster({ instances: 250 });
        const cloud = simCloud(world, undefined, { ...AWS_NETWORK, sigma: 0, pace: false });
        const start = world.now;
        const cis = await world.clock.run(cloud.listContainerInstances());
        assert.equal(cis.length, 250);
        // Three pages one after another, then their three descriptions together: four round trips of 100 ms.
        assert.deepEqual(cloud.network!.requests, { ListContainerInstances: 3, DescribeContainerInstances: 3 });
        assert.equal(world.now - start, 400);
    });
});
