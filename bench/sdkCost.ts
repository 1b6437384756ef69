// The AWS SDK's own CPU time for the ECS reads that grow with the cluster: one full page of each
// (100 ARNs listed, 100 tasks or container instances described), answered by a canned response so
// that no network is involved. What it measures is the SDK's work on one request: building and
// signing it, and parsing the answer.
import { Readable } from "node:stream";
import * as ecs from "@aws-sdk/client-ecs";

const ACCOUNT = "arn:aws:ecs:us-east-1:123456789012";

function task(i: number) {
    return {
        taskArn: `${ACCOUNT}:task/big/${i.toString(16).padStart(32, "0")}`, clusterArn: `${ACCOUNT}:cluster/big`,
        containerInstanceArn: `${ACCOUNT}:container-instance/big/${(i * 7).toString(16).padStart(32, "0")}`,
        taskDefinitionArn: `${ACCOUNT}:task-definition/svc${i % 5}:7`, group: `service:svc${i % 5}`, cpu: "256", memory: "512",
        desiredStatus: "RUNNING", lastStatus: "RUNNING", launchType: "EC2", createdAt: 1.7e9, startedAt: 1.7e9, version: 3,
        containers: [{ containerArn: `${ACCOUNT}:container/big/${i}/app`, name: "app", image: "nginx", lastStatus: "RUNNING",
            networkBindings: [{ containerPort: 80, hostPort: 32768 + i, protocol: "tcp" }], cpu: "256", memory: "512" }],
        attachments: [], overrides: { containerOverrides: [{ name: "app" }] },
    };
}

function containerInstance(i: number) {
    const resource = (name: string, value: number) => ({ name, type: "INTEGER", integerValue: value });
    return {
        containerInstanceArn: `${ACCOUNT}:container-instance/big/${i.toString(16).padStart(32, "0")}`, ec2InstanceId: `i-${i.toString(16).padStart(17, "0")}`,
        status: "ACTIVE", agentConnected: true, runningTasksCount: 10, pendingTasksCount: 0, version: 42,
        versionInfo: { agentVersion: "1.89.0", agentHash: "abcdef0", dockerVersion: "25.0.8" },
        registeredResources: [resource("CPU", 4096), resource("MEMORY", 15616), { name: "PORTS", type: "STRINGSET", stringSetValue: ["22", "2375", "2376", "51678", "51679"] },
            { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: [] }],
        remainingResources: [resource("CPU", 1536), resource("MEMORY", 10496), { name: "PORTS", type: "STRINGSET", stringSetValue: ["22", "2375", "2376", "51678", "51679", "80"] },
            { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: [] }],
        attributes: ["ecs.capability.docker-remote-api.1.17", "ecs.capability.task-eni", "ecs.os-type", "ecs.instance-type", "ecs.availability-zone",
            "ecs.ami-id", "ecs.cpu-architecture", "ecs.capability.execution-role-awslogs"].map((name) => ({ name, value: name.endsWith("type") ? "m6i.xlarge" : undefined })),
        registeredAt: 1.7e9, attachments: [], tags: [],
    };
}

/** A client answering every request with `body`, as ECS would over the wire. */
function cannedClient(body: string): ecs.ECSClient {
    return new ecs.ECSClient({
        region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" }, maxAttempts: 1,
        requestHandler: {
            handle: async () => ({ response: { statusCode: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: Readable.from([Buffer.from(body)]) } }),
        } as unknown as ecs.ECSClientConfig["requestHandler"],
    });
}

/** CPU ms of one request sent by `send` and answered with `body`, after a warm-up, averaged over `runs`. */
async function perRequestMs(body: string, send: (client: ecs.ECSClient) => Promise<unknown>, runs: number): Promise<number> {
    const client = cannedClient(body);
    for (let i = 0; i < 10; i++) await send(client);
    const before = process.cpuUsage();
    for (let i = 0; i < runs; i++) await send(client);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / runs;
}

/** The SDK's CPU ms for one full page of each of the four ECS reads, by operation. */
export async function sdkPageCostMs(runs = 100): Promise<Record<string, number>> {
    const ids = Array.from({ length: 100 }, (_, i) => i);
    const arns = (kind: string) => JSON.stringify({ [kind]: ids.map((i) => `${ACCOUNT}:x/big/${i.toString(16).padStart(32, "0")}`), nextToken: "t".repeat(200) });
    return {
        ListTasks: await perRequestMs(arns("taskArns"), (c) => c.send(new ecs.ListTasksCommand({ cluster: "big" })), runs),
        DescribeTasks: await perRequestMs(JSON.stringify({ tasks: ids.map(task), failures: [] }), (c) => c.send(new ecs.DescribeTasksCommand({ cluster: "big", tasks: ["t"] })), runs),
        ListContainerInstances: await perRequestMs(arns("containerInstanceArns"), (c) => c.send(new ecs.ListContainerInstancesCommand({ cluster: "big" })), runs),
        DescribeContainerInstances: await perRequestMs(JSON.stringify({ containerInstances: ids.map(containerInstance), failures: [] }),
            (c) => c.send(new ecs.DescribeContainerInstancesCommand({ cluster: "big", containerInstances: ["c"] })), runs),
    };
}
