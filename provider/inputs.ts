// The scaler's inputs as the engine passes them, and their validation in `check`.
import { NEW_VERSION } from "./model";
import { checkDraining, checkScaling, ScalerSettings, SIZE_RANGES } from "./settings";
import { Problem, Problems } from "./validation";

/** The string the engine sends in preview for a value that is not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** An instance type in `family.size` form, as EC2 names them. */
export const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*\.[a-z0-9]+$/;

export interface ScalerInputs extends ScalerSettings {
    /** The rendered plan, written by `check`. */
    plan?: string[];
}

/** True when any value, however deep, is the engine's unknown marker. */
export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
    return false;
}

const known = (v: unknown) => v !== UNKNOWN;

/**
 * The settings to plan a preview with when some inputs are not known yet, or undefined when nothing
 * can be planned (the cluster or group is new). A launch template changing in this update leaves its
 * id or version unknown: every instance now running is then outdated, whatever the new number.
 * A target group created in this update is left out of the plan; the up uses it.
 */
export function plannableInputs(news: Record<string, unknown>): ScalerInputs | undefined {
    if (!known(news.region) || !known(news.clusterName) || !known(news.autoScalingGroupName)) return undefined;
    const templateChanging = !known(news.launchTemplateId) || !known(news.launchTemplateVersion);
    const targetGroups = known(news.targetGroupArns) && Array.isArray(news.targetGroupArns) ? news.targetGroupArns.filter(known) : [];
    const planned = {
        ...news,
        ...(templateChanging ? { launchTemplateId: known(news.launchTemplateId) ? news.launchTemplateId : NEW_VERSION, launchTemplateVersion: NEW_VERSION } : {}),
        targetGroupArns: targetGroups,
    };
    return containsUnknown(planned) ? undefined : planned as unknown as ScalerInputs;
}

/** Problems with the scaler's inputs; unknown values are skipped. */
export function checkScalerInputs(news: Record<string, unknown>): Problem[] {
    const p = new Problems();
    if (known(news.region)) p.format("region", news.region, "region");
    if (known(news.clusterName)) p.format("clusterName", news.clusterName, "clusterName");
    if (known(news.autoScalingGroupName)) p.matches("autoScalingGroupName", news.autoScalingGroupName, /^[\x20-\x7e]{1,255}$/, "an Auto Scaling group name");
    if (known(news.launchTemplateId)) p.matches("launchTemplateId", news.launchTemplateId, /^lt-[0-9a-f]{8,17}$/, "a launch template id (lt-…)");
    if (known(news.launchTemplateVersion)) p.matches("launchTemplateVersion", news.launchTemplateVersion, /^[1-9]\d*$/, "a launch template version number such as \"3\"");
    if (known(news.targetGroupArns) && p.list("targetGroupArns", news.targetGroupArns, 0, 50)) {
        (news.targetGroupArns as unknown[]).forEach((arn, i) => {
            if (known(arn)) p.format(`targetGroupArns[${i}]`, arn, "targetGroupArn");
        });
    }
    if (known(news.minSize)) p.integer("minSize", news.minSize, ...SIZE_RANGES.minSize, true);
    if (known(news.maxSize)) p.integer("maxSize", news.maxSize, ...SIZE_RANGES.maxSize, true);
    if (news.instanceTypes !== undefined && known(news.instanceTypes) && p.list("instanceTypes", news.instanceTypes, 1, 40)) {
        (news.instanceTypes as unknown[]).forEach((t, i) => {
            if (known(t)) p.matches(`instanceTypes[${i}]`, t, INSTANCE_TYPE_PATTERN, "an instance type in `family.size` form such as \"m6i.large\"");
        });
    }
    if (!containsUnknown(news.scaling)) checkScaling(p, "scaling", news.scaling, false);
    if (!containsUnknown(news.draining)) checkDraining(p, "draining", news.draining, false);
    return p.items;
}
