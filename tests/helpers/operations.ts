// What the scaler sent through the limits proxy, held to the list its permissions come from.
import { strict as assert } from "node:assert";
import { AWS_OPERATIONS } from "../../provider/operations";

/** Fails naming each operation the scaler sent that AWS_OPERATIONS lacks (its IAM policy would refuse it). */
export function assertListedOperations(sent: string[]): void {
    assert.ok(sent.length > 0, "the scaler's requests reached the proxy");
    const known = new Set(AWS_OPERATIONS.map((o) => o.operation));
    assert.deepEqual(sent.filter((op) => !known.has(op)), [], "AWS operations the scaler sent that AWS_OPERATIONS (and so its IAM policy) lacks");
}
