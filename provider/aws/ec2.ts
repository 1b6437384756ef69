// The Cloud port's EC2 calls through SDK v3: each instance's lifecycle (Spot or On-Demand) and launch
// time, and the Spot interruption notices given.
import type * as EC2 from "@aws-sdk/client-ec2";
import { Cloud, InstanceFacts } from "../cloud";
import { LIMITS } from "../quotas";
import { AwsClients, chunks } from "./clients";

/**
 * Instance ids an `InvalidInstanceID.NotFound` error names ("The instance ID 'i-1' does not exist",
 * "The instance IDs 'i-1, i-2' do not exist").
 */
export function missingInstanceIds(message: string): string[] {
    const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
    return quoted.split(/[,\s]+/).filter((id) => /^i-[0-9a-f]+$/.test(id));
}

export type Ec2Calls = Pick<Cloud, "describeInstances" | "spotInterruptions">;

/** The EC2 calls. */
export function ec2Calls(k: AwsClients): Ec2Calls {
    return {
        async describeInstances(instanceIds: string[]): Promise<Record<string, InstanceFacts>> {
            const out: Record<string, InstanceFacts> = {};
            for (const batch of chunks(instanceIds, LIMITS.describeInstances)) {
                let ids = batch;
                let NextToken: string | undefined;
                while (ids.length > 0) {
                    let r: EC2.DescribeInstancesCommandOutput;
                    try {
                        r = await k.ec2Client.send(new k.ec2.DescribeInstancesCommand({ InstanceIds: ids, NextToken }));
                    } catch (error) {
                        // EC2 is eventually consistent: an instance the group just launched may not be
                        // describable yet, and one unknown id fails the whole request. Leave those out.
                        const missing = error instanceof Error && error.name === "InvalidInstanceID.NotFound" ? missingInstanceIds(error.message) : [];
                        if (missing.length === 0 || !missing.some((id) => ids.includes(id))) throw error;
                        ids = ids.filter((id) => !missing.includes(id));
                        NextToken = undefined;
                        continue;
                    }
                    for (const i of (r.Reservations ?? []).flatMap((x) => x.Instances ?? [])) {
                        out[i.InstanceId!] = {
                            lifecycle: i.InstanceLifecycle === "spot" ? "spot" : "on-demand",
                            ...(i.LaunchTime === undefined ? {} : { launchTime: new Date(i.LaunchTime).getTime() }),
                        };
                    }
                    NextToken = r.NextToken;
                    if (NextToken === undefined) break;
                }
            }
            return out;
        },

        async spotInterruptions(instanceIds: string[]) {
            const out: string[] = [];
            for (const batch of chunks(instanceIds, LIMITS.describeSpotInstanceRequests)) {
                let NextToken: string | undefined;
                do {
                    const r = await k.ec2Client.send(new k.ec2.DescribeSpotInstanceRequestsCommand({
                        Filters: [{ Name: "instance-id", Values: batch }], NextToken,
                    }));
                    for (const req of r.SpotInstanceRequests ?? []) {
                        // The request's status becomes marked-for-termination at the interruption notice.
                        if (req.InstanceId !== undefined && req.Status?.Code === "marked-for-termination") out.push(req.InstanceId);
                    }
                    NextToken = r.NextToken;
                } while (NextToken);
            }
            return out;
        },
    };
}
