// The verdict on a draining victim at one look, and at its drain timeout, as tables of what was seen.
import { strict as assert } from "node:assert";
import { decrementNow, drainClock, nextMoment, timeoutVerdict, Verdict, VictimMarks, VictimSight, victimVerdict } from "../../provider/drainVerdict";
import { ObservedTask } from "../../provider/model";

const START = 1_000_000;
const S = 1000;
// Drain timeout 120 s, target groups with a 30 s deregistration delay: targets get 120 s, tasks being stopped 120 + 300 + 300 s.
const clock = drainClock(START, 30, 120);

function task(group: string, lastStatus = "RUNNING", desiredStatus = "RUNNING", arn = `arn:task/${group}`): ObservedTask {
    return { arn, containerInstanceArn: "arn:ci/1", group, cpu: 128, memory: 128, desiredStatus, lastStatus };
}

function sight(over: Partial<VictimSight>): VictimSight {
    return { instanceId: "i-1", tasks: 0, stopping: [], ownStopped: [], inTargets: [], empty: false, shortServices: [], ...over };
}

const deactivating = task("service:web", "DEACTIVATING", "STOPPED");

// [case, what the look saw, marks, seconds since the drain began, the verdict expected]
const CASES: [string, Partial<VictimSight>, VictimMarks, number, Verdict][] = [
    ["empty with its services whole: terminate", { empty: true }, {}, 10, { kind: "terminate" }],
    ["empty with a service short: wait, and remember when it emptied", { empty: true, shortServices: ["service web: 1 of 2 tasks running"] }, {}, 10,
        { kind: "wait", detail: "i-1: empty, termination held: service web: 1 of 2 tasks running", marks: { emptySinceMs: START + 10 * S } }],
    ["empty, a service still short a drain timeout after it emptied: stuck",
        { empty: true, shortServices: ["service web: 1 of 2 tasks running"] }, { emptySinceMs: START + 10 * S }, 130,
        { kind: "stuck", detail: "i-1: empty, termination held: service web: 1 of 2 tasks running", marks: { emptySinceMs: START + 10 * S },
            reason: "i-1: not terminated, a service it ran is still short 120 s after its last task stopped: service web: 1 of 2 tasks running; the instance stays DRAINING" }],
    ["empty, a service short but the timeout since it emptied not over: wait",
        { empty: true, shortServices: ["service web: 1 of 2 tasks running"] }, { emptySinceMs: START + 60 * S }, 130,
        { kind: "wait", detail: "i-1: empty, termination held: service web: 1 of 2 tasks running", marks: { emptySinceMs: START + 60 * S } }],
    ["tasks left before the timeout: wait", { tasks: 2, inTargets: ["targetgroup/web draining"] }, {}, 60,
        { kind: "wait", detail: "i-1: 2 tasks left, target targetgroup/web draining" }],
    ["tasks left at the timeout: read them", { tasks: 1 }, {}, 120, { kind: "timed-out", detail: "i-1: 1 task left", graceOver: false }],
    ["only daemons left, within their grace: wait", { tasks: 1 }, { daemonGraceUntilMs: clock.stoppingTimeoutMs }, 200,
        { kind: "wait", detail: "i-1: 1 task left" }],
    ["only daemons left, their grace spent: read them again", { tasks: 1 }, { daemonGraceUntilMs: clock.stoppingTimeoutMs }, 720,
        { kind: "timed-out", detail: "i-1: 1 task left", graceOver: true }],
    ["standalone tasks it stopped still stopping past their grace: stuck",
        { tasks: 0, stopping: [task("family:job", "STOPPING", "STOPPED", "arn:job")], ownStopped: [task("family:job", "STOPPING", "STOPPED", "arn:job")] },
        { stopDeadlineMs: START + 400 * S }, 400,
        { kind: "stuck", detail: "i-1: 0 tasks left, 1 still stopping (STOPPING ×1)",
            reason: "i-1: stopped standalone tasks did not reach STOPPED within 300 s (STOPPING ×1)" }],
    ["a service task still deactivating within the stopping timeout: wait, and remember when it was first seen so",
        { stopping: [deactivating] }, {}, 600,
        { kind: "wait", detail: "i-1: 0 tasks left, 1 still stopping (DEACTIVATING ×1)", marks: { stoppingSeenMs: { [deactivating.arn]: START + 600 * S } } }],
    ["a service task still deactivating past the stopping timeout, seen so for its grace: stuck",
        { stopping: [deactivating] }, { stoppingSeenMs: { [deactivating.arn]: START + 100 * S } }, 720,
        { kind: "stuck", detail: "i-1: 0 tasks left, 1 still stopping (DEACTIVATING ×1)",
            reason: "i-1: 1 task(s) still stopping after 720 s (DEACTIVATING ×1): they were asked to stop and have not reached STOPPED" }],
    // ECS stops a daemon task only once the instance's other tasks have stopped: its stop begins late.
    ["a task first seen stopping late (a daemon, after the others) past the stopping timeout but within its own grace: wait",
        { stopping: [deactivating] }, { stoppingSeenMs: { [deactivating.arn]: START + 400 * S } }, 720,
        { kind: "wait", detail: "i-1: 0 tasks left, 1 still stopping (DEACTIVATING ×1)", marks: { stoppingSeenMs: { [deactivating.arn]: START + 400 * S } } }],
    ["a task first seen stopping late, its own grace spent too: stuck",
        { stopping: [deactivating] }, { stoppingSeenMs: { [deactivating.arn]: START + 400 * S } }, 1000,
        { kind: "stuck", detail: "i-1: 0 tasks left, 1 still stopping (DEACTIVATING ×1)",
            reason: "i-1: 1 task(s) still stopping after 1000 s (DEACTIVATING ×1): they were asked to stop and have not reached STOPPED" }],
    ["no task, still in a target group past its delay: stuck", { inTargets: ["targetgroup/web draining"] }, {}, 120,
        { kind: "stuck", detail: "i-1: 0 tasks left, target targetgroup/web draining",
            reason: "i-1: still in target group targetgroup/web draining after 120 s (deregistration delay 30 s)" }],
];

