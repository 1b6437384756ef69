// The scaler's inputs as the engine passes them, and their validation in `check`.
import { checkDraining, checkScaling } from "./policy";
import type { ScalerSettings } from "./reconcile";
import { Problem, Problems } from "./validation";

/** The string the engine sends in preview for a value that is not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The one-line plan shown while the cluster's own resources are still being created or changed. */
export const PLAN_PENDING = "plan will be computed once the cluster and its Auto Scaling group exist (values are not known yet)";

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

/** Problems with the scaler's inputs; unknown values are skipped. */
export function checkScalerInputs(news: Record<string, unknown>): Problem[] {
    const p = new Problems();
    if (known(news.region)) p.matches("region", news.region, /^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as \"us-east-1\"");
    if (known(news.clusterName)) p.matches("clusterName", news.clusterName, /^[A-Za-z0-9_-]{1,255}$/, "1-255 letters, digits, hyphens or underscores");
    if (known(news.autoScalingGroupName)) p.matches("autoScalingGroupName", news.autoScalingGroupName, /^[\x20-\x7e]{1,255}$/, "an Auto Scaling group name");
    if (known(news.launchTemplateId)) p.matches("launchTemplateId", news.launchTemplateId, /^lt-[0-9a-f]{8,17}$/, "a launch template id (lt-…)");
    if (known(news.launchTemplateVersion)) p.matches("launchTemplateVersion", news.launchTemplateVersion, /^[1-9]\d*$/, "a launch template version number such as \"3\"");
    if (known(news.targetGroupArns) && p.list("targetGroupArns", news.targetGroupArns, 0, 50)) {
        (news.targetGroupArns as unknown[]).forEach((arn, i) => {
            if (known(arn)) p.matches(`targetGroupArns[${i}]`, arn, /^arn:aws[a-z-]*:elasticloadbalancing:/, "a target group ARN");
        });
    }
    if (!containsUnknown(news.scaling)) checkScaling(p, "scaling", news.scaling, false);
    if (!containsUnknown(news.draining)) checkDraining(p, "draining", news.draining, false);
    return p.items;
}
