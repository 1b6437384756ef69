import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULTS } from "../../components";

/** Every documented field of an interface in args.ts, with the text after its `@default`. */
function documentedDefaults(interfaceName: string): Map<string, string> {
    const source = fs.readFileSync(path.join(__dirname, "../../components/args.ts"), "utf8");
    const start = source.indexOf(`export interface ${interfaceName} {`);
    assert.ok(start >= 0, `interface ${interfaceName} not found`);
    const body = source.slice(start, source.indexOf("\n}", start));
    const fields = new Map<string, string>();
    const re = /\/\*\*([^]*?)\*\/\s*(\w+)\??:/g;
    for (let m = re.exec(body); m; m = re.exec(body)) {
        const doc = m[1];
        const d = /@default (.+?)\s*$/m.exec(doc.replace(/\*\//, ""));
        fields.set(m[2], d ? d[1].trim() : "");
    }
    return fields;
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
    "scaling", "draining", "spotRevertWindow",
]);
const REQUIRED = new Set(["subnetIds", "instanceTypes", "minSize", "maxSize"]);

describe("DEFAULTS", () => {
    for (const [iface, defaults] of [
        ["SpotEcsClusterArgs", DEFAULTS],
        ["ScalingArgs", DEFAULTS.scaling],
        ["DrainingArgs", DEFAULTS.draining],
    ] as [string, Record<string, unknown>][]) {
        describe(iface, () => {
            const documented = documentedDefaults(iface);

            it("documents every field with a sentence and, unless required, an @default", () => {
                assert.ok(documented.size > 0);
                for (const [field, text] of documented) {
                    if (REQUIRED.has(field)) assert.equal(text, "", `${field} is required and has no default`);
                    else assert.notEqual(text, "", `${field} has no @default`);
                }
            });

            it("holds every literal @default to DEFAULTS", () => {
                for (const [field, text] of documented) {
                    const value = literal(text);
                    if (value === undefined) {
                        assert.ok(REQUIRED.has(field) || OPTIONAL_WITHOUT_LITERAL.has(field),
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
