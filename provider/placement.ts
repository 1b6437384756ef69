// What ECS checks before it places a task on a container instance, beyond CPU and memory: host ports
// already bound, an elastic network interface for each awsvpc task, GPUs, and the placement
// constraints `distinctInstance` and `memberOf`. Pure data and functions, shared by the planner's
// fit check and the simulator's placement, so both place by the same rules.

/** What a task needs of the instance it runs on, besides CPU and memory. */
export interface TaskNeeds {
    /** Static host ports it binds, as `tcp:80` / `udp:53` (bridge with a fixed hostPort, or host networking). */
    hostPorts?: string[];
    /** awsvpc networking: the task takes one of the instance's elastic network interfaces. */
    awsvpc?: boolean;
    gpus?: number;
    /** `distinctInstance`: no other task of this group on the same instance. */
    distinctGroup?: string;
    /** `memberOf` expressions the instance's attributes must satisfy. */
    memberOf?: string[];
    /** A requirement the scaler cannot model (a shared GPU, a Neuron device): why, and its instance then stays. */
    unmodelled?: string;
}

/** What an instance offers, besides CPU and memory. */
export interface InstanceOffer {
    /** Host ports in use (`tcp:22`, …): the container instance's remaining PORTS and PORTS_UDP. */
    portsInUse?: string[];
    /** Elastic network interfaces free for awsvpc tasks; undefined when the type's facts were not read (no room). */
    freeEnis?: number;
    freeGpus?: number;
    /** Task groups with a task on the instance, for `distinctInstance`. */
    groups?: string[];
    /** Attributes `memberOf` expressions read: `ecs.instance-type`, `ecs.availability-zone`, custom ones. */
    attributes?: Record<string, string>;
}

/** A `memberOf` expression this check can evaluate, or undefined. */
type Predicate = (attributes: Record<string, string>) => boolean;

/**
 * Parses the subset of the cluster query language the planner evaluates: `attribute:NAME == V`,
 * `!= V`, `in [A, B]`, `not_in [A, B]`, joined by `and` / `or` (left to right). Anything else
 * (wildcards, `exists`, task-group queries) is not evaluated, and the task's instance stays.
 */
export function parseMemberOf(expression: string): Predicate | undefined {
    const terms = expression.split(/\s+(and|or)\s+/i);
    const preds: Predicate[] = [];
    const ops: string[] = [];
    for (let k = 0; k < terms.length; k++) {
        if (k % 2 === 1) {
            ops.push(terms[k].toLowerCase());
            continue;
        }
        const m = /^\(?\s*attribute:([\w.-]+)\s*(==|!=|in|not_in)\s*(\[[^\]]*\]|[^\s()]+)\s*\)?$/i.exec(terms[k].trim());
        if (m === null) return undefined;
        const [, name, op, raw] = m;
        const values = raw.startsWith("[") ? raw.slice(1, -1).split(",").map((v) => v.trim()) : [raw];
        if (values.some((v) => v.includes("*"))) return undefined;
        const o = op.toLowerCase();
        preds.push((attrs) => {
            const value = attrs[name];
            const hit = value !== undefined && values.includes(value);
            return o === "==" || o === "in" ? hit : !hit;
        });
    }
    return (attrs) => preds.slice(1).reduce((acc, p, k) => ops[k] === "and" ? acc && p(attrs) : acc || p(attrs), preds[0](attrs));
}

/** Whether each task needs an instance of its own: a static host port, or `distinctInstance`. */
export function oneEach(needs: TaskNeeds): boolean {
    return (needs.hostPorts ?? []).length > 0 || needs.distinctGroup !== undefined;
}

/** What sizes a scale-out for an unplaced service besides CPU and memory: an instance each, or an ENI each. */
export function unplacedNeeds(needs: TaskNeeds | undefined): { oneEach?: true; awsvpc?: true } {
    return { ...(needs !== undefined && oneEach(needs) ? { oneEach: true } : {}), ...(needs?.awsvpc === true ? { awsvpc: true } : {}) };
}

/** Why a task cannot be placed on an instance by the rules above, or undefined when it can. */
export function blockedBy(task: TaskNeeds, offer: InstanceOffer): string | undefined {
    for (const port of task.hostPorts ?? []) {
        if ((offer.portsInUse ?? []).includes(port)) return `port ${port.replace(/^tcp:/, "")} in use`;
    }
    if (task.awsvpc && (offer.freeEnis ?? 0) < 1) return offer.freeEnis === undefined ? "the instance type's network interfaces not known" : "no free ENI";
    if ((task.gpus ?? 0) > (offer.freeGpus ?? 0)) return "not enough GPUs";
    if (task.distinctGroup !== undefined && (offer.groups ?? []).includes(task.distinctGroup)) return `distinctInstance (${task.distinctGroup})`;
    for (const expr of task.memberOf ?? []) {
        const pred = parseMemberOf(expr);
        if (pred === undefined || !pred(offer.attributes ?? {})) return `memberOf(${expr})`;
    }
    return undefined;
}

/** The offer after `task` is placed on it. */
export function afterPlacing(offer: InstanceOffer, task: TaskNeeds): InstanceOffer {
    return {
        ...offer,
        portsInUse: [...(offer.portsInUse ?? []), ...(task.hostPorts ?? [])],
        ...(task.awsvpc && offer.freeEnis !== undefined ? { freeEnis: offer.freeEnis - 1 } : {}),
        ...(task.gpus ? { freeGpus: (offer.freeGpus ?? 0) - task.gpus } : {}),
        groups: task.distinctGroup === undefined ? offer.groups : [...(offer.groups ?? []), task.distinctGroup],
    };
}

/** Why a task's constraints cannot be evaluated at all (its instance then stays), or undefined. */
export function unevaluable(task: TaskNeeds): string | undefined {
    if (task.unmodelled !== undefined) return `${task.unmodelled} cannot be evaluated by the scaler`;
    for (const expr of task.memberOf ?? []) {
        if (parseMemberOf(expr) === undefined) return `memberOf(${expr}) cannot be evaluated by the scaler`;
    }
    return undefined;
}

/**
 * The first of `tasks` with a `memberOf` expression (one this check can evaluate) that none of
 * `offers` meets, and that expression; undefined when every such task has somewhere to go.
 */
export function firstUnmetMemberOf<T extends { needs?: TaskNeeds }>(tasks: T[], offers: InstanceOffer[]): { task: T; expression: string } | undefined {
    for (const task of tasks) {
        const expression = (task.needs?.memberOf ?? []).find((e) => parseMemberOf(e) !== undefined
            && !offers.some((offer) => blockedBy({ memberOf: [e] }, offer) === undefined));
        if (expression !== undefined) return { task, expression };
    }
    return undefined;
}

