// Instance types: the facts EC2 gives about each (DescribeInstanceTypes), and the attributes an Auto
// Scaling group selects types by (InstanceRequirements). Pure data and functions, read by the planner
// (the placement fit, the sizing of a scale-out, the replacement check) and by the simulator, so that
// both take a type's vCPUs, memory and network interfaces from the same facts. The requirements
// themselves (their documentation, ranges and formats) are settings (settings.ts).
import { AcceleratorType, CpuManufacturer, Inclusion, InstanceRequirements, REQUIREMENT_DEFAULTS } from "./settings";

/** What EC2 says of an instance type, as far as the scaler needs it. */
export interface InstanceTypeFacts {
    vcpus: number;
    memoryMiB: number;
    /** Elastic network interfaces the type takes, the primary one included (`NetworkInfo.MaximumNetworkInterfaces`). */
    maxNetworkInterfaces: number;
    /** Accelerators of each kind: GPUs, FPGAs, inference accelerators (Inferentia / Neuron devices). */
    gpus: number;
    fpgas: number;
    inference: number;
    /** The CPU manufacturer as InstanceRequirements names it (`intel`, `amd`, `amazon-web-services`, `apple`). */
    manufacturer?: string;
    currentGeneration?: boolean;
    burstable?: boolean;
    bareMetal?: boolean;
}

/** Whether `type` matches `pattern`, `*` standing for any run of characters. */
export function matchesTypePattern(type: string, pattern: string): boolean {
    const re = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.\-]/g, "\\$&")).join(".*")}$`);
    return re.test(type);
}

/** EC2's name of a CPU manufacturer (`ProcessorInfo.Manufacturer`) as InstanceRequirements spells it. */
export function manufacturerOf(ec2Name: string | undefined): string | undefined {
    if (ec2Name === undefined) return undefined;
    const known: Record<string, string> = { intel: "intel", amd: "amd", aws: "amazon-web-services", apple: "apple" };
    return known[ec2Name.toLowerCase()] ?? ec2Name.toLowerCase();
}

/** ENIs an instance type offers awsvpc tasks: its maximum less the primary interface; undefined when its facts are not known. */
export function awsvpcEnis(facts: InstanceTypeFacts | undefined): number | undefined {
    return facts === undefined ? undefined : Math.max(0, facts.maxNetworkInterfaces - 1);
}

function outside(value: number, range: { min?: number; max?: number } | undefined): boolean {
    return range !== undefined && ((range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max));
}

function rangeText(range: { min?: number; max?: number }): string {
    return range.max === undefined ? `at least ${range.min ?? 0}` : range.min === undefined ? `at most ${range.max}` : `${range.min}-${range.max}`;
}

/** `included` / `excluded` / `required` against whether the type has the property. */
function inclusionFails(setting: Inclusion, has: boolean | undefined): boolean {
    return has !== undefined && ((setting === "excluded" && has) || (setting === "required" && !has));
}

/**
 * Why an instance type does not have the requirements, by EC2's facts about it, or undefined when it
 * has them (or when a fact the check needs is not known: an instance is replaced only for a
 * mismatch its facts show). Price protection depends on prices the scaler does not read: it is not
 * checked, so an instance is never replaced for its price.
 */
export function requirementsMismatch(type: string, facts: InstanceTypeFacts | undefined, r: InstanceRequirements): string | undefined {
    if (r.allowedInstanceTypes !== undefined && !r.allowedInstanceTypes.some((p) => matchesTypePattern(type, p))) return "not among allowedInstanceTypes";
    const excluded = r.excludedInstanceTypes?.find((p) => matchesTypePattern(type, p));
    if (excluded !== undefined) return `excluded by excludedInstanceTypes "${excluded}"`;
    if (facts === undefined) return undefined;
    if (outside(facts.vcpus, r.vcpuCount)) return `${facts.vcpus} vCPUs, outside vcpuCount ${rangeText(r.vcpuCount)}`;
    if (outside(facts.memoryMiB, r.memoryMiB)) return `${facts.memoryMiB} MiB, outside memoryMiB ${rangeText(r.memoryMiB)}`;
    if (r.cpuManufacturers !== undefined && facts.manufacturer !== undefined && !(r.cpuManufacturers as string[]).includes(facts.manufacturer)) {
        return `CPU by ${facts.manufacturer}, not among cpuManufacturers`;
    }
    const generation = facts.currentGeneration === undefined ? undefined : facts.currentGeneration ? "current" : "previous";
    if (r.instanceGenerations !== undefined && generation !== undefined && !(r.instanceGenerations as string[]).includes(generation)) {
        return `a ${generation}-generation type, not among instanceGenerations`;
    }
    const burstable = r.burstablePerformance ?? REQUIREMENT_DEFAULTS.burstablePerformance;
    if (inclusionFails(burstable, facts.burstable)) return `${facts.burstable ? "a burstable type" : "not a burstable type"}, burstablePerformance is "${burstable}"`;
    const bareMetal = r.bareMetal ?? REQUIREMENT_DEFAULTS.bareMetal;
    if (inclusionFails(bareMetal, facts.bareMetal)) return `${facts.bareMetal ? "a bare-metal type" : "not a bare-metal type"}, bareMetal is "${bareMetal}"`;
    const accelerators = facts.gpus + facts.fpgas + facts.inference;
    if (outside(accelerators, r.acceleratorCount)) return `${accelerators} accelerators, outside acceleratorCount ${rangeText(r.acceleratorCount!)}`;
    const kinds: Record<AcceleratorType, number> = { gpu: facts.gpus, fpga: facts.fpgas, inference: facts.inference };
    if (r.acceleratorTypes !== undefined && !r.acceleratorTypes.some((k) => kinds[k] > 0)) return `no accelerator of acceleratorTypes ${r.acceleratorTypes.join(", ")}`;
    if (outside(facts.maxNetworkInterfaces, r.networkInterfaceCount)) {
        return `${facts.maxNetworkInterfaces} network interfaces, outside networkInterfaceCount ${rangeText(r.networkInterfaceCount!)}`;
    }
    return undefined;
}

/** The ECS-optimized AMI families' architecture, and the manufacturers whose CPUs run it. */
export function manufacturersFor(architecture: "x86_64" | "arm64"): CpuManufacturer[] {
    return architecture === "arm64" ? ["amazon-web-services"] : ["intel", "amd"];
}