describe("victimVerdict", () => {
    for (const [name, seen, marks, seconds, expected] of CASES) {
        it(name, () => {
            assert.deepEqual(victimVerdict(sight(seen), marks, clock, START + seconds * S), expected);
        });
    }

    it("gives targets at least their deregistration delay and a minute, whatever the drain timeout", () => {
        const longDelay = drainClock(START, 600, 120);
        const v = sight({ inTargets: ["targetgroup/web draining"] });
        assert.equal(victimVerdict(v, {}, longDelay, START + 600 * S).kind, "wait");
        assert.equal(victimVerdict(v, {}, longDelay, START + 660 * S).kind, "stuck");
    });
});

describe("a drain an earlier run began (its mark records when)", () => {
    // Began 600 s ago; this run looks again from now, and took it out of its target groups again.
    const now = START + 600 * S;
    const resumed = drainClock(START, 30, 120, now);

    it("keeps its drain timeout from when it began: tasks still there are read at once", () => {
        assert.deepEqual(victimVerdict(sight({ tasks: 1 }), {}, resumed, now), { kind: "timed-out", detail: "i-1: 1 task left", graceOver: false });
    });

    it("gives its targets their delay and a minute from this run, not from when the drain began", () => {
        const v = sight({ inTargets: ["targetgroup/web draining"] });
        assert.equal(victimVerdict(v, {}, resumed, now + 60 * S).kind, "wait");
        assert.equal(victimVerdict(v, {}, resumed, now + 120 * S).kind, "stuck");
    });
});

describe("timeoutVerdict", () => {
    const draining = { timeoutSeconds: 120, standaloneTasks: "fail" as const };

    it("waits the stopping grace when only daemon tasks (or tasks being stopped) are left", () => {
        assert.deepEqual(timeoutVerdict("i-1", [], 1, false, draining), { kind: "grace" });
    });

    it("is stuck when they are still there after the grace", () => {
        assert.deepEqual(timeoutVerdict("i-1", [], 1, true, draining), { kind: "stuck",
            reason: "i-1: 1 task(s) still running or stopping after 120 s and its grace: they have not reached STOPPED" });
    });

    it("is stuck naming the services whose tasks ECS could not move, whatever the standalone policy", () => {
        const v = timeoutVerdict("i-1", [task("service:web"), task("service:web"), task("family:job")], 3, false, { ...draining, standaloneTasks: "stop" });
        assert.equal(v.kind, "stuck");
        assert.match((v as { reason: string }).reason, /^i-1: 2 service task\(s\) still running after 120 s \(service:web ×2\); ECS could not move them/);
    });

    it("is stuck naming the standalone tasks under the \"fail\" policy", () => {
        assert.deepEqual(timeoutVerdict("i-1", [task("family:job")], 1, false, draining), { kind: "stuck",
            reason: "i-1: standalone task(s) still running after 120 s: arn:task/family:job (family:job); "
                + "draining.standaloneTasks is \"fail\": stop them yourself or set it to \"stop\"" });
    });

    it("stops the standalone tasks under the \"stop\" policy", () => {
        const job = task("family:job");
        assert.deepEqual(timeoutVerdict("i-1", [job], 1, false, { ...draining, standaloneTasks: "stop" }), { kind: "stop-standalone", tasks: [job] });
    });
});

describe("nextMoment", () => {
    it("is a second after the nearest timeout or grace still ahead", () => {
        // The deregistration delay ends at 30 s; the drain timeout and the target timeout at 120 s.
        assert.equal(nextMoment(clock, [], START), START + 31 * S);
        assert.equal(nextMoment(clock, [], START + 31 * S), START + 121 * S);
        assert.equal(nextMoment(clock, [{ stopDeadlineMs: START + 50 * S }], START + 31 * S), START + 51 * S);
        assert.equal(nextMoment(clock, [{ emptySinceMs: START + 5 * S }], START + 121 * S), START + 126 * S);
        assert.equal(nextMoment(clock, [], START + 2000 * S), Infinity);
    });
});

describe("decrementNow", () => {
    const group = (desired: number, live: number, minSize = 1) => ({ desired, minSize,
        instances: Array.from({ length: live }, (_, n) => ({ instanceId: `i-${n}`, instanceType: "m6i.large", asgState: "InService" })) });

    it("lowers desired capacity when the group would otherwise launch a replacement", () => {
        assert.equal(decrementNow(group(8, 8), "i-0"), true);
    });

    it("does not when desired capacity is already down to the instances that stay (a maxSize lowered mid-run)", () => {
        assert.equal(decrementNow(group(4, 8), "i-0"), false);
        assert.equal(decrementNow(group(7, 8), "i-0"), false);
    });

    it("does not below minSize, which Auto Scaling refuses: the group replaces the instance", () => {
        assert.equal(decrementNow(group(2, 2, 2), "i-0"), false);
    });

    it("does not count instances already on their way out as staying", () => {
        const g = group(3, 3);
        g.instances[2].asgState = "Terminating:Wait";
        assert.equal(decrementNow(g, "i-0"), true);
    });
});
