// The Cloud port on AWS, through SDK v3: one file per service (ecs.ts, autoScaling.ts, ec2.ts, elb.ts,
// cloudWatch.ts) over the clients of clients.ts. Credentials come from the default chain at run time;
// AWS_ENDPOINT_URL is honoured by the SDK itself.
import { Cloud, CloudTarget } from "../cloud";
import { autoScalingCalls, AutoScalingCalls } from "./autoScaling";
import { awsClients } from "./clients";
import { cloudWatchCalls } from "./cloudWatch";
import { ec2Calls } from "./ec2";
import { ecsCalls, EcsCalls } from "./ecs";
import { elbCalls } from "./elb";

export { placementNeedsOf } from "./ecs";
export { missingInstanceIds } from "./ec2";

export interface AwsCloud extends Cloud, Pick<EcsCalls, "clusterStatus">, Pick<AutoScalingCalls, "launchTemplateTarget"> {
    /** Requests sent, by operation name. */
    readonly requests: Record<string, number>;
    /** The last request sent: its operation and the endpoint it went to. */
    readonly lastRequest: { operation: string; endpoint: string } | undefined;
}

/** A Cloud acting on one cluster and Auto Scaling group in `target.region`; `requestTimeoutMs` bounds each HTTP request. */
export function awsCloud(target: CloudTarget, options: { requestTimeoutMs?: number } = {}): AwsCloud {
    const k = awsClients(target, options);
    return {
        requests: k.requests,
        answered: k.answered,
        get lastRequest() {
            return k.lastRequest();
        },
        ...ecsCalls(k, target),
        ...autoScalingCalls(k, target),
        ...ec2Calls(k),
        ...elbCalls(k),
        ...cloudWatchCalls(k, target),
    };
}
