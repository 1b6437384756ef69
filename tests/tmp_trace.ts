(global as any).describe = () => undefined;
const { scenario } = require("./provider/soak.test");
(async () => {
  const f: any = { throttle: 0, serverError: 0, hang: 0, spotInterruption: 0, externalTermination: 0, stuckTask: 0, stuckTarget: 0, neverRegister: 0, rebalance: 0, maxSizeLowered: 0, healthReplacement: 0, instanceRefresh: 0 };
  const r = await scenario(Number(process.argv[2]), f, (l: string) => console.log(l.split("\n").filter((x: string) => !/task.* left|waiting|deregistering/.test(x)).join("\n")));
  console.log("converged", r.converged, JSON.stringify(f), "max", r.world.group.maxSize, "desired", r.world.group.desired);
  for (const t of r.world.tasksOn("i-000000002")) console.log("on2", t.service, t.family, t.status, t.stopRequestedAt);
  for (const s of r.world.services.values()) console.log(s.name, s.desired, r.world.serviceTasks(s.name).filter((t: any) => t.status === "RUNNING").length, JSON.stringify(s.needs ?? {}), s.lastEvent ?? "");
})();
