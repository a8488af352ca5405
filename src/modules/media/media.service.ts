import type { Storage } from "../../adapters/storage/storage.js";
import type { Db } from "../../db/client.js";
import type { Media } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { NotFoundError, UnsupportedMediaTypeError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { toApiDate } from "../../lib/time.js";

/** Accepted images, recognised by their first bytes — never by the name or declared type. */
const SIGNATURES: { type: string; ext: string; test: (b: Buffer) => boolean }[] = [
  { type: "image/jpeg", ext: "jpg", test: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: "image/png", ext: "png", test: (b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: "image/gif", ext: "gif", test: (b) => b.length > 6 && /^GIF8[79]a$/.test(b.subarray(0, 6).toString("latin1")) },
];

export function sniffImage(data: Buffer): { type: string; ext: string } | undefined {
  return SIGNATURES.find((s) => s.test(data));
}

export interface MediaService {
  store(input: { platformId: string; mode: Mode; userId?: string | null; filename?: string | null; data: Buffer }): Promise<Media>;
  retrieve(input: { platformId: string; mode: Mode; id: string }): Promise<Media>;
}

export function createMediaService(deps: { db: Db; storage: Storage }): MediaService {
  const { db, storage } = deps;
  return {
    async store({ platformId, mode, userId, filename, data }) {
      const kind = sniffImage(data);
      if (!kind) throw new UnsupportedMediaTypeError("Only JPEG, PNG and GIF images are accepted.", "media");
      const id = newId("media");
      const key = `${platformId}/${id}.${kind.ext}`;
      const { url } = await storage.put(key, data, kind.type);
      try {
        return await db.media.create({
          data: { id, platformId, mode, userId: userId ?? null, storageKey: key, url, type: kind.type, size: data.length, filename: filename?.slice(0, 255) ?? null },
        });
      } catch (err) {
        await storage.delete(key).catch(() => {});
        throw err;
      }
    },
    async retrieve({ platformId, mode, id }) {
      const media = await db.media.findFirst({ where: { id, platformId, mode } });
      if (!media) throw new NotFoundError("media", id, "media_id");
      return media;
    },
  };
}

export function toMediaResponse(media: Media) {
  return { id: media.id, url: media.url, type: media.type, size: media.size, created: toApiDate(media.created) };
}
