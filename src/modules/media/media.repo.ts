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
