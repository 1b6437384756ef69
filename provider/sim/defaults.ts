// Partial scaler settings for simulations; missing parts come from the package defaults.
import { DrainingPolicy, ScalingPolicy } from "../policy";
import { ScalerSettings } from "../reconcile";

export { DEFAULT_DRAINING, DEFAULT_SCALING } from "../policy";

export type ScalerSettingsDefaults = Partial<Omit<ScalerSettings, "scaling" | "draining">> & {
    scaling?: Partial<ScalingPolicy>;
    draining?: Partial<DrainingPolicy>;
};
