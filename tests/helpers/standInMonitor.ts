// A stand-in for the engine's resource monitor and engine services, over gRPC on 127.0.0.1: what a
// component provider's Construct talks to when the engine asks it to build a component. It records
// every resource registered and answers each with the values Pulumi's mocks give (pulumiMocks.ts),
// and each function call (invoke) likewise.
import * as grpc from "@grpc/grpc-js";
import { mockCall, mockResource } from "./pulumiMocks";

/* eslint-disable @typescript-eslint/no-var-requires */
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
const resrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const enginerpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineproto = require("@pulumi/pulumi/proto/engine_pb");

export interface Registration {
    type: string;
    name: string;
    custom: boolean;
    parent: string;
    urn: string;
    inputs: Record<string, unknown>;
}

export interface StandInMonitor {
    /** host:port of the resource monitor, and of the engine (the same server). */
    endpoint: string;
    registrations: Registration[];
    invokes: string[];
    /** Engine log messages, by severity. */
    logs: string[];
    stop(): Promise<void>;
}

type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;

/** Starts the stand-in on a free loopback port, for `project` and `stack`. */
export async function startStandInMonitor(project: string, stack: string): Promise<StandInMonitor> {
    const registrations: Registration[] = [];
    const invokes: string[] = [];
    const logs: string[] = [];
    let root = "";
    const server = new grpc.Server();
    server.addService(resrpc.ResourceMonitorService, {
        supportsFeature(call: { request: { getId(): string } }, cb: Callback) {
            const r = new resproto.SupportsFeatureResponse();
            // Secrets and resource references are what the Node SDK asks of every monitor.
            r.setHassupport(["secrets", "resourceReferences"].includes(call.request.getId()));
            cb(null, r);
        },
        invoke(call: { request: { getTok(): string; getArgs(): { toJavaScript(): Record<string, unknown> } | undefined } }, cb: Callback) {
            const token = call.request.getTok();
            invokes.push(token);
            const r = new provproto.InvokeResponse();
            r.setReturn(Struct.fromJavaScript(mockCall(token, call.request.getArgs()?.toJavaScript() ?? {})));
            cb(null, r);
        },
        registerResource(call: { request: any }, cb: Callback) {
            const q = call.request;
            const type: string = q.getType();
            const name: string = q.getName();
            const parent: string = q.getParent();
            const parentType = parent === "" ? "" : parent.split("::")[2];
            const urn = `urn:pulumi:${stack}::${project}::${parentType === "" || parentType === "pulumi:pulumi:Stack" ? "" : `${parentType}$`}${type}::${name}`;
            const inputs = q.getObject()?.toJavaScript() ?? {};
            registrations.push({ type, name, custom: q.getCustom(), parent, urn, inputs });
            const r = new resproto.RegisterResourceResponse();
            r.setUrn(urn);
            if (q.getCustom()) {
                const { id, state } = mockResource(type, name, inputs);
                r.setId(id);
                r.setObject(Struct.fromJavaScript(JSON.parse(JSON.stringify(state))));
            } else {
                r.setObject(Struct.fromJavaScript({}));
            }
            cb(null, r);
        },
        registerResourceOutputs(_call: unknown, cb: Callback) {
            cb(null, new Empty());
        },
    });
    server.addService(enginerpc.EngineService, {
        log(call: { request: { getSeverity(): number; getMessage(): string } }, cb: Callback) {
            logs.push(`${call.request.getSeverity()}: ${call.request.getMessage()}`);
            cb(null, new Empty());
        },
        getRootResource(_call: unknown, cb: Callback) {
            const r = new engineproto.GetRootResourceResponse();
            r.setUrn(root);
            cb(null, r);
        },
        setRootResource(call: { request: { getUrn(): string } }, cb: Callback) {
            root = call.request.getUrn();
            cb(null, new engineproto.SetRootResourceResponse());
        },
    });
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => e ? reject(e) : resolve(p)));
    return {
        endpoint: `127.0.0.1:${port}`,
        registrations,
        invokes,
        logs,
        stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    };
}
