// The instance user data: a shell script that writes /etc/ecs/ecs.config before the ECS agent starts.
// Pure, so tests decode and read it line by line.

export interface UserDataSettings {
    clusterName: string;
    containerStopTimeoutSeconds: number;
    instanceAttributes: Record<string, string>;
    ecsConfig: Record<string, string>;
    extraUserData?: string;
}

/** Heredoc delimiter; no config line can equal it because every config line contains "=". */
const END_MARKER = "SPOT_ECS_CONFIG_END";

/** The `ecs.config` lines, in the order they are written. */
export function ecsConfigLines(s: UserDataSettings): string[] {
    const lines = [
        `ECS_CLUSTER=${s.clusterName}`,
        "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true",
        `ECS_CONTAINER_STOP_TIMEOUT=${s.containerStopTimeoutSeconds}s`,
        "ECS_ENABLE_CONTAINER_METADATA=true",
    ];
    if (Object.keys(s.instanceAttributes).length > 0) {
        lines.push(`ECS_INSTANCE_ATTRIBUTES=${JSON.stringify(s.instanceAttributes)}`);
    }
    for (const key of Object.keys(s.ecsConfig).sort()) lines.push(`${key}=${s.ecsConfig[key]}`);
    for (const line of lines) {
        // The validator rejects such values first; this guards the file format itself.
        if (/[\r\n\0]/.test(line)) throw new Error(`ecs.config line must be a single line, got ${JSON.stringify(line)}`);
    }
    return lines;
}

/** The user data script, plain text (the launch template takes it base64-encoded). */
export function renderUserData(s: UserDataSettings): string {
    const script = [
        "#!/bin/bash",
        "set -euo pipefail",
        "mkdir -p /etc/ecs",
        `cat >> /etc/ecs/ecs.config <<'${END_MARKER}'`,
        ...ecsConfigLines(s),
        END_MARKER,
    ];
    if (s.extraUserData !== undefined && s.extraUserData.trim() !== "") {
        script.push("# extraUserData", s.extraUserData.replace(/\s+$/, ""));
    }
    return script.join("\n") + "\n";
}

/** Base64 of the script, as EC2 expects it in a launch template. */
export function encodeUserData(script: string): string {
    return Buffer.from(script, "utf8").toString("base64");
}
