// A loopback proxy in front of moto that enforces the ECS limits moto leaves out: list calls return
// pages of at most 100 with a nextToken, and batch calls over their limit are refused with the
// error AWS gives. It also plays the task lifecycle moto skips: a task the test holds (`holdStopping`)
// is described as STOPPING, desired STOPPED, until its time is up, as ECS reports a task that is still
// shutting down; moto itself marks a stopped task STOPPED at once. Every
// TerminateInstanceInAutoScalingGroup is recorded with its time. And it reports each group instance at
// the launch template version and instance type the group launched it with (`launchAs`), where moto
// reports the template's default version and the template's type for every instance. moto keeps no
// placement constraints and no deployment configuration on a service; DescribeServices reports those
// the test gives (`servicePlacement`, `serviceDeployment`), as ECS does. moto implements neither CompleteLifecycleAction nor
// RecordLifecycleActionHeartbeat and terminates at once: with `playHook` the proxy plays a termination
// lifecycle hook, as Auto Scaling documents it. A termination (the scaler's, or one the test starts as
// the group's own with `groupTerminates`) waits in Terminating:Wait; a heartbeat or a completion for an
// instance not waiting is refused with Auto Scaling's ValidationError; CONTINUE forwards the
// termination to moto; ABANDON retains the instance (Terminating:Retained), and a later termination
// of it goes through at once. Everything else passes through unchanged.
import * as http from "node:http";
import { SCALER_USER_AGENT } from "../../provider/aws/clients";
import { AddressInfo } from "node:net";

const ECS_TARGET = "AmazonEC2ContainerServiceV20141113.";

/** Per-call item limits of the ECS batch APIs: [request field, limit]. */
const BATCH_LIMITS: Record<string, [string, number]> = {
    DescribeContainerInstances: ["containerInstances", 100],
    DescribeTasks: ["tasks", 100],
    UpdateContainerInstancesState: ["containerInstances", 10],
    PutAttributes: ["attributes", 10],
    DeleteAttributes: ["attributes", 10],
};

/** List calls to paginate: [result field]. */
const PAGED: Record<string, string> = {
    ListContainerInstances: "containerInstanceArns",
    ListTasks: "taskArns",
};

export interface LimitsProxy {
    endpoint: string;
    /** ECS requests seen, by operation. */
    seen: Record<string, number>;
    /** Every request seen, of any service. */
    total(): number;
    /** The operations the scaler sent (requests whose user agent names the package), of every service. */
    scalerOperations(): string[];
    /** Describes `taskArn` as STOPPING (desired STOPPED) until `untilMs` (epoch ms). */
    holdStopping(taskArn: string, untilMs: number): void;
    /** TerminateInstanceInAutoScalingGroup requests: the instance and when the proxy received it. */
    terminations: { instanceId: string; at: number }[];
    /** Scaling activities to report for a group (newest first), which moto does not record: a failed Spot launch, say. */
    addActivities(group: string, activities: { start: Date; statusCode: string; message: string }[]): void;
    /** DescribeServices reports these placement constraints for the service named, which moto drops; [] forgets them. */
    servicePlacement(serviceName: string, constraints: { type: string; expression?: string }[]): void;
    /** DescribeServices reports this deployment configuration for the service named, which moto drops. */
    serviceDeployment(serviceName: string, configuration: { minimumHealthyPercent: number; maximumPercent: number }): void;
    /** From now on, instances the group launches are reported at this version and type (as AWS would). */
    launchAs(launch: { version?: string; instanceType?: string }): void;
    /** From now on, terminations wait in a termination lifecycle hook of this name (see the file's head); undefined stops playing it. */
    playHook(hookName: string | undefined): void;
    /** The group starts terminating `instanceId` on its own (a health check, a rebalance): it waits in the hook. */
    groupTerminates(instanceId: string): void;
    /** The hook's heartbeats and completions as received: instance, hook, and the result for a completion. */
    lifecycleActions: { action: "RecordLifecycleActionHeartbeat" | "CompleteLifecycleAction"; instanceId: string; hook: string; result?: string }[];
    close(): Promise<void>;
}

