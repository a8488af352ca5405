import type { Db } from "../../db/client.js";
import type { Platform } from "../../generated/prisma/client.js";
import { slugifyUsername, usernameCandidates } from "./username.js";

export function createUtilsService(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** A valid username not taken on the platform, derived from free text, with up to 4 alternatives. */
    async generateUsername(platform: Platform, text: string): Promise<{ username: string; alternatives: string[] }> {
      const base = slugifyUsername(text.includes("@") ? text.split("@")[0]! : text);
      const candidates = usernameCandidates(base);
      const taken = new Set(
        (
          await db.user.findMany({
            where: { platformId: platform.id, username: { in: candidates } },
            select: { username: true },
          })
        ).map((u) => u.username),
      );
      const free = candidates.filter((c) => !taken.has(c));
      // The candidate list always ends in 20 random suffixes, so running out means a pathological platform.
      return { username: free[0]!, alternatives: free.slice(1, 5) };
    },
  };
}

export type UtilsService = ReturnType<typeof createUtilsService>;
