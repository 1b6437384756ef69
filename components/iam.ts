import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Trust policy letting EC2 instances assume the role, and nothing else. */
export const EC2_TRUST_POLICY = {
    Version: "2012-10-17",
    Statement: [{
        Sid: "EC2AssumeRole",
        Effect: "Allow",
        Principal: { Service: "ec2.amazonaws.com" },
        Action: "sts:AssumeRole",
    }],
};

/** AWS managed policies attached to the instance role, by name below `arn:<partition>:iam::aws:policy/`. */
export const ECS_INSTANCE_POLICY = "service-role/AmazonEC2ContainerServiceforEC2Role";
export const SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore";

export function managedPolicyArn(partition: string, name: string): string {
    return `arn:${partition}:iam::aws:policy/${name}`;
}

export interface InstanceIdentity {
    role: aws.iam.Role;
    profile: aws.iam.InstanceProfile;
}

/** The container instances' role (ECS agent permissions only, SSM optional) and its instance profile. */
export function createInstanceIdentity(name: string, enableSsm: boolean, tags: Record<string, string>,
    parent: pulumi.Resource): InstanceIdentity {
    const partition = aws.getPartitionOutput({}, { parent }).partition;
    const role = new aws.iam.Role(`${name}-instance-role`, {
        description: `ECS container instances of ${name}`,
        assumeRolePolicy: JSON.stringify(EC2_TRUST_POLICY),
        tags,
    }, { parent });
    const policies = enableSsm ? [ECS_INSTANCE_POLICY, SSM_CORE_POLICY] : [ECS_INSTANCE_POLICY];
    const attachments = policies.map((policy) => new aws.iam.RolePolicyAttachment(
        `${name}-${policy.split("/").pop()}`,
        { role: role.name, policyArn: partition.apply((p) => managedPolicyArn(p, policy)) },
        { parent }));
    const profile = new aws.iam.InstanceProfile(`${name}-instance-profile`, { role: role.name, tags },
        { parent, dependsOn: attachments });
    return { role, profile };
}
