import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { encodeUserData, renderUserData, UserDataSettings } from "./userData";

export interface LaunchTemplateSettings {
    imageId: pulumi.Input<string>;
    instanceProfileArn: pulumi.Input<string>;
    securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
    rootVolumeSizeGiB: number;
    rootVolumeKmsKeyId?: pulumi.Input<string | undefined>;
    keyName?: pulumi.Input<string | undefined>;
    metadataHopLimit: number;
    userData: pulumi.Input<UserDataSettings>;
    tags: Record<string, string>;
}

/** Root device of the Amazon Linux ECS-optimized AMIs. */
export const ROOT_DEVICE_NAME = "/dev/xvda";

/**
 * A launch template with IMDSv2 required and an encrypted gp3 root volume. Every change makes a new
 * version; the Auto Scaling group and the scaler both refer to `latestVersion`.
 */
export function createLaunchTemplate(name: string, s: LaunchTemplateSettings, parent: pulumi.Resource): aws.ec2.LaunchTemplate {
    return new aws.ec2.LaunchTemplate(`${name}-lt`, {
        description: `ECS container instances of ${name}`,
        imageId: s.imageId,
        iamInstanceProfile: { arn: s.instanceProfileArn },
        vpcSecurityGroupIds: s.securityGroupIds,
        keyName: s.keyName,
        userData: pulumi.output(s.userData).apply((u) => encodeUserData(renderUserData(u))),
        metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: s.metadataHopLimit,
            instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [{
            deviceName: ROOT_DEVICE_NAME,
            ebs: {
                volumeSize: s.rootVolumeSizeGiB,
                volumeType: "gp3",
                encrypted: "true",
                kmsKeyId: s.rootVolumeKmsKeyId,
                deleteOnTermination: "true",
            },
        }],
        monitoring: { enabled: true },
        tagSpecifications: [
            { resourceType: "instance", tags: { Name: name, ...s.tags } },
            { resourceType: "volume", tags: { Name: name, ...s.tags } },
        ],
        updateDefaultVersion: true,
        tags: s.tags,
    }, { parent });
}
