import fs from "node:fs/promises";
import path from "node:path";
import type { Storage } from "./storage.js";

/** Files under `<dataDir>/media`, served by the app at `<publicUrl>/media/<key>`. */
export function createDiskStorage(options: { root: string; publicUrl: string }): Storage {
  const resolveKey = (key: string) => {
    const file = path.resolve(options.root, key);
    if (!file.startsWith(path.resolve(options.root) + path.sep)) throw new Error(`storage key escapes the media root: ${key}`);
    return file;
  };
  return {
    kind: "disk",
    async put(key, data) {
      const file = resolveKey(key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Write then rename, so a half-written file is never served.
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, file);
      return { url: `${options.publicUrl}/media/${key}` };
    },
    async delete(key) {
      await fs.rm(resolveKey(key), { force: true });
    },
  };
}
