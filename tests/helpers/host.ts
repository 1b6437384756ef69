// Drives the Pulumi SDK's own dynamic-provider host over gRPC, as the engine does: serialize the
// provider like pulumi.dynamic.Resource, start the host, then Configure/Check/Diff/Create/Update/Read.
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";

/* eslint-disable @typescript-eslint/no-var-requires */
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const statusproto = require("@pulumi/pulumi/proto/status_pb");

export const URN = "urn:pulumi:test::spot-ecs::pulumi-nodejs:dynamic/spot-ecs:Scaler::web-scaler";

export type Props = Record<string, unknown>;

export interface HostCall {
    check(olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
    diff(id: string, olds: Props, news: Props): Promise<{ changes: "DIFF_UNKNOWN" | "DIFF_NONE" | "DIFF_SOME"; replaces: string[] }>;
    create(props: Props): Promise<{ id: string; outs: Props }>;
    update(id: string, olds: Props, news: Props): Promise<Props>;
    read(id: string, props: Props): Promise<{ id: string; props: Props }>;
}

export interface Host extends HostCall {
    /** Lines the host printed on stdout after its port (the provider's progress lines). */
    stdout: string[];
    stderr: string[];
    stop(): Promise<void>;
}

/** A partial failure decoded from an Update error: the id, the properties to save and the reasons. */
export interface PartialFailure {
    message: string;
    id: string;
    properties: Props;
    reasons: string[];
}

export function decodePartialFailure(error: grpc.ServiceError): PartialFailure | undefined {
    const bin = error.metadata?.get("grpc-status-details-bin")?.[0];
    if (bin === undefined) return undefined;
    const status = statusproto.Status.deserializeBinary(new Uint8Array(bin as Buffer));
    const [any] = status.getDetailsList();
    if (any === undefined) return undefined;
    const detail = any.unpack(provproto.ErrorResourceInitFailed.deserializeBinary, "pulumirpc.ErrorResourceInitFailed");
    return {
        message: error.details,
        id: detail.getId(),
        properties: detail.getProperties().toJavaScript(),
        reasons: detail.getReasonsList(),
    };
}

/**
 * Starts `<cwd>/node_modules/@pulumi/pulumi/cmd/dynamic-provider` with `cwd` as its working
 * directory (the host resolves the provider's requires from there) and the given environment.
 */
export async function startHost(cwd: string, env: NodeJS.ProcessEnv): Promise<Host> {
    const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [cwd] });
    const child: ChildProcess = spawn(process.execPath, [entry, "127.0.0.1:1"], {
        cwd, env: { ...env, PULUMI_NODEJS_PROJECT: "spot-ecs" }, stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    let buffer = "";
    const port = await new Promise<string>((resolve, reject) => {
        let found = false;
        child.stdout!.on("data", (d) => {
            buffer += d;
            const lines = buffer.split("\n");
            buffer = lines.pop()!;
            for (const line of lines) {
                if (!found) {
                    found = true;
                    resolve(line.trim());
                } else stdout.push(line);
            }
        });
        child.stderr!.on("data", (d) => stderr.push(...String(d).split("\n").filter((l) => l !== "")));
        child.on("exit", (code) => { if (!found) reject(new Error(`host exited ${code}: ${stderr.join("\n")}`)); });
    });
    // A partial failure carries the resource's properties (the serialized provider among them) in a
    // trailer; the engine's Go client accepts 16 MB of metadata, grpc-js 8 KB unless told otherwise.
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(),
        { "grpc.max_metadata_size": 16 * 1024 * 1024 });
    const call = (method: string, req: unknown): Promise<any> => promisify(client[method].bind(client))(req);
    const struct = (o: Props) => Struct.fromJavaScript(o);
    const changeNames = Object.fromEntries(Object.entries(provproto.DiffResponse.DiffChanges).map(([k, v]) => [v, k]));

    const configure = new provproto.ConfigureRequest();
    configure.setArgs(struct({}));
    configure.setAcceptsecrets(false);
    await call("configure", configure);

    return {
        stdout,
        stderr,
        async check(olds, news) {
            const req = new provproto.CheckRequest();
            req.setUrn(URN);
            req.setOlds(struct(olds));
            req.setNews(struct(news));
            const resp = await call("check", req);
            return {
                inputs: resp.getInputs()?.toJavaScript() ?? {},
                failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
            };
        },
        async diff(id, olds, news) {
            const req = new provproto.DiffRequest();
            req.setId(id);
            req.setUrn(URN);
            req.setOlds(struct(olds));
            req.setNews(struct(news));
            const resp = await call("diff", req);
            return { changes: changeNames[resp.getChanges()], replaces: resp.getReplacesList() };
        },
        async create(props) {
            const req = new provproto.CreateRequest();
            req.setUrn(URN);
            req.setProperties(struct(props));
            const resp = await call("create", req);
            return { id: resp.getId(), outs: resp.getProperties().toJavaScript() };
        },
        async update(id, olds, news) {
            const req = new provproto.UpdateRequest();
            req.setId(id);
            req.setUrn(URN);
            req.setOlds(struct(olds));
            req.setNews(struct(news));
            const resp = await call("update", req);
            return resp.getProperties().toJavaScript();
        },
        async read(id, props) {
            const req = new provproto.ReadRequest();
            req.setId(id);
            req.setUrn(URN);
            req.setProperties(struct(props));
            const resp = await call("read", req);
            return { id: resp.getId(), props: resp.getProperties()?.toJavaScript() ?? {} };
        },
        async stop() {
            client.close();
            if (child.exitCode === null) {
                const gone = new Promise((r) => child.on("exit", r));
                child.kill("SIGTERM");
                await gone;
            }
        },
    };
}

/** The repository root, where the host finds this package's dependencies. */
export const REPO_ROOT = path.resolve(__dirname, "../..");
