// The IAM policies the scaler's credentials need, derived from the operations it sends
// (operations.ts) and scoped to one cluster, group and set of target groups wherever IAM allows.
import { AWS_OPERATIONS, AwsOperation, Scope } from "./operations";
import { SCALER_NAMESPACE } from "./scalerMetrics";

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** What the policy is scoped to. */
export interface PolicyScope {
    clusterArn: string;
    autoScalingGroupArn: string;
    /** Target groups whose instance targets the scaler deregisters and registers; none: no such permission. */
    targetGroupArns: string[];
    /** The DynamoDB table of the cluster's lease; none: no lease permission. */
    leaseTableArn?: string;
}

export interface PolicyOptions {
    /** `preview`: what every observation needs (a preview, `spot-ecs plan`); `up`: that and what an up that acts needs. */
    access: "preview" | "up";
    /** Whether the scaler may stop standalone tasks (`draining.standaloneTasks: "stop"`). @default false */
    stopsTasks?: boolean;
    /** Also what the `spot-ecs` command reads (the group's launch template). @default false */
    command?: boolean;
    /** Also the lease: reading it for a preview, taking and giving it back for an up. @default false */
    leaseTable?: boolean;
}

/** The operations a policy with `options` allows. */
export function operationsFor(options: PolicyOptions): AwsOperation[] {
    return AWS_OPERATIONS.filter((o) => (o.need === "preview" || (o.need === "up" && options.access === "up") || (o.need === "command" && options.command === true))
        && (o.onlyWith === undefined || (o.onlyWith === "leaseTable" ? options.leaseTable === true : options.stopsTasks === true)));
}

/** The statement of each scope: its resource and condition. */
function scoped(scope: Scope, s: PolicyScope): Omit<PolicyStatement, "Sid" | "Effect" | "Action"> | undefined {
    switch (scope) {
        case "cluster": return { Resource: [s.clusterArn] };
        case "in-cluster": return { Resource: "*", Condition: { ArnEquals: { "ecs:cluster": s.clusterArn } } };
        case "group": return { Resource: [s.autoScalingGroupArn] };
        case "target-groups": return s.targetGroupArns.length === 0 ? undefined : { Resource: [...s.targetGroupArns] };
        case "namespace": return { Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": SCALER_NAMESPACE } } };
        case "lease-table": return s.leaseTableArn === undefined ? undefined : { Resource: [s.leaseTableArn] };
        case "any": return { Resource: "*" };
        default: {
            const unknown: never = scope;
            throw new Error(`unknown scope ${String(unknown)}`);
        }
    }
}

const SIDS: Record<Scope, string> = {
    "cluster": "Cluster", "in-cluster": "InCluster", "group": "AutoScalingGroup", "target-groups": "TargetGroups",
    "namespace": "ScalerMetrics", "lease-table": "Lease", "any": "ReadAnywhere",
};

/**
 * The IAM policy the scaler's credentials need for `s`: one statement per scope, each action scoped as
 * far as IAM allows (only reads, and PutMetricData by its namespace, take `*`).
 */
export function scalerPolicy(s: PolicyScope, options: PolicyOptions): PolicyDocument {
    const ops = operationsFor({ ...options, leaseTable: options.leaseTable ?? s.leaseTableArn !== undefined });
    const statements: PolicyStatement[] = [];
    for (const scope of Object.keys(SIDS) as Scope[]) {
        const actions = [...new Set(ops.filter((o) => o.scope === scope).map((o) => o.action))].sort();
        const where = scoped(scope, s);
        if (actions.length === 0 || where === undefined) continue;
        statements.push({ Sid: `SpotEcsScaler${SIDS[scope]}`, Effect: "Allow", Action: actions, ...where });
    }
    return { Version: "2012-10-17", Statement: statements };
}
