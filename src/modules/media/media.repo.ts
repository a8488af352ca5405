import type { Tx } from "../../db/tenant.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { newId } from "../../lib/ids.js";

/** Records a file another module had uploaded straight to storage (a product image); once per key. */
export async function recordUploadedMedia(
  tx: Tx,
  file: { platformId: string; mode: Mode; userId: string; storageKey: string; url: string; type: string; size: number },
): Promise<void> {
  await tx.media.createMany({ data: [{ id: newId("media"), ...file }], skipDuplicates: true });
}

/** Of these media ids, those the tenant has, with their URLs (in no particular order). */
export async function mediaOfTenant(tx: Tx, tenant: { platformId: string; mode: Mode }, ids: readonly string[]): Promise<{ id: string; url: string }[]> {
  if (ids.length === 0) return [];
  return tx.media.findMany({ where: { id: { in: [...ids] }, platformId: tenant.platformId, mode: tenant.mode }, select: { id: true, url: true } });
}
