// `npm run demo`: the scaler on the simulated cluster, no AWS account needed. Prints each step's
// plan and progress, and writes a timeline of the rollout to demo-out/rollout.svg and rollout.html.
import * as fs from "node:fs";
import * as path from "node:path";
import { runDemo } from "./story";
import { renderTimelineHtml, renderTimelineSvg } from "./timeline";

async function main(): Promise<void> {
    const result = await runDemo((line) => console.log(line));
    const dir = path.resolve(process.cwd(), "demo-out");
    fs.mkdirSync(dir, { recursive: true });
    const svg = renderTimelineSvg(result);
    fs.writeFileSync(path.join(dir, "rollout.svg"), svg);
    fs.writeFileSync(path.join(dir, "rollout.html"), renderTimelineHtml(svg));
    console.log(`Timeline: ${path.relative(process.cwd(), path.join(dir, "rollout.html"))} (and rollout.svg)`);
}

main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
