// The cluster's lease in a DynamoDB table (partition key `pk`, a string): one item per cluster for the
// lease, taken with a conditional PutItem (free, expired, or already ours), and one for the runner's
// last outcome. A conditional write is atomic: of two actors racing for a free lease, exactly one wins.
import type * as DDB from "@aws-sdk/client-dynamodb";
import { Acquired, Lease, LeaseHolder, RUNNER_OUTCOMES, RunnerOutcome, RunnerRecord } from "../lease";
import { SCALER_USER_AGENT } from "./clients";

/** The lease of `clusterName` in `table` (Region `region`); credentials from the default chain at run time. */
export function dynamoLease(region: string, table: string, clusterName: string): Lease & { requests: Record<string, number> } {
    const ddb: typeof DDB = require("@aws-sdk/client-dynamodb");
    const client = new ddb.DynamoDBClient({ region, customUserAgent: SCALER_USER_AGENT });
    const requests: Record<string, number> = {};
    (client.middlewareStack as { add: (...a: any[]) => void }).add((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const op = (context.commandName ?? "Unknown").replace(/Command$/, "");
        requests[op] = (requests[op] ?? 0) + 1;
        return next(args);
    }, { step: "initialize", name: "spotEcsLeaseRequestCounter" });
    const leaseKey = { pk: { S: `lease#${clusterName}` } };
    const runKey = { pk: { S: `run#${clusterName}` } };
    const num = (item: Record<string, DDB.AttributeValue> | undefined, name: string) => Number(item?.[name]?.N ?? NaN);
    const read = async (key: Record<string, DDB.AttributeValue>) =>
        (await client.send(new ddb.GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
    const holderOf = (item: Record<string, DDB.AttributeValue> | undefined): LeaseHolder | undefined =>
        item?.holder?.S === undefined ? undefined : { holder: item.holder.S, since: num(item, "since"), expiresAt: num(item, "expiresAt") };
    const refused = (error: unknown) => (error as { name?: string })?.name === "ConditionalCheckFailedException";

    return {
        where: `DynamoDB table ${table}`,
        requests,
        async acquire(holder, nowMs, ttlMs): Promise<Acquired> {
            try {
                await client.send(new ddb.PutItemCommand({
                    TableName: table,
                    Item: { ...leaseKey, holder: { S: holder }, since: { N: String(nowMs) }, expiresAt: { N: String(nowMs + ttlMs) } },
                    ConditionExpression: "attribute_not_exists(pk) OR #expiresAt < :now OR #holder = :holder",
                    ExpressionAttributeNames: { "#expiresAt": "expiresAt", "#holder": "holder" },
                    ExpressionAttributeValues: { ":now": { N: String(nowMs) }, ":holder": { S: holder } },
                }));
                return { taken: true };
            } catch (error) {
                if (!refused(error)) throw error;
                const by = holderOf(await read(leaseKey));
                // Let go between the write and the read: the next attempt finds it free.
                return { taken: false, by: by ?? { holder: "another actor (it has just let go)", since: nowMs, expiresAt: nowMs } };
            }
        },
        async release(holder) {
            try {
                await client.send(new ddb.DeleteItemCommand({
                    TableName: table, Key: leaseKey, ConditionExpression: "#holder = :holder",
                    ExpressionAttributeNames: { "#holder": "holder" }, ExpressionAttributeValues: { ":holder": { S: holder } },
                }));
            } catch (error) {
                // Taken over after it expired, or already gone: nothing of ours to give up.
                if (!refused(error)) throw error;
            }
        },
        async current(nowMs) {
            const held = holderOf(await read(leaseKey));
            return held !== undefined && held.expiresAt > nowMs ? held : undefined;
        },
        async recordRun(record) {
            await client.send(new ddb.PutItemCommand({
                TableName: table,
                Item: { ...runKey, at: { N: String(record.at) }, outcome: { S: record.outcome }, summary: { S: record.summary.slice(0, 2000) } },
            }));
        },
        async lastRun(): Promise<RunnerRecord | undefined> {
            const item = await read(runKey);
            const outcome = item?.outcome?.S;
            if (item === undefined || outcome === undefined || !(RUNNER_OUTCOMES as readonly string[]).includes(outcome)) return undefined;
            return { at: num(item, "at"), outcome: outcome as RunnerOutcome, summary: item.summary?.S ?? "" };
        },
    };
}
