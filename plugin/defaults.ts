// The documented defaults of the package's arguments: the `@default` of each property's doc comment,
// which Pulumi's schema inference leaves out (it keeps the comment's text, not its tags), and the text
// of a property it reaches through a mapped type (`Partial<ScalingPolicy>`), whose comment it loses.
// The package schema carries both in each description, so that an SDK in any language shows them.
import * as path from "node:path";
import * as ts from "typescript";

/** A property's documentation: its sentence and its `@default` text. */
export interface PropertyDoc {
    text: string;
    default?: string;
}

/** The documentation of each property, by interface name, for the interfaces of the plugin's program. */
export function documentedDefaults(dirname: string): Map<string, Map<string, PropertyDoc>> {
    const configPath = path.join(dirname, "tsconfig.json");
    const config = ts.readConfigFile(configPath, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname);
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
    const checker = program.getTypeChecker();
    const out = new Map<string, Map<string, PropertyDoc>>();
    for (const file of program.getSourceFiles()) {
        if (file.isDeclarationFile) continue;
        ts.forEachChild(file, (node) => {
            if (!ts.isInterfaceDeclaration(node)) return;
            const docs = new Map<string, PropertyDoc>();
            for (const property of checker.getPropertiesOfType(checker.getTypeAtLocation(node.name))) {
                const tag = property.getJsDocTags(checker).find((t) => t.name === "default");
                const text = ts.displayPartsToString(property.getDocumentationComment(checker)).replace(/\s+/g, " ").trim();
                docs.set(property.name, { text, ...(tag?.text === undefined ? {} : { default: ts.displayPartsToString(tag.text).replace(/\{@link (\w+)\}/g, "$1").trim() }) });
            }
            out.set(node.name.text, docs);
        });
    }
    return out;
}

interface SchemaProperty {
    description?: string;
}

/** Gives each property the sentence of its declaration where the inference left none, and appends `Default: …` where it documents one. */
export function withDefaults(properties: Record<string, SchemaProperty>, docs: Map<string, PropertyDoc> | undefined): void {
    for (const [name, property] of Object.entries(properties)) {
        const doc = docs?.get(name);
        if (doc === undefined) continue;
        const sentence = property.description ?? doc.text;
        property.description = doc.default === undefined ? sentence : `${sentence} Default: ${doc.default}.`.trim();
    }
}
