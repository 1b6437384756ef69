// Running independent per-instance calls a few at a time: at thousands of instances one after
// another takes minutes, all at once would outrun the pacing and flood the logs.

/**
 * Calls `fn` on every item, at most `limit` at a time. On an error no further item is started; the
 * calls under way finish, then the first error is thrown.
 */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let failed: { error: unknown } | undefined;
    const worker = async () => {
        while (failed === undefined && next < items.length) {
            const item = items[next++];
            try {
                await fn(item);
            } catch (error) {
                failed = failed ?? { error };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    if (failed !== undefined) throw failed.error;
}