/** The operation of a request: from its target header (JSON protocols), its form (query protocols) or its path (RPC v2 CBOR). */
function operationOf(url: string, amzTarget: string, body: Buffer): string {
    if (amzTarget !== "") return amzTarget.slice(amzTarget.lastIndexOf(".") + 1);
    const cbor = /\/operation\/(\w+)/.exec(url);
    if (cbor !== null) return cbor[1];
    return new URLSearchParams(body.toString("utf8")).get("Action") ?? `unknown request ${url}`;
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
        const headers = { ...req.headers, host: target.host, "content-length": String(body.length) };
        const out = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        out.on("error", reject);
        out.end(body);
    });
}

function send(res: http.ServerResponse, status: number, json: unknown): void {
    const body = Buffer.from(JSON.stringify(json));
    res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": body.length });
    res.end(body);
}

export async function startLimitsProxy(motoEndpoint: string): Promise<LimitsProxy> {
    const target = new URL(motoEndpoint);
    const seen: Record<string, number> = {};
    const held = new Map<string, number>();
    const placement = new Map<string, { type: string; expression?: string }[]>();
    const deployment = new Map<string, { minimumHealthyPercent: number; maximumPercent: number }>();
    const terminations: { instanceId: string; at: number }[] = [];
    // What each instance was launched with, fixed when the proxy first sees it.
    const launched = new Map<string, { version: string; instanceType: string }>();
    let launching: { version?: string; instanceType?: string } = {};
    const activities = new Map<string, { start: Date; statusCode: string; message: string }[]>();
    const escape = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const withActivities = (xml: string, group: string): string => {
        const list = activities.get(group) ?? [];
        if (list.length === 0) return xml;
        const members = list.map((a, i) => `<member><ActivityId>spot-ecs-test-${i}</ActivityId><AutoScalingGroupName>${escape(group)}</AutoScalingGroupName>`
            + `<Cause>test</Cause><StartTime>${a.start.toISOString()}</StartTime><StatusCode>${a.statusCode}</StatusCode>`
            + `<StatusMessage>${escape(a.message)}</StatusMessage><Progress>100</Progress></member>`).join("");
        return xml.replace("<Activities/>", `<Activities>${members}</Activities>`);
    };
    const rewriteGroups = (xml: string): string => xml.replace(
        /<InstanceId>(i-[0-9a-f]+)<\/InstanceId><InstanceType>([^<]*)<\/InstanceType>([\s\S]*?)<Version>(\d+)<\/Version>/g,
        (_all, id: string, type: string, middle: string, version: string) => {
            if (!launched.has(id)) launched.set(id, { version: launching.version ?? version, instanceType: launching.instanceType ?? type });
            const l = launched.get(id)!;
            return `<InstanceId>${id}</InstanceId><InstanceType>${l.instanceType}</InstanceType>${middle}<Version>${l.version}</Version>`;
        });
    // The lifecycle hook the proxy plays: instances waiting in it (with the decrement their termination asked for) and those retained.
    let hookName: string | undefined;
    const waiting = new Map<string, boolean>();
    const retained = new Set<string>();
    const lifecycleActions: LimitsProxy["lifecycleActions"] = [];
    const withHookStates = (xml: string): string => {
        let out = xml;
        for (const [id, state] of [...[...waiting.keys()].map((i) => [i, "Terminating:Wait"]), ...[...retained].map((i) => [i, "Terminating:Retained"])]) {
            out = out.replace(new RegExp(`(<InstanceId>${id}</InstanceId>(?:(?!</member>)[\\s\\S])*?<LifecycleState>)[^<]*(</LifecycleState>)`), `$1${state}$2`)
                .replace(new RegExp(`(<LifecycleState>)[^<]*(</LifecycleState>(?:(?!<member>)[\\s\\S])*?<InstanceId>${id}</InstanceId>)`), `$1${state}$2`);
        }
        return out;
    };
    const asgReply = (res: http.ServerResponse, action: string): void => {
        const body = Buffer.from(`<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result/>`
            + `<ResponseMetadata><RequestId>spot-ecs-test</RequestId></ResponseMetadata></${action}Response>`);
        res.writeHead(200, { "content-type": "text/xml", "content-length": body.length });
        res.end(body);
    };
    const asgError = (res: http.ServerResponse, message: string): void => {
        const body = Buffer.from(`<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type>`
            + `<Code>ValidationError</Code><Message>${escape(message)}</Message></Error><RequestId>spot-ecs-test</RequestId></ErrorResponse>`);
        res.writeHead(400, { "content-type": "text/xml", "content-length": body.length });
        res.end(body);
    };
    /** Sends moto the termination the hook let go. */
    const terminateInMoto = (instanceId: string, decrement: boolean) => forward(target,
        // moto tells the service from the credential scope of the (unchecked) signature.
        { url: "/", method: "POST", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8",
            "authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/autoscaling/aws4_request, SignedHeaders=host, Signature=0" } } as http.IncomingMessage,
        Buffer.from(new URLSearchParams({ Action: "TerminateInstanceInAutoScalingGroup", Version: "2011-01-01", InstanceId: instanceId,
            ShouldDecrementDesiredCapacity: String(decrement) }).toString()));
    const terminated = async (r: { status: number; body: Buffer }) => {
        if (r.status !== 200) throw new Error(`moto refused the termination the hook let go: ${r.status} ${r.body.toString("utf8").slice(0, 300)}`);
    };
    /** Plays the hook's part of an Auto Scaling request; true when it answered. */
    const playedHook = async (form: URLSearchParams, res: http.ServerResponse): Promise<boolean> => {
        const action = form.get("Action") ?? "";
        const id = form.get("InstanceId") ?? "";
        if (hookName === undefined) return false;
        if (action === "TerminateInstanceInAutoScalingGroup") {
            if (retained.delete(id)) {
                await terminated(await terminateInMoto(id, false));
            } else {
                waiting.set(id, form.get("ShouldDecrementDesiredCapacity") === "true");
            }
            asgReply(res, action);
            return true;
        }
        if (action !== "CompleteLifecycleAction" && action !== "RecordLifecycleActionHeartbeat") return false;
        const hook = form.get("LifecycleHookName") ?? "";
        lifecycleActions.push({ action, instanceId: id, hook, ...(action === "CompleteLifecycleAction" ? { result: form.get("LifecycleActionResult") ?? "" } : {}) });
        if (!waiting.has(id) || hook !== hookName) {
            asgError(res, `No active Lifecycle Action found with instance ID ${id}`);
            return true;
        }
        if (action === "CompleteLifecycleAction") {
            const decrement = waiting.get(id)!;
            waiting.delete(id);
            if (form.get("LifecycleActionResult") === "ABANDON") retained.add(id);
            else await terminated(await terminateInMoto(id, decrement));
        }
        asgReply(res, action);
        return true;
    };
    let total = 0;
    const scalerOps = new Set<string>();
    const server = http.createServer((req, res) => {
        total++;
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", async () => {
            try {
                const body = Buffer.concat(chunks);
                const amzTarget = String(req.headers["x-amz-target"] ?? "");
                const agent = `${req.headers["user-agent"] ?? ""} ${req.headers["x-amz-user-agent"] ?? ""}`;
                if (agent.includes(SCALER_USER_AGENT)) scalerOps.add(operationOf(req.url ?? "", amzTarget, body));
                if (!amzTarget.startsWith(ECS_TARGET)) {
                    const form = new URLSearchParams(body.toString("utf8"));
                    if (form.get("Action") === "TerminateInstanceInAutoScalingGroup") {
                        terminations.push({ instanceId: form.get("InstanceId") ?? "", at: Date.now() });
                    }
                    if (await playedHook(form, res)) return;
                    const r = await forward(target, req, body);
                    if (form.get("Action") === "DescribeScalingActivities" && r.status === 200) {
                        const out = Buffer.from(withActivities(r.body.toString("utf8"), form.get("AutoScalingGroupName") ?? ""));
                        res.writeHead(r.status, { ...r.headers, "content-length": String(out.length) });
                        res.end(out);
                        return;
                    }
                    if (form.get("Action") === "DescribeAutoScalingGroups" && r.status === 200) {
                        const out = Buffer.from(withHookStates(rewriteGroups(r.body.toString("utf8"))));
                        res.writeHead(r.status, { ...r.headers, "content-length": String(out.length) });
                        res.end(out);
                        return;
                    }
                    res.writeHead(r.status, r.headers);
                    res.end(r.body);
                    return;
                }
                const op = amzTarget.slice(ECS_TARGET.length);
                seen[op] = (seen[op] ?? 0) + 1;
                const input = JSON.parse(body.toString("utf8") || "{}");
                const limit = BATCH_LIMITS[op];
                if (limit !== undefined && Array.isArray(input[limit[0]]) && input[limit[0]].length > limit[1]) {
                    send(res, 400, { __type: "InvalidParameterException", message: `${limit[0]} can have at most ${limit[1]} items` });
                    return;
                }
                if (op === "DescribeServices" && placement.size + deployment.size > 0) {
                    const r = await forward(target, req, body);
                    const out = JSON.parse(r.body.toString("utf8") || "{}");
                    for (const svc of out.services ?? []) {
                        const constraints = placement.get(svc.serviceName);
                        if (constraints !== undefined) svc.placementConstraints = constraints;
                        const configuration = deployment.get(svc.serviceName);
                        if (configuration !== undefined) svc.deploymentConfiguration = configuration;
                    }
                    send(res, r.status, out);
                    return;
                }
                if (op === "DescribeTasks" && held.size > 0) {
                    const r = await forward(target, req, body);
                    const out = JSON.parse(r.body.toString("utf8") || "{}");
                    for (const t of out.tasks ?? []) {
                        const until = held.get(t.taskArn);
                        if (until !== undefined && Date.now() < until) {
                            t.lastStatus = "STOPPING";
                            t.desiredStatus = "STOPPED";
                        }
                    }
                    send(res, r.status, out);
                    return;
                }
                const field = PAGED[op];
                if (field === undefined) {
                    const r = await forward(target, req, body);
                    res.writeHead(r.status, r.headers);
                    res.end(r.body);
                    return;
                }
                const pageSize = Math.min(input.maxResults ?? 100, 100);
                const offset = input.nextToken === undefined ? 0 : Number(Buffer.from(input.nextToken, "base64").toString("utf8"));
                const { maxResults: _m, nextToken: _n, ...rest } = input;
                const r = await forward(target, req, Buffer.from(JSON.stringify(rest)));
                if (r.status !== 200) {
                    res.writeHead(r.status, r.headers);
                    res.end(r.body);
                    return;
                }
                const all: string[] = JSON.parse(r.body.toString("utf8"))[field] ?? [];
                const page = all.slice(offset, offset + pageSize);
                const next = offset + pageSize < all.length ? Buffer.from(String(offset + pageSize)).toString("base64") : undefined;
                send(res, 200, { [field]: page, ...(next === undefined ? {} : { nextToken: next }) });
            } catch (error) {
                send(res, 500, { __type: "InternalFailure", message: String(error) });
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        seen,
        scalerOperations: () => [...scalerOps].sort(),
        total: () => total,
        holdStopping: (taskArn, untilMs) => { held.set(taskArn, untilMs); },
        servicePlacement: (name, constraints) => { if (constraints.length === 0) placement.delete(name); else placement.set(name, constraints); },
        serviceDeployment: (name, configuration) => { deployment.set(name, configuration); },
        launchAs: (launch) => { launching = { ...launching, ...launch }; },
        addActivities: (group, list) => { activities.set(group, list); },
        terminations,
        playHook: (name) => {
            hookName = name;
            waiting.clear();
            retained.clear();
        },
        groupTerminates: (id) => { waiting.set(id, false); },
        lifecycleActions,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
