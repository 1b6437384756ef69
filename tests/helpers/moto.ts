// Starts the moto AWS emulator on a free loopback port for a test suite and stops it after.
// MOTO_ENDPOINT, when set (e.g. by a CI script that started moto itself), is used instead.
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";

export interface Moto {
    endpoint: string;
    /** Wipes moto's state between tests. */
    reset(): Promise<void>;
    stop(): Promise<void>;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

async function post(endpoint: string, path: string, body?: unknown): Promise<void> {
    const res = await fetch(`${endpoint}${path}`, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`moto ${path}: HTTP ${res.status}`);
}

/** Keeps ECS tasks RUNNING (moto otherwise advances them on every DescribeTasks). */
async function pinTaskStates(endpoint: string): Promise<void> {
    await post(endpoint, "/moto-api/state-manager/set-transition",
        { model_name: "ecs::task", transition: { progression: "manual", times: 1_000_000_000 } });
}

/** `env`: the moto server's own environment besides ours (e.g. INITIAL_NO_AUTH_ACTION_COUNT, which makes it enforce IAM); such a server is always started, never MOTO_ENDPOINT's. */
export async function startMoto(env: Record<string, string> = {}): Promise<Moto> {
    let child: ChildProcess | undefined;
    let endpoint = Object.keys(env).length === 0 ? process.env.MOTO_ENDPOINT : undefined;
    if (endpoint === undefined) {
        const port = await freePort();
        endpoint = `http://127.0.0.1:${port}`;
        child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)],
            { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
        let stderr = "";
        child.stderr!.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
        const exited = new Promise<never>((_, reject) => child!.on("exit", (code) =>
            reject(new Error(`moto exited with ${code} before answering:\n${stderr}`))));
        const deadline = Date.now() + 60_000;
        for (;;) {
            const ready = await Promise.race([
                fetch(`${endpoint}/moto-api/data.json`).then((r) => r.ok, () => false),
                exited,
            ]);
            if (ready) break;
            if (Date.now() > deadline) throw new Error(`moto did not answer on ${endpoint} within 60 s:\n${stderr}`);
            await new Promise((r) => setTimeout(r, 200));
        }
    }
    const url = endpoint;
    await post(url, "/moto-api/reset");
    await pinTaskStates(url);
    return {
        endpoint: url,
        reset: async () => {
            await post(url, "/moto-api/reset");
            await pinTaskStates(url);
        },
        stop: async () => {
            if (child === undefined || child.exitCode !== null) return;
            const gone = new Promise((r) => child!.on("exit", r));
            child.kill("SIGTERM");
            await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
            if (child.exitCode === null) child.kill("SIGKILL");
        },
    };
}
