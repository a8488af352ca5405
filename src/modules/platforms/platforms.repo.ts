import type { Db } from "../../db/client.js";

/** A platform's name, for pages outside the API (any mode); null when there is no such platform. */
export async function platformName(db: Db, id: string): Promise<string | null> {
  const platform = await db.platform.findUnique({ where: { id }, select: { name: true } });
  return platform?.name ?? null;
}
