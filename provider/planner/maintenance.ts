// Keeping the fleet fresh: an instance older than `maintenance.maxInstanceAgeDays` is replaced like
// any outdated one, drained first, and only while `maintenance.window` is open when one is set; the
// plan says when the window next opens.
import { Observed, ObservedInstance } from "../model";
import { plural } from "../render";
import { Policy } from "../settings";
import { windowState } from "../window";
import { isLive, isOutdated } from "./fleet";

const DAY_MS = 86_400_000;

/** The live instances past the maximum age (and on the current template: an outdated one is replaced anyway). */
export function agedOut(o: Observed, p: Policy, now: number): ObservedInstance[] {
    const days = p.maintenance?.maxInstanceAgeDays;
    if (days === undefined) return [];
    return o.instances.filter((i) => isLive(i) && i.launchTime !== undefined && now - i.launchTime > days * DAY_MS && !isOutdated(i, o));
}

/** Why an instance is replaced for its age. */
export function ageReason(i: ObservedInstance, p: Policy, now: number): string {
    return `launched ${Math.floor((now - i.launchTime!) / DAY_MS)} days ago, past maintenance.maxInstanceAgeDays ${p.maintenance!.maxInstanceAgeDays}`;
}

/** `2 d 5 h`, `3 h 10 min`, `25 min`. */
export function until(ms: number): string {
    const minutes = Math.ceil(ms / 60_000);
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    return hours < 24 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** The maintenance window as it stands at `now`: undefined when none is set. */
export function maintenanceWindow(p: Policy, now: number): { window: string; open: boolean; opensInMs: number } | undefined {
    const w = p.maintenance?.window;
    return w === undefined ? undefined : { window: w, ...windowState(w, now) };
}

/** The instances to replace for their age in this plan (none while the window is closed), and what the plan says of them. */
export function planAged(o: Observed, p: Policy, now: number): { aged: ObservedInstance[]; notes: string[] } {
    const aged = agedOut(o, p, now);
    if (aged.length === 0) return { aged, notes: [] };
    const w = maintenanceWindow(p, now);
    if (w === undefined || w.open) return { aged, notes: [] };
    return { aged: [], notes: [`${plural(aged.length, "instance")} older than ${p.maintenance!.maxInstanceAgeDays} days (maintenance.maxInstanceAgeDays): `
        + `replaced in the maintenance window ${w.window} UTC, which opens in ${until(w.opensInMs)}`] };
}
