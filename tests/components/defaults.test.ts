import { strict as assert } from "node:assert";
import { DEFAULTS } from "../../components";
import { ARGUMENT_RANGES, RUNNER_RANGES } from "../../components/args";
import { DEFAULT_MAX_DISCONNECTED_PERCENT, DRAINING_RANGES, MAX_INSTANCE_AGE_DAYS_RANGE, REQUIREMENT_DEFAULTS, REQUIREMENT_RANGES, SCALING_RANGES, SIZE_RANGES } from "../../provider/settings";
import { ARGUMENT_INTERFACES, documentedFields } from "../helpers/tsdoc";

/** Every documented field of an argument interface, with the text after its `@default` ("" when none). */
function documentedDefaults(iface: keyof typeof ARGUMENT_INTERFACES): Map<string, string> {
    const [file, name] = ARGUMENT_INTERFACES[iface];
    return new Map(documentedFields(file, name).map((f) => [f.name, f.default === "required" ? "" : f.default]));
}

/** A literal `@default` (number, boolean or quoted string) as a value; undefined for prose. */
function literal(text: string): unknown {
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (text === "true" || text === "false") return text === "true";
    const quoted = /^"([^"]*)"$/.exec(text);
    return quoted ? quoted[1] : undefined;
}

const OPTIONAL_WITHOUT_LITERAL = new Set([
    "clusterName", "existingClusterName", "vpcId", "securityGroupIds", "desiredCapacity", "imageId",
    "rootVolumeKmsKeyId", "keyName", "instanceAttributes", "ecsConfig", "extraUserData", "targetGroupArns", "tags",
    "scaling", "draining", "spotRevertWindow", "headroom", "runner", "actions", "managedDraining", "hookHeartbeatSeconds", "haltOnAlarms",
    "maintenance", "maxInstanceAgeDays", "window", "instanceTypes", "instanceRequirements",
    "cpuManufacturers", "instanceGenerations", "allowedInstanceTypes", "excludedInstanceTypes", "acceleratorCount", "acceleratorTypes", "networkInterfaceCount",
    "spotMaxPricePercentageOverLowestPrice",
]);
const REQUIRED = new Set(["subnetIds", "minSize", "maxSize", "InstanceRequirementsArgs.vcpuCount", "InstanceRequirementsArgs.memoryMiB"]);
const required = (iface: string, field: string) => REQUIRED.has(field) || REQUIRED.has(`${iface}.${field}`);

describe("documented ranges", () => {
    const ranges: Record<keyof typeof ARGUMENT_INTERFACES, Record<string, readonly [number, number]>> = {
        SpotEcsClusterArgs: { ...SIZE_RANGES, ...ARGUMENT_RANGES },
        ScalingArgs: SCALING_RANGES,
        DrainingArgs: DRAINING_RANGES,
        MaintenanceArgs: { maxInstanceAgeDays: MAX_INSTANCE_AGE_DAYS_RANGE, maxDisconnectedPercent: [1, 100] },
        RunnerArgs: RUNNER_RANGES,
        InstanceRequirementsArgs: { ...REQUIREMENT_RANGES, spotMaxPricePercentageOverLowestPrice: REQUIREMENT_RANGES.pricePercentage,
            onDemandMaxPricePercentageOverLowestPrice: REQUIREMENT_RANGES.pricePercentage },
    };
    // Ranges of settings that are not numbers of their own: the bounds of a `{ min, max }`, and the price share both take.
    const boundsOf = new Set(["pricePercentage"]);
    // Its bounds are minSize and maxSize, which its sentence names.
    const boundByOthers = new Set(["desiredCapacity"]);
    for (const iface of Object.keys(ranges) as (keyof typeof ARGUMENT_INTERFACES)[]) {
        it(`states in ${iface} the range each numeric argument is checked against`, () => {
            const [file, name] = ARGUMENT_INTERFACES[iface];
            const stated = new Map(documentedFields(file, name).flatMap((f) => {
                const m = /Range (\d+)-(\d+)\./.exec(f.sentence);
                return m === null ? [] : [[f.name, [Number(m[1]), Number(m[2])]] as const];
            }));
            for (const [field, range] of stated) assert.deepEqual(range, ranges[iface][field], `${iface}.${field} says Range ${range.join("-")}`);
            for (const field of Object.keys(ranges[iface])) {
                if (!boundByOthers.has(field) && !boundsOf.has(field)) assert.ok(stated.has(field), `${iface}.${field} does not state its range`);
            }
        });
    }
});

describe("DEFAULTS", () => {
    for (const [iface, defaults] of [
        ["SpotEcsClusterArgs", DEFAULTS],
        ["ScalingArgs", DEFAULTS.scaling],
        ["DrainingArgs", DEFAULTS.draining],
        ["MaintenanceArgs", { maxDisconnectedPercent: DEFAULT_MAX_DISCONNECTED_PERCENT }],
        ["RunnerArgs", DEFAULTS.runner],
        ["InstanceRequirementsArgs", REQUIREMENT_DEFAULTS],
    ] as [keyof typeof ARGUMENT_INTERFACES, Record<string, unknown>][]) {
        describe(iface, () => {
            const documented = documentedDefaults(iface);

            it("documents every field with a sentence and, unless required, an @default", () => {
                assert.ok(documented.size > 0);
                for (const [field, text] of documented) {
                    if (required(iface, field)) assert.equal(text, "", `${field} is required and has no default`);
                    else assert.notEqual(text, "", `${field} has no @default`);
                }
            });

            it("holds every literal @default to DEFAULTS", () => {
                for (const [field, text] of documented) {
                    const value = literal(text);
                    if (value === undefined) {
                        assert.ok(required(iface, field) || OPTIONAL_WITHOUT_LITERAL.has(field),
                            `${field}: @default ${JSON.stringify(text)} is neither a literal nor a known prose default`);
                        continue;
                    }
                    assert.deepEqual(defaults[field], value, `${iface}.${field}: documented ${text}`);
                }
            });

            it("documents every key of DEFAULTS", () => {
                for (const key of Object.keys(defaults)) {
                    if (typeof defaults[key] === "object") continue;
                    assert.ok(documented.has(key), `DEFAULTS.${key} is not a documented field of ${iface}`);
                    assert.deepEqual(literal(documented.get(key)!), defaults[key], `DEFAULTS.${key}`);
                }
            });
        });
    }
});
