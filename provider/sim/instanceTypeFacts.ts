// EC2's facts about the instance types the simulator knows, as the scaler keeps them (`factsOf` in
// aws/ec2.ts) from DescribeInstanceTypes: the same data the scaler reads. Taken from moto's
// DescribeInstanceTypes (its data comes from EC2); tests/provider/aws.test.ts holds every entry to
// what moto answers, so a drift fails there.
import { InstanceTypeFacts } from "../instanceTypes";

export const SIM_TYPE_FACTS: Readonly<Record<string, InstanceTypeFacts>> = Object.freeze({
    "c5.xlarge": { vcpus: 4, memoryMiB: 8192, maxNetworkInterfaces: 4, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: false, burstable: false, bareMetal: false },
    "c5a.xlarge": { vcpus: 4, memoryMiB: 8192, maxNetworkInterfaces: 4, gpus: 0, fpgas: 0, inference: 0, manufacturer: "amd", currentGeneration: true, burstable: false, bareMetal: false },
    "c6g.large": { vcpus: 2, memoryMiB: 4096, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "amazon-web-services", currentGeneration: true, burstable: false, bareMetal: false },
    "c6i.xlarge": { vcpus: 4, memoryMiB: 8192, maxNetworkInterfaces: 4, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: true, burstable: false, bareMetal: false },
    "c7i.large": { vcpus: 2, memoryMiB: 4096, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: true, burstable: false, bareMetal: false },
    "g4dn.12xlarge": { vcpus: 48, memoryMiB: 196608, maxNetworkInterfaces: 8, gpus: 4, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: true, burstable: false, bareMetal: false },
    "g4dn.xlarge": { vcpus: 4, memoryMiB: 16384, maxNetworkInterfaces: 3, gpus: 1, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: true, burstable: false, bareMetal: false },
    "g5.xlarge": { vcpus: 4, memoryMiB: 16384, maxNetworkInterfaces: 4, gpus: 1, fpgas: 0, inference: 0, manufacturer: "amd", currentGeneration: true, burstable: false, bareMetal: false },
    "inf2.xlarge": { vcpus: 4, memoryMiB: 16384, maxNetworkInterfaces: 4, gpus: 0, fpgas: 0, inference: 1, manufacturer: "amd", currentGeneration: true, burstable: false, bareMetal: false },
    "m5.large": { vcpus: 2, memoryMiB: 8192, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: false, burstable: false, bareMetal: false },
    "m5a.large": { vcpus: 2, memoryMiB: 8192, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "amd", currentGeneration: true, burstable: false, bareMetal: false },
    "m6a.large": { vcpus: 2, memoryMiB: 8192, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "amd", currentGeneration: true, burstable: false, bareMetal: false },
    "m6i.2xlarge": { vcpus: 8, memoryMiB: 32768, maxNetworkInterfaces: 4, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: false, burstable: false, bareMetal: false },
    "m6i.large": { vcpus: 2, memoryMiB: 8192, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: false, burstable: false, bareMetal: false },
    "m6i.metal": { vcpus: 128, memoryMiB: 524288, maxNetworkInterfaces: 15, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: false, burstable: false, bareMetal: true },
    "m6i.xlarge": { vcpus: 4, memoryMiB: 16384, maxNetworkInterfaces: 4, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: false, burstable: false, bareMetal: false },
    "m7g.large": { vcpus: 2, memoryMiB: 8192, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "amazon-web-services", currentGeneration: true, burstable: false, bareMetal: false },
    "m7i.large": { vcpus: 2, memoryMiB: 8192, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: true, burstable: false, bareMetal: false },
    "m7i.xlarge": { vcpus: 4, memoryMiB: 16384, maxNetworkInterfaces: 4, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: true, burstable: false, bareMetal: false },
    "r6i.large": { vcpus: 2, memoryMiB: 16384, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: false, burstable: false, bareMetal: false },
    "t3.large": { vcpus: 2, memoryMiB: 8192, maxNetworkInterfaces: 3, gpus: 0, fpgas: 0, inference: 0, manufacturer: "intel", currentGeneration: true, burstable: true, bareMetal: false },
});
