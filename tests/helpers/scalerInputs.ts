// Inputs and environment for driving the scaler through the host against a moto cluster.
import * as asg from "@aws-sdk/client-auto-scaling";
import { DEFAULT_DRAINING, DEFAULT_SCALING } from "../../provider/settings";
import { FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY } from "./env";
import { Props } from "./host";
import { MotoCluster, REGION } from "./motoCluster";

/** Environment of the host process: AWS through the counting proxy, fake credentials. */
export function hostEnv(endpoint: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("AWS_")) delete env[k];
    return {
        ...env,
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: FAKE_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: FAKE_SECRET_ACCESS_KEY,
        AWS_REGION: "us-east-1",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
}

/** The scaler's inputs for a moto cluster, as the component would send them. */
export function inputsFor(m: MotoCluster, providerText: string, o: { version?: string; draining?: Partial<typeof DEFAULT_DRAINING>;
    declared?: { minSize: number; maxSize: number; instanceTypes: string[] } } = {}): Props {
    return {
        ...o.declared,
        __provider: providerText,
        region: REGION,
        clusterName: m.clusterName,
        autoScalingGroupName: m.autoScalingGroupName,
        launchTemplateId: m.launchTemplateId,
        launchTemplateVersion: o.version ?? "1",
        targetGroupArns: m.targetGroupArn === undefined ? [] : [m.targetGroupArn],
        scaling: { ...DEFAULT_SCALING },
        draining: { ...DEFAULT_DRAINING, ...o.draining },
    };
}

/** What Pulumi does before the scaler runs: point the group at the new launch template version. */
export async function rollGroupTo(m: MotoCluster, version: string): Promise<void> {
    await m.clients.asg.send(new asg.UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: m.autoScalingGroupName,
        LaunchTemplate: { LaunchTemplateId: m.launchTemplateId, Version: version },
    }));
}

