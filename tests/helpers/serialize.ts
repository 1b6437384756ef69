import * as pulumi from "@pulumi/pulumi";

/** What `new pulumi.dynamic.Resource(provider, …)` stores as `__provider`. */
export async function serializeLikeDynamicResource(provider: object) {
    return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
}

/** `require("…")` targets in serialized text. */
export function requiredModules(text: string): string[] {
    return [...new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
}
