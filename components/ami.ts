import { AmiFamily } from "./args";

/** The public SSM parameter holding the current ECS-optimized AMI id of each family. */
export const AMI_PARAMETERS: Record<AmiFamily, string> = {
    "al2023": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    "al2023-arm64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
    "al2023-gpu": "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id",
    "al2": "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id",
    "al2-arm64": "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id",
};
