import fs from "node:fs/promises";
import path from "node:path";
import type { Storage } from "./storage.js";
import type { UploadSigner } from "./upload-signer.js";

/**
 * Files under `<dataDir>/media`, served by the app at `<publicUrl>/media/<key>`. Pre-signed uploads
 * are URLs on our own server (`PUT /v1/uploads/<key>`), signed by `uploads`.
 */
export function createDiskStorage(options: { root: string; publicUrl: string; uploads?: UploadSigner }): Storage {
  const resolveKey = (key: string) => {
    const file = path.resolve(options.root, key);
    if (!file.startsWith(path.resolve(options.root) + path.sep)) throw new Error(`storage key escapes the media root: ${key}`);
    return file;
  };
  const urlFor = (key: string) => `${options.publicUrl}/media/${key}`;
  return {
    kind: "disk",
    urlFor,
    async put(key, data) {
      const file = resolveKey(key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Write then rename, so a half-written file is never served.
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, file);
      return { url: urlFor(key) };
    },
    async delete(key) {
      await fs.rm(resolveKey(key), { force: true });
    },
    async presignUpload(key, contentType, expiresInSeconds) {
      if (!options.uploads) throw new Error("disk storage was built without an upload signer");
      resolveKey(key);
      return options.uploads.sign(key, contentType, expiresInSeconds);
    },
    async inspect(key, sniffBytes) {
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(resolveKey(key), "r");
        const { size } = await handle.stat();
        const head = Buffer.alloc(Math.min(sniffBytes, size));
        await handle.read(head, 0, head.length, 0);
        return { size, head };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      } finally {
        await handle?.close();
      }
    },
  };
}
