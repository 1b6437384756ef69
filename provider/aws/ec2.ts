// The Cloud port's EC2 calls through SDK v3: each instance's lifecycle (Spot or On-Demand) and launch
// time, and the Spot interruption notices given.
import type * as EC2 from "@aws-sdk/client-ec2";
import { Cloud, InstanceFacts } from "../cloud";
import { InstanceTypeFacts, manufacturerOf } from "../instanceTypes";
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

/** Instance types an `InvalidInstanceType` error names ("The following supplied instance types do not exist: [a.b, c.d]"). */
export function unknownInstanceTypes(message: string): string[] {
    const listed = /\[([^\]]*)\]/.exec(message)?.[1] ?? "";
    return listed.split(/[,\s]+/).filter((t) => t.length > 0);
}

export type Ec2Calls = Pick<Cloud, "describeInstances" | "spotInterruptions" | "instanceTypeFacts">;

/** The facts the scaler keeps of one DescribeInstanceTypes entry. */
export function factsOf(t: EC2.InstanceTypeInfo): InstanceTypeFacts {
    const sum = (xs: { Count?: number }[] | undefined) => (xs ?? []).reduce((n, x) => n + (x.Count ?? 0), 0);
    const manufacturer = manufacturerOf(t.ProcessorInfo?.Manufacturer);
    return {
        vcpus: t.VCpuInfo?.DefaultVCpus ?? 0,
        memoryMiB: t.MemoryInfo?.SizeInMiB ?? 0,
        maxNetworkInterfaces: t.NetworkInfo?.MaximumNetworkInterfaces ?? 1,
        gpus: sum(t.GpuInfo?.Gpus),
        fpgas: sum(t.FpgaInfo?.Fpgas),
        // Inferentia types list their chips both as inference accelerators and as Neuron devices.
        inference: Math.max(sum(t.InferenceAcceleratorInfo?.Accelerators), sum(t.NeuronInfo?.NeuronDevices)),
        ...(manufacturer === undefined ? {} : { manufacturer }),
        ...(t.CurrentGeneration === undefined ? {} : { currentGeneration: t.CurrentGeneration }),
        ...(t.BurstablePerformanceSupported === undefined ? {} : { burstable: t.BurstablePerformanceSupported }),
        ...(t.BareMetal === undefined ? {} : { bareMetal: t.BareMetal }),
    };
}

/**
 * Pages through a request for `items`, asking again without those an error `errorName` names
 * (`unknownIn` reads them from its message): EC2 fails a whole request for one id or type it does not know.
 */
async function pagesLeavingOut<R extends { NextToken?: string }>(items: string[], errorName: string, unknownIn: (message: string) => string[],
    send: (items: string[], token: string | undefined) => Promise<R>, take: (r: R) => void): Promise<void> {
    let asked = items;
    let NextToken: string | undefined;
    while (asked.length > 0) {
        let r: R;
        try {
            r = await send(asked, NextToken);
        } catch (error) {
            const unknown = error instanceof Error && error.name === errorName ? unknownIn(error.message) : [];
            if (!unknown.some((x) => asked.includes(x))) throw error;
            asked = asked.filter((x) => !unknown.includes(x));
            NextToken = undefined;
            continue;
        }
        take(r);
        NextToken = r.NextToken;
        if (NextToken === undefined) break;
    }
}

/** The EC2 calls. Instance type facts do not change: each type is read once per process. */
export function ec2Calls(k: AwsClients): Ec2Calls {
    const typeFacts = new Map<string, InstanceTypeFacts>();
    return {
        async instanceTypeFacts(types: string[]): Promise<Record<string, InstanceTypeFacts>> {
            const unread = [...new Set(types)].filter((t) => !typeFacts.has(t));
            for (const batch of chunks(unread, LIMITS.describeInstanceTypes)) {
                // One type EC2 does not know fails the whole request: leave the ones it names out.
                await pagesLeavingOut(batch, "InvalidInstanceType", unknownInstanceTypes,
                    (asked, NextToken) => k.ec2Client.send(new k.ec2.DescribeInstanceTypesCommand({ InstanceTypes: asked as EC2._InstanceType[], NextToken })),
                    (r) => { for (const t of r.InstanceTypes ?? []) if (t.InstanceType !== undefined) typeFacts.set(t.InstanceType, factsOf(t)); });
            }
            return Object.fromEntries(types.flatMap((t) => typeFacts.has(t) ? [[t, typeFacts.get(t)!]] : []));
        },

        async describeInstances(instanceIds: string[]): Promise<Record<string, InstanceFacts>> {
            const out: Record<string, InstanceFacts> = {};
            for (const batch of chunks(instanceIds, LIMITS.describeInstances)) {
                // EC2 is eventually consistent: an instance the group just launched may not be
                // describable yet, and one unknown id fails the whole request. Leave those out.
                await pagesLeavingOut(batch, "InvalidInstanceID.NotFound", missingInstanceIds,
                    (ids, NextToken) => k.ec2Client.send(new k.ec2.DescribeInstancesCommand({ InstanceIds: ids, NextToken })),
                    (r) => {
                        for (const i of (r.Reservations ?? []).flatMap((x) => x.Instances ?? [])) {
                            out[i.InstanceId!] = {
                                lifecycle: i.InstanceLifecycle === "spot" ? "spot" : "on-demand",
                                ...(i.LaunchTime === undefined ? {} : { launchTime: new Date(i.LaunchTime).getTime() }),
                            };
                        }
                    });
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
