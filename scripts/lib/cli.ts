import { ConfigError, loadConfig, type Config } from "../../src/config.js";

/** The environment's configuration for a CLI (quiet unless LOG_LEVEL says otherwise), or null after printing why not. */
export function cliConfig(): Readonly<Config> | null {
  try {
    return loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return null;
    }
    throw err;
  }
}

/** `--help` / `-h` anywhere on the command line. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}
