// The class the package serves, as the plugin's entry reaches it (the schema is inferred from it).
export { SpotEcsCluster, SpotEcsClusterPackageArgs, RunnerPackageArgs } from "../components/package";
