// The command's arguments, parsed in-process: every scaler setting has a flag, and bad values are named by flag.
import { strict as assert } from "node:assert";
import { DRAINING_FLAGS, MAINTENANCE_FLAGS, parsePlanArgs, SCALING_FLAGS, USAGE } from "../../provider/cli";
import { DEFAULT_DRAINING, DEFAULT_SCALING, DRAINING_KEYS, MAINTENANCE_KEYS, SCALING_KEYS } from "../../provider/settings";

const required = ["plan", "--region", "eu-west-1", "--cluster", "web", "--asg", "web-asg"];

describe("spot-ecs plan arguments", () => {
    it("has a flag for every scaling and draining setting, each explained in --help", () => {
        assert.deepEqual(Object.keys(SCALING_FLAGS).sort(), [...SCALING_KEYS].sort());
        assert.deepEqual(Object.keys(DRAINING_FLAGS).sort(), [...DRAINING_KEYS].sort());
        assert.deepEqual(Object.keys(MAINTENANCE_FLAGS).sort(), [...MAINTENANCE_KEYS].sort());
        for (const flag of [...Object.values(SCALING_FLAGS), ...Object.values(DRAINING_FLAGS), ...Object.values(MAINTENANCE_FLAGS)]) {
            assert.match(USAGE, new RegExp(`^  ${flag}( |$)`, "m"), flag);
        }
        assert.notEqual(DRAINING_FLAGS.timeoutSeconds, "--timeout-seconds", "the drain timeout is not the command's own timeout");
    });

    it("takes every setting, with the defaults for those not given", () => {
        const c = parsePlanArgs([...required, "--spot-fallback-after-seconds", "120", "--spot-revert-after-seconds=600", "--spot-revert-window",
            "Sat,Sun 02:00-06:00", "--drain-timeout-seconds", "300", "--standalone-tasks", "stop", "--max-update-seconds", "1800",
            "--timeout-seconds", "30"]);
        assert.ok(typeof c === "object");
        assert.deepEqual(c.scaling, { ...DEFAULT_SCALING, spotFallbackAfterSeconds: 120, spotRevertAfterSeconds: 600, spotRevertWindow: "Sat,Sun 02:00-06:00" });
        assert.deepEqual(c.draining, { ...DEFAULT_DRAINING, timeoutSeconds: 300, standaloneTasks: "stop", maxUpdateSeconds: 1800 });
        assert.equal(c.timeoutSeconds, 30);
    });

    it("takes --halt-on-alarm once per guard alarm, and names the bad one by flag and place", () => {
        const c = parsePlanArgs([...required, "--halt-on-alarm", "web-5xx", "--halt-on-alarm=arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-latency",
            "--bake-seconds", "120"]);
        assert.ok(typeof c === "object");
        assert.deepEqual([c.draining.haltOnAlarms, c.draining.bakeSeconds], [["web-5xx", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-latency"], 120]);
        assert.throws(() => parsePlanArgs([...required, "--halt-on-alarm", "web-5xx", "--halt-on-alarm", "x".repeat(256)]), {
            name: "UsageError",
            message: "spot-ecs plan: invalid arguments:\n  - `--halt-on-alarm[1]` must be a CloudWatch alarm name (1-255 characters, no control characters) "
                + `or an alarm ARN, got "${"x".repeat(256)}"`,
        });
    });

    it("names the flag, what is allowed and what was given, for each bad setting at once", () => {
        assert.throws(() => parsePlanArgs([...required, "--standalone-tasks", "kill", "--spot-revert-window", "weekends", "--drain-timeout-seconds", "5"]), {
            name: "UsageError",
            message: "spot-ecs plan: invalid arguments:\n"
                + "  - `--spot-revert-window` must be a UTC window \"HH:MM-HH:MM\", optionally after days such as \"Sat,Sun \" (e.g. \"02:00-06:00\"), got \"weekends\"\n"
                + "  - `--drain-timeout-seconds` must be an integer between 30 and 172800, got 5\n"
                + "  - `--standalone-tasks` must be one of \"fail\", \"stop\", got \"kill\"",
        });
    });
});
