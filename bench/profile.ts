/**
 * Where a `node --cpu-prof` profile's CPU went: self time by function and by place (our source
 * file, a package, Node's internals, the garbage collector), from the `.cpuprofile` JSON that Node
 * writes. `npm run bench -- --cpu-prof` prints it for the API's profile.
 *
 *   tsx bench/profile.ts <file.cpuprofile> [top]
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

/** Self time (ms) per function and per place, busiest first, idle and program time left out of the shares. */
export function selfTimes(profile: CpuProfile, root: string): { total: number; idle: number; byFunction: [string, number][]; byPlace: [string, number][] } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
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
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, idle, byFunction: sorted(byFunction), byPlace: sorted(byPlace) };
}

export async function summarizeProfile(file: string, root: string, top = 25): Promise<string> {
  const profile = JSON.parse(await fs.readFile(file, "utf8")) as CpuProfile;
  const { total, idle, byFunction, byPlace } = selfTimes(profile, root);
  const pct = (ms: number) => `${((100 * ms) / Math.max(1, total)).toFixed(1)} %`;
  return [
    `${path.basename(file)}: ${(total / 1000).toFixed(1)} s busy, ${(idle / 1000).toFixed(1)} s idle or in (program)`,
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
  process.stdout.write(`${await summarizeProfile(process.argv[2]!, path.resolve(import.meta.dirname, ".."), Number(process.argv[3] ?? 25))}\n`);
}
