// Partial scaler settings for simulations; missing parts come from the package defaults.
import { DrainingPolicy, ScalerSettings, ScalingPolicy } from "../settings";

export { DEFAULT_DRAINING, DEFAULT_SCALING } from "../settings";

export type ScalerSettingsDefaults = Partial<Omit<ScalerSettings, "scaling" | "draining">> & {
    scaling?: Partial<ScalingPolicy>;
    draining?: Partial<DrainingPolicy>;
};
