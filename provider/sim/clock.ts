// A virtual clock with a timer queue. Code under test sleeps through Deps; `run` drives the queue:
// whenever every promise is idle it jumps to the next timer, letting the world advance up to it.

interface Timer {
    at: number;
    seq: number;
    resolve: () => void;
}

export class VirtualClock {
    private timers: Timer[] = [];
    private seq = 0;

    /** `onAdvance(t)` moves the simulated world forward to time t (epoch ms). */
    constructor(public nowMs: number, private readonly onAdvance: (t: number) => void) {}

    now(): number {
        return this.nowMs;
    }

    sleep(ms: number, signal?: AbortSignal): Promise<void> {
        return new Promise((resolve) => {
            if (signal?.aborted) return resolve();
            const timer: Timer = { at: this.nowMs + Math.max(0, ms), seq: this.seq++, resolve };
            this.timers.push(timer);
            signal?.addEventListener("abort", () => {
                this.timers = this.timers.filter((t) => t !== timer);
                resolve();
            }, { once: true });
        });
    }

    /** Advances the world without any code waiting, e.g. between reconciles. */
    advance(ms: number): void {
        this.onAdvance(this.nowMs + ms);
    }

    /**
     * Runs `work` to completion in virtual time. Throws when the work is stuck with no timer left
     * or when it would run past `limitMs` of virtual time.
     */
    async run<T>(work: Promise<T>, limitMs = 7 * 24 * 3600_000): Promise<T> {
        const end = this.nowMs + limitMs;
        let settled = false;
        work.then(() => { settled = true; }, () => { settled = true; });
        for (;;) {
            await new Promise((r) => setImmediate(r));
            if (settled) return work;
            if (this.timers.length === 0) throw new Error("simulation stalled: the work waits on nothing the clock can fire");
            this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
            const next = this.timers.shift()!;
            if (next.at > end) throw new Error(`simulation ran past its limit of ${limitMs / 1000} virtual seconds`);
            if (next.at > this.nowMs) this.onAdvance(next.at);
            next.resolve();
        }
    }
}
