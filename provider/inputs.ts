// The scaler's inputs as the engine passes them, and their validation in `check`.
import { NEW_VERSION } from "./model";
import { FORMATS, ScalerSettings, SIZE_RANGES } from "./settings";
import { checkDraining, checkInstanceChoice, checkInstanceRequirements, checkMaintenance, checkRunner, checkScaling, Problem, Problems } from "./validation";

/** The string the engine sends in preview for a value that is not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface ScalerInputs extends ScalerSettings {
    /** The rendered plan, written by `check`. */
    plan?: string[];
}

/** True when any value, however deep, is the engine's unknown marker. */
function containsUnknown(value: unknown): boolean {
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
 * A target group created in this update is left out of the plan; the up uses it. A lease table or
 * runner not known yet (created in this update) is left out too: the plan does not rest on them.
 */
export function plannableInputs(news: Record<string, unknown>): ScalerInputs | undefined {
    if (!known(news.region) || !known(news.clusterName) || !known(news.autoScalingGroupName)) return undefined;
    const templateChanging = !known(news.launchTemplateId) || !known(news.launchTemplateVersion);
    const targetGroups = known(news.targetGroupArns) && Array.isArray(news.targetGroupArns) ? news.targetGroupArns.filter(known) : [];
    const planned = {
        ...news,
        ...(templateChanging ? { launchTemplateId: known(news.launchTemplateId) ? news.launchTemplateId : NEW_VERSION, launchTemplateVersion: NEW_VERSION } : {}),
        targetGroupArns: targetGroups,
        leaseTable: known(news.leaseTable) ? news.leaseTable : undefined,
        runner: containsUnknown(news.runner) ? undefined : news.runner,
    };
    return containsUnknown(planned) ? undefined : planned as unknown as ScalerInputs;
}

/** Problems with the scaler's inputs; unknown values are skipped. */
export function checkScalerInputs(news: Record<string, unknown>): Problem[] {
    const p = new Problems();
    if (known(news.region)) p.format("region", news.region, FORMATS.region);
    if (known(news.clusterName)) p.format("clusterName", news.clusterName, FORMATS.clusterName);
    if (known(news.autoScalingGroupName)) p.format("autoScalingGroupName", news.autoScalingGroupName, FORMATS.autoScalingGroupName);
    if (known(news.launchTemplateId)) p.format("launchTemplateId", news.launchTemplateId, FORMATS.launchTemplateId);
    if (known(news.launchTemplateVersion)) p.format("launchTemplateVersion", news.launchTemplateVersion, FORMATS.launchTemplateVersion);
    if (known(news.targetGroupArns) && p.list("targetGroupArns", news.targetGroupArns, 0, 50)) {
        (news.targetGroupArns as unknown[]).forEach((arn, i) => {
            if (known(arn)) p.format(`targetGroupArns[${i}]`, arn, FORMATS.targetGroupArn);
        });
    }
    if (known(news.minSize)) p.integer("minSize", news.minSize, ...SIZE_RANGES.minSize, true);
    if (known(news.maxSize)) p.integer("maxSize", news.maxSize, ...SIZE_RANGES.maxSize, true);
    if (news.instanceTypes !== undefined && known(news.instanceTypes) && p.list("instanceTypes", news.instanceTypes, 1, 40)) {
        (news.instanceTypes as unknown[]).forEach((t, i) => {
            if (known(t)) p.format(`instanceTypes[${i}]`, t, FORMATS.instanceType);
        });
    }
    if (news.instanceTypes !== undefined && news.instanceRequirements !== undefined) checkInstanceChoice(p, news.instanceTypes, news.instanceRequirements);
    if (news.instanceRequirements !== undefined && !containsUnknown(news.instanceRequirements)) {
        checkInstanceRequirements(p, "instanceRequirements", news.instanceRequirements);
    }
    if (!containsUnknown(news.scaling)) checkScaling(p, "scaling", news.scaling, false);
    if (!containsUnknown(news.draining)) checkDraining(p, "draining", news.draining, false);
    if (!containsUnknown(news.maintenance)) checkMaintenance(p, "maintenance", news.maintenance);
    if (news.leaseTable !== undefined && known(news.leaseTable)) p.format("leaseTable", news.leaseTable, FORMATS.dynamoTable);
    if (news.runner !== undefined && !containsUnknown(news.runner)) checkRunner(p, news.runner, news.leaseTable);
    return p.items;
}
