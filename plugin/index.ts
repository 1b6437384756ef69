// The entry point the engine runs for the `spot-ecs` package (PulumiPlugin.yaml): it serves the
// package's provider. It exports no component, so Pulumi's own plugin runner leaves the hosting to it.
import { servePackage } from "./provider";

void servePackage(__dirname);
