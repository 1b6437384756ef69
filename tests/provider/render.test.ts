import * as assert from "assert";
import { NOTE_PREFIX, PLAN_PENDING, planHasActions, planPendingBecause, renderPlan } from "../../provider/render";

describe("the rendered plan", () => {
    const plan = renderPlan({
        actions: [{ kind: "set-desired", cause: "scale-out", from: 2, to: 3, waitForActive: 3, reason: "scale out 2 → 3: CPU high" }],
        notes: ["scale-in held: cooldown"],
    });

    it("puts actions first and marks notes", () => {
        assert.deepEqual(plan, ["scale out 2 → 3: CPU high", `${NOTE_PREFIX}scale-in held: cooldown`]);
    });

    it("has actions only when a line is neither a note nor a pending line", () => {
        assert.equal(planHasActions(plan), true);
        assert.equal(planHasActions(plan.slice(1)), false);
        assert.equal(planHasActions([PLAN_PENDING]), false);
        assert.equal(planHasActions([planPendingBecause("ECS cluster web")]), false);
        assert.equal(planHasActions([]), false);
        assert.equal(planHasActions(undefined), false);
        assert.equal(planHasActions("scale out 2 → 3"), false);
    });
});
