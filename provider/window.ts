// Time windows in the form of the window setting (`"Sat,Sun 02:00-06:00"`, UTC): whether one is
// open now, and when it opens next.
import { DAYS } from "./settings";

/**
 * Whether `nowMs` falls inside `window` (see `FORMATS.window`), and if not, milliseconds until it
 * opens. A window that ends before it starts runs past midnight; its days are the days it starts.
 */
export function windowState(window: string, nowMs: number): { open: boolean; opensInMs: number } {
    const m = /^(?:(\S+) )?(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(window)!;
    const days = m[1] === undefined ? [0, 1, 2, 3, 4, 5, 6] : m[1].split(",").map((d) => DAYS.indexOf(d));
    const start = Number(m[2]) * 60 + Number(m[3]);
    let length = Number(m[4]) * 60 + Number(m[5]) - start;
    if (length <= 0) length += 24 * 60;
    const DAY = 86_400_000;
    const dayStart = Math.floor(nowMs / DAY) * DAY;
    let next = Infinity;
    // Yesterday's window may still be open past midnight; otherwise the next start within a week.
    for (let d = -1; d <= 7; d++) {
        const opens = dayStart + d * DAY + start * 60_000;
        if (!days.includes(new Date(opens).getUTCDay())) continue;
        if (nowMs >= opens && nowMs < opens + length * 60_000) return { open: true, opensInMs: 0 };
        if (opens > nowMs) next = Math.min(next, opens - nowMs);
    }
    return { open: false, opensInMs: next };
}
