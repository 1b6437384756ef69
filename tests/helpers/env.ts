// Points the AWS SDK's default configuration at a local endpoint with fake credentials, and restores
// the environment afterwards.
const KEYS = ["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_PROFILE"] as const;

/** Fake values that tests look for in serialized text and state, where they must never appear. */
export const FAKE_ACCESS_KEY_ID = "AKIAFAKEKEYFORTESTS00";
export const FAKE_SECRET_ACCESS_KEY = "fake/secret/access/key/for/tests/only/000";
export const FAKE_SESSION_TOKEN = "FakeSessionTokenForTestsOnly0000";

export function awsEnv(endpoint: string): () => void {
    const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
    process.env.AWS_ENDPOINT_URL = endpoint;
    // The SDK warns once per process that releases from 2027 need Node 22; versions here are pinned.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
    process.env.AWS_ACCESS_KEY_ID = FAKE_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = FAKE_SECRET_ACCESS_KEY;
    process.env.AWS_SESSION_TOKEN = FAKE_SESSION_TOKEN;
    process.env.AWS_REGION = "us-east-1";
    delete process.env.AWS_PROFILE;
    return () => {
        for (const k of KEYS) {
            if (saved[k] === undefined) delete process.env[k];
            else process.env[k] = saved[k];
        }
    };
}
