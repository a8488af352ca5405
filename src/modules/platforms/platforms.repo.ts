import type { Db } from "../../db/client.js";
import type { Tx } from "../../db/tenant.js";

/** A platform's name, for pages outside the API (any mode); null when there is no such platform. */
export async function platformName(db: Db, id: string): Promise<string | null> {
  const platform = await db.platform.findUnique({ where: { id }, select: { name: true } });
  return platform?.name ?? null;
}

/** The platform's fee in basis points (a contract's figures). */
export async function platformFeeBps(client: Db | Tx, id: string): Promise<number> {
  return (await client.platform.findUniqueOrThrow({ where: { id }, select: { platformFeeBps: true } })).platformFeeBps;
}

/** How emails name the platform and link to it. */
export async function platformNameAndUrl(client: Db | Tx, id: string): Promise<{ name: string; url: string | null }> {
  return client.platform.findUniqueOrThrow({ where: { id }, select: { name: true, url: true } });
}
