// The documented fields of an interface, read from its source: what the README tables and the
// defaults are held to.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "../..");

/** A documented field: its name, the text after `@default` ("required" when none), and its sentence. */
export interface DocumentedField {
    name: string;
    default: string;
    sentence: string;
}

/** Every documented field of `interfaceName` in `file` (relative to the repository), in order. */
export function documentedFields(file: string, interfaceName: string): DocumentedField[] {
    const source = fs.readFileSync(path.join(ROOT, file), "utf8");
    const declared = new RegExp(`export interface ${interfaceName}(?: extends (\\w+))? \\{`).exec(source);
    assert.ok(declared !== null, `interface ${interfaceName} not found in ${file}`);
    const start = declared.index;
    const body = source.slice(start, source.indexOf("\n}", start));
    // An interface that extends another of the same file has its fields first.
    const base = declared[1] !== undefined && source.includes(`export interface ${declared[1]} {`) ? documentedFields(file, declared[1]) : [];
    const fields: DocumentedField[] = [...base];
    for (const m of body.matchAll(/\/\*\*([^]*?)\*\/\s*(\w+)\??:/g)) {
        const doc = m[1].replace(/\s*\n\s*\*?\s*/g, " ").trim();
        const d = /@default (.+)$/.exec(doc);
        fields.push({
            name: m[2],
            default: d ? d[1].replace(/\{@link (\w+)\}/, "$1").trim() : "required",
            sentence: doc.replace(/\s*@default .+$/, "").trim(),
        });
    }
    return fields;
}

/** Where each argument interface the README documents is declared. */
export const ARGUMENT_INTERFACES = {
    SpotEcsClusterArgs: ["components/args.ts", "SpotEcsClusterArgs"],
    ScalingArgs: ["provider/settings.ts", "ScalingPolicy"],
    DrainingArgs: ["provider/settings.ts", "DrainingPolicy"],
    MaintenanceArgs: ["provider/settings.ts", "MaintenancePolicy"],
    RunnerArgs: ["components/args.ts", "RunnerArgs"],
    InstanceRequirementsArgs: ["provider/settings.ts", "InstanceRequirements"],
} as const;
