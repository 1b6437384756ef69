// The parts a suite needs to drive the scaler through the SDK's dynamic-provider host against moto:
// moto, the limits proxy in front of it, the provider serialized as the engine does, and the host.
import { scalerProvider } from "../../provider/dynamic";
import { startLimitsProxy, LimitsProxy } from "./awsLimits";
import { Host, REPO_ROOT, startHost } from "./host";
import { startMoto, Moto } from "./moto";
import { assertListedOperations } from "./operations";
import { hostEnv } from "./scalerInputs";
import { serializeLikeDynamicResource } from "./serialize";

export interface HostSuite {
    moto: Moto;
    proxy: LimitsProxy;
    host: Host;
    providerText: string;
}

/** Starts them in a `before` hook and stops them in an `after` hook of the calling suite; read the fields in tests. */
export function hostSuite(): HostSuite {
    const suite = {} as HostSuite;
    before(async () => {
        suite.moto = await startMoto();
        suite.proxy = await startLimitsProxy(suite.moto.endpoint);
        suite.providerText = (await serializeLikeDynamicResource(scalerProvider)).text;
        suite.host = await startHost(REPO_ROOT, hostEnv(suite.proxy.endpoint));
    });
    after(async () => {
        await suite.host?.stop();
        const sent = suite.proxy?.scalerOperations();
        await suite.proxy?.close();
        await suite.moto?.stop();
        // Each AWS operation the scaler sent through the host is one its permissions list.
        if (sent !== undefined) assertListedOperations(sent);
    });
    return suite;
}
