/**
 * Where a `node --cpu-prof` profile's CPU went: self time by function and by place (our source
 * file, a package, Node's internals, the garbage collector), from the `.cpuprofile` JSON that Node
 * writes. `npm run bench -- --cpu-prof` prints it for the API's profile.
 *
 *   tsx bench/profile.ts <file.cpuprofile> [top] [from µs, monotonic clock]
 */
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A frame's place: `src/…` file, npm package, `node:` internals, or a V8 pseudo-frame such as (garbage collector). */
export function placeOf(frame: CallFrame, root: string): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  if (url.startsWith("node:")) return "node: internals";
  const file = url.startsWith("file://") ? new URL(url).pathname : url;
  const nm = file.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = file.slice(nm + "/node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return path.relative(root, file) || file;
}

const internal = (place: string) => place === "node: internals" || place === "(native)";

/**
 * Self time (ms) per function and per place, busiest first, idle and program time left out of the
 * shares; `byCaller` charges the time of Node's internals and native code (socket writes, module
 * loading) to the nearest frame above it in a package or our source, so it says who asked for it.
 * Samples before `fromMicros` (on the profile's monotonic clock) are left out: the start-up.
 */
export function selfTimes(
  profile: CpuProfile,
  root: string,
  fromMicros = 0,
): { total: number; idle: number; byFunction: [string, number][]; byPlace: [string, number][]; byCaller: [string, number][] } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  const callerOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const place = placeOf(nodes.get(at)!.callFrame, root);
      if (!internal(place) && place !== "(root)") return place;
    }
    return placeOf(nodes.get(id)!.callFrame, root);
  };
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  const byCaller = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let clock = profile.startTime;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    clock += profile.timeDeltas[i] ?? 0;
    if (clock < fromMicros) return;
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") {
      idle += ms;
      return;
    }
    total += ms;
    const place = placeOf(frame, root);
    const name = `${frame.functionName || "(anonymous)"} ${place}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
    const caller = internal(place) ? callerOf(id) : place;
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, idle, byFunction: sorted(byFunction), byPlace: sorted(byPlace), byCaller: sorted(byCaller) };
}

export async function summarizeProfile(file: string, root: string, top = 25, fromMicros = 0): Promise<string> {
  const profile = JSON.parse(await fs.readFile(file, "utf8")) as CpuProfile;
  const { total, idle, byFunction, byPlace, byCaller } = selfTimes(profile, root, fromMicros);
  const pct = (ms: number) => `${((100 * ms) / Math.max(1, total)).toFixed(1)} %`;
  return [
    `${path.basename(file)}: ${(total / 1000).toFixed(1)} s busy, ${(idle / 1000).toFixed(1)} s idle or in (program)${fromMicros ? " (from the first warm-up on)" : ""}`,
    "",
    "| self time by caller (Node internals and native code charged to who called them) | ms | share |",
    "|---|---:|---:|",
    ...byCaller.slice(0, top).map(([p, ms]) => `| ${p} | ${ms.toFixed(0)} | ${pct(ms)} |`),
    "",
    "| self time by place | ms | share |",
    "|---|---:|---:|",
    ...byPlace.slice(0, top).map(([p, ms]) => `| ${p} | ${ms.toFixed(0)} | ${pct(ms)} |`),
    "",
    "| self time by function | ms | share |",
    "|---|---:|---:|",
    ...byFunction.slice(0, top).map(([f, ms]) => `| ${f.replaceAll("|", "\\|")} | ${ms.toFixed(0)} | ${pct(ms)} |`),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.stdout.write(`${await summarizeProfile(process.argv[2]!, path.resolve(import.meta.dirname, ".."), Number(process.argv[3] ?? 25), Number(process.argv[4] ?? 0))}\n`);
}
