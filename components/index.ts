// The package root: the component, its arguments and defaults, and the validator.
export { SpotEcsCluster, SPOT_ECS_CLUSTER_TYPE, AlarmArns, defaultClusterName } from "./cluster";
export { SpotEcsClusterPackageArgs, RunnerPackageArgs } from "./package";
export {
    SpotEcsClusterArgs, SpotEcsClusterCommonArgs, ScalingArgs, DrainingArgs, MaintenanceArgs, RunnerArgs, InstanceRequirementsArgs,
    CpuManufacturer, InstanceGeneration, Inclusion, AcceleratorType, MinMax, OptionalMinMax, DEFAULTS, AMI_FAMILIES, AmiFamily,
    SPOT_ALLOCATION_STRATEGIES, SpotAllocationStrategy, STANDALONE_TASK_POLICIES, StandaloneTaskPolicy, ScalingPolicy, DrainingPolicy,
} from "./args";
export { validateArgs, listProblems } from "./validate";
export { AMI_PARAMETERS } from "./ami";
export { Scaler, ScalerArgs, SCALER_TYPE } from "./scaler";
export { scalerProvider, LastRun } from "../provider/dynamic";
export { scalerPolicy, PolicyDocument, PolicyOptions, PolicyScope } from "../provider/permissions";
export { AWS_OPERATIONS, AwsOperation } from "../provider/operations";
