// The `spot-ecs` package's provider: Pulumi's component provider for SpotEcsCluster (its schema
// inferred from the class in components/package.ts, Construct building the component in this process), and the
// scaler as a resource of its own, `spot-ecs:index:Scaler`, carried out by the same provider code a
// Node.js program's dynamic resource runs.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { PACKAGE_SCALER_TYPE } from "../components/scaler";
import { scalerProvider } from "../provider/dynamic";
import { SpotEcsCluster } from "../components/package";
import { documentedDefaults, withDefaults } from "./defaults";

/** The package's name: the first part of every type token it serves (`spot-ecs:index:SpotEcsCluster`). */
export const PACKAGE_NAME = "spot-ecs";

/** The scaler's resource in the package schema: inputs and outputs as plain JSON values. */
const SCALER_SCHEMA = {
    description: "The scaler of a SpotEcsCluster: plans in every preview (`plan`) and scales, drains and replaces instances in `pulumi up`. Created by the component.",
    properties: {
        plan: { type: "array", items: { type: "string" }, description: "The plan shown in `pulumi preview --diff`, one line per step." },
        lastRun: { $ref: "pulumi.json#/Any", description: "What the last `pulumi up` did." },
    },
    required: ["plan"],
};

function scalerOnly(urn: string): void {
    const type = urn.split("::")[2]?.split("$").pop();
    if (type !== PACKAGE_SCALER_TYPE) throw new Error(`the ${PACKAGE_NAME} provider serves ${PACKAGE_SCALER_TYPE} and components; got ${type ?? urn}`);
}

/** The provider the package's plugin serves; `dirname` is the plugin's directory (its package.json and tsconfig.json). */
export class SpotEcsPackageProvider implements provider.Provider {
    readonly version: string;
    private readonly components: ComponentProvider;
    private inferred?: Promise<string>;

    constructor(private readonly dirname: string) {
        this.components = new ComponentProvider({ name: PACKAGE_NAME, components: [SpotEcsCluster], dirname: path.resolve(dirname) });
        this.version = this.components.version;
    }

    getSchema(): Promise<string> {
        // Inferred once: each inference compiles the whole program.
        this.inferred ??= this.inferSchema();
        return this.inferred;
    }

    private async inferSchema(): Promise<string> {
        const schema = JSON.parse(await this.components.getSchema());
        // Each property's documented default, in its description: the inference keeps the text of a doc comment, not its tags.
        const defaults = documentedDefaults(this.dirname);
        withDefaults(schema.resources[`${PACKAGE_NAME}:index:SpotEcsCluster`].inputProperties, defaults.get("SpotEcsClusterPackageArgs"));
        for (const [token, type] of Object.entries(schema.types as Record<string, { properties?: Record<string, { description?: string }> }>)) {
            if (type.properties !== undefined) withDefaults(type.properties, defaults.get(token.split(":")[2]));
        }
        schema.resources[PACKAGE_SCALER_TYPE] = SCALER_SCHEMA;
        return JSON.stringify(schema);
    }

    construct(name: string, type: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
        return this.components.construct(name, type, inputs, options);
    }

    async check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.CheckResult> {
        scalerOnly(urn);
        return scalerProvider.check(olds, news);
    }

    async diff(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.DiffResult> {
        scalerOnly(urn);
        return scalerProvider.diff(id, olds, news);
    }

    async create(urn: string, inputs: Record<string, unknown>): Promise<provider.CreateResult> {
        scalerOnly(urn);
        return scalerProvider.create(inputs);
    }

    async read(id: string, urn: string, props?: Record<string, unknown>): Promise<provider.ReadResult> {
        scalerOnly(urn);
        return scalerProvider.read(id, props);
    }

    async update(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.UpdateResult> {
        scalerOnly(urn);
        return scalerProvider.update(id, olds, news);
    }

    async delete(_id: string, urn: string): Promise<void> {
        scalerOnly(urn);
        await scalerProvider.delete();
    }
}

/** Serves the provider over gRPC, as the engine starts a plugin: the engine's address in `args`, the port printed on stdout. */
export function servePackage(dirname: string, args: string[] = process.argv.slice(2)): Promise<void> {
    return provider.main(new SpotEcsPackageProvider(dirname), args);
}
