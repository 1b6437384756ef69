import { strict as assert } from "node:assert";
import { pollDelayMs, waitFor, ProbeResult } from "../../provider/waits";
import { backoffDelayMs, isRetryable, retrying, RETRY_MAX_ATTEMPTS, withRetries } from "../../provider/retry";
import { VirtualClock } from "../../provider/sim/clock";
import { Deps } from "../../provider/cloud";
import { SimWorld } from "../../provider/sim/world";
import { buildCluster } from "../../provider/sim/scenario";
import { simCloud, simDeps } from "../../provider/sim/cloud";

/** Deps on a hand-driven clock: sleeping just moves time forward and records the delay. */
function manualDeps(random = 0.5): Deps & { slept: number[] } {
    let now = 0;
    const slept: number[] = [];
    return {
        slept,
        now: () => now,
        sleep: async (ms) => { slept.push(ms); now += ms; },
        random: () => random,
        log: () => undefined,
    };
}

describe("pollDelayMs", () => {
    it("grows from 5 s by half each poll up to 15 s", () => {
        assert.deepEqual([0, 1, 2, 3, 4, 10].map((a) => pollDelayMs(a, 0.5)), [5000, 7500, 11250, 15000, 15000, 15000]);
    });

    it("spreads each delay by at most ±10%", () => {
        assert.equal(pollDelayMs(0, 0), 4500);
        assert.equal(pollDelayMs(0, 0.999999), 5500);
        assert.equal(pollDelayMs(5, 0), 13500);
    });
});

describe("waitFor", () => {
    it("returns DONE with the value once the probe says so, after the scheduled sleeps", async () => {
        const deps = manualDeps();
        let calls = 0;
        const result = await waitFor(async (): Promise<ProbeResult<number>> => {
            calls++;
            return calls < 3 ? { state: "RETRY", detail: `${calls}` } : { state: "DONE", value: 42, detail: "ok" };
        }, 60_000, deps);
        assert.deepEqual(result, { state: "DONE", value: 42, detail: "ok", attempts: 3 });
        assert.deepEqual(deps.slept, [5000, 7500]);
    });

    it("returns TIMEOUT at the deadline without sleeping past it", async () => {
        const deps = manualDeps();
        const result = await waitFor(async () => ({ state: "RETRY" as const, detail: "not yet" }), 20_000, deps);
        assert.equal(result.state, "TIMEOUT");
        assert.equal(result.detail, "not yet");
        assert.deepEqual(deps.slept, [5000, 7500, 7500]);
        assert.equal(deps.now(), 20_000);
    });

    it("passes FAILED through at once", async () => {
        const result = await waitFor(async () => ({ state: "FAILED" as const, detail: "gone" }), 60_000, manualDeps());
        assert.deepEqual(result, { state: "FAILED", value: undefined, detail: "gone", attempts: 1 });
    });

    it("reports each new detail once", async () => {
        const seen: string[] = [];
        let n = 0;
        await waitFor(async () => {
            n++;
            return { state: n >= 4 ? "DONE" as const : "RETRY" as const, detail: n <= 2 ? "a" : "b" };
        }, 60_000, manualDeps(), (d) => seen.push(d));
        assert.deepEqual(seen, ["a", "b"]);
    });
});

describe("backoffDelayMs", () => {
    it("is full jitter over 250 ms doubling up to 20 s", () => {
        assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => backoffDelayMs(a, 0.999999)),
            [249, 499, 999, 1999, 3999, 7999, 15999, 19999, 19999]);
        assert.equal(backoffDelayMs(3, 0), 0);
        assert.equal(backoffDelayMs(3, 0.5), 500);
    });
});

describe("isRetryable", () => {
    it("retries throttling, 5xx, 429 and timeouts but not client errors", () => {
        assert.equal(isRetryable({ name: "ThrottlingException" }), true);
        assert.equal(isRetryable({ name: "Throttling" }), true);
        assert.equal(isRetryable({ name: "InternalFailure", $metadata: { httpStatusCode: 500 } }), true);
        assert.equal(isRetryable({ name: "Anything", $metadata: { httpStatusCode: 503 } }), true);
        assert.equal(isRetryable({ name: "TooMany", $metadata: { httpStatusCode: 429 } }), true);
        assert.equal(isRetryable({ name: "CallTimeout" }), true);
        assert.equal(isRetryable({ name: "ValidationError", $metadata: { httpStatusCode: 400 } }), false);
        assert.equal(isRetryable({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } }), false);
        assert.equal(isRetryable("boom"), false);
    });
});

