/** The pure parts of `npm run bench -- --scale …` (bench/run.ts), kept apart so a test can import them. */

/** The arguments of this run that every size's run shares (not the sizes, nor where results go). */
export function scaleArgs(argv: string[]): string[] {
  const drop = new Set(["--scale", "--products", "--transactions", "--json"]);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const name = arg.split("=")[0]!;
    if (arg === "--write") continue;
    if (drop.has(name)) {
      if (!arg.includes("=")) i += 1;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** How a scenario's CPU per request grew from the smallest size to the largest. */
export function growth(sizes: number[], cpu: number[]): string {
  const k = sizes.at(-1)! / sizes[0]!;
  const r = cpu.at(-1)! / Math.max(0.001, cpu[0]!);
  const shape = r < 1.3 ? "flat" : r < Math.sqrt(k) ? "slow (log-like)" : r < k / 2 ? "sub-linear" : "linear";
  return `×${r.toFixed(2)} for ×${k} rows: ${shape}`;
}
