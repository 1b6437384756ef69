// moto for the tests of one `describe`, with the AWS SDK's default configuration pointed at it.
import { awsEnv } from "./env";
import { Moto, startMoto } from "./moto";

/**
 * Starts moto before the tests of the calling `describe` and points the AWS SDK's default
 * configuration at it (fake credentials); stops it and restores the environment after them.
 */
export function motoWithEnv(): { readonly moto: Moto } {
    const holder: { moto?: Moto; restore?: () => void } = {};
    before(async () => {
        holder.moto = await startMoto();
        holder.restore = awsEnv(holder.moto.endpoint);
    });
    after(async () => {
        holder.restore?.();
        await holder.moto?.stop();
    });
    return { get moto() { return holder.moto!; } };
}