describe("retrying", () => {
    it("retries a throttled call with the backoff schedule and returns its result", async () => {
        const deps = manualDeps(0.5);
        let calls = 0;
        const value = await retrying("DescribeTasks", async () => {
            calls++;
            if (calls < 3) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
            return "ok";
        }, deps);
        assert.equal(value, "ok");
        assert.deepEqual(deps.slept.filter((ms) => ms !== 60_000), [125, 250]);
    });

    it("gives up after the bound with an error naming the operation and the last AWS error", async () => {
        const deps = manualDeps(0);
        let calls = 0;
        await assert.rejects(retrying("UpdateContainerInstancesState", async () => {
            calls++;
            throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        }, deps), (e: unknown) => {
            assert.ok(e instanceof Error && e.name === "RetriesExhaustedError");
            assert.equal(e.message, `UpdateContainerInstancesState failed after ${RETRY_MAX_ATTEMPTS} attempts: ThrottlingException: Rate exceeded`);
            return true;
        });
        assert.equal(calls, RETRY_MAX_ATTEMPTS);
    });

    it("names the AWS operation that failed, and the scaler's step with it, when the error says which", async () => {
        await assert.rejects(retrying("setContainerInstanceState", async () => {
            throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", operation: "UpdateContainerInstancesState" });
        }, manualDeps(0)), (e: unknown) => {
            assert.equal((e as Error).message, `UpdateContainerInstancesState failed after ${RETRY_MAX_ATTEMPTS} attempts (setContainerInstanceState): `
                + "ThrottlingException: Rate exceeded");
            assert.equal((e as { operation: string }).operation, "UpdateContainerInstancesState");
            return true;
        });
    });

    it("does not retry an error that will not go away", async () => {
        let calls = 0;
        await assert.rejects(retrying("TerminateInstanceInAutoScalingGroup", async () => {
            calls++;
            throw Object.assign(new Error("desiredSize equals minSize"), { name: "ValidationError" });
        }, manualDeps()), { message: "desiredSize equals minSize" });
        assert.equal(calls, 1);
    });

    it("abandons a call that never answers and tries again, in virtual time", async () => {
        const world: SimWorld = buildCluster({ instances: 2 });
        const cloud = simCloud(world, { seed: 7, hangRate: 0.5 });
        const deps = simDeps(world, 3);
        const group = await world.clock.run(withRetries(cloud, deps).describeGroup());
        assert.equal(group.instances.length, 2);
        assert.ok(cloud.faults.hang >= 1, "at least one call hung");
        assert.equal(cloud.requests.DescribeAutoScalingGroups, cloud.faults.hang + 1, "each hang was followed by a retry");
        assert.ok(world.now >= Date.UTC(2026, 0, 1) + cloud.faults.hang * 60_000, "each hang cost the call timeout");
    });

    it("lets a call that reads many pages run past the call timeout while answers keep coming, and abandons it once they stop", async () => {
        const clock: VirtualClock = new VirtualClock(0, (t) => { clock.nowMs = t; });
        const deps = { now: () => clock.now(), sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal), random: () => 0, log: () => undefined };
        // Answers to this phase's calls (an abandoned attempt of an earlier phase may still be paging).
        let answers = 0;
        let phase = 0;
        const startedAt: number[] = [];
        // Ten minutes of pages, an answer every 30 s (none after `silentAfter` pages): longer than the call timeout in all.
        const pages = async (silentAfter = Infinity) => {
            const mine = phase;
            startedAt.push(clock.now());
            for (let p = 0; p < 20; p++) {
                await clock.sleep(p >= silentAfter ? 3_600_000 : 30_000);
                if (mine === phase) answers++;
            }
            return "all pages";
        };
        assert.equal(await clock.run(retrying("ListTasks", () => pages(), deps, () => answers)), "all pages");
        assert.deepEqual([startedAt, clock.now()], [[0], 600_000], "one attempt, never abandoned");

        // Without a count of answers, each attempt is abandoned at the call timeout.
        startedAt.length = 0;
        await assert.rejects(clock.run(retrying("ListTasks", () => pages(), deps), 3_600_000), /did not answer within 60 s/);
        assert.equal(startedAt.length, RETRY_MAX_ATTEMPTS);
        assert.equal(startedAt[1] - startedAt[0], 60_000);

        // A call that goes silent after three pages is abandoned one call timeout after its last answer.
        phase++;
        startedAt.length = 0;
        const t0 = clock.now();
        await assert.rejects(clock.run(retrying("ListTasks", () => pages(3), deps, () => answers), 7_200_000), /did not answer within 60 s/);
        assert.equal(startedAt[1] - t0, 90_000 + 60_000, "three answers 30 s apart, then a silent call timeout");
    });
});
