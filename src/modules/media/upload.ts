import type { FastifyRequest } from "fastify";
import { AppError, ValidationError } from "../../lib/errors.js";

export type ImageSource = { file: { data: Buffer; filename?: string } } | { mediaId: string };

/** The file sent as multipart/form-data in the field `media` (the official SDK's field name). */
export async function readMediaField(request: FastifyRequest): Promise<{ data: Buffer; filename?: string }> {
  try {
    const file = await request.file();
    if (file?.fieldname !== "media") throw new ValidationError("parameter_missing", "Send the file as multipart/form-data in the field `media`.", "media");
    return { data: await file.toBuffer(), filename: file.filename };
  } catch (err) {
    // The multipart parser (busboy) throws plain errors for a body it cannot read — no boundary in
    // the Content-Type, a truncated part, a malformed part header: the client's fault, not ours.
    // Its limits (file too large, too many parts) carry a status and go through as they are.
    if (err instanceof AppError || typeof (err as { statusCode?: unknown }).statusCode === "number") throw err;
    throw new ValidationError("body_invalid", `The multipart/form-data body cannot be read: ${(err as Error).message}.`, "media");
  }
}

/** An image either uploaded in this request (field `media`) or named by `{ media_id }` of an earlier upload. */
export async function imageSource(request: FastifyRequest, body: { media_id?: string } | null | undefined): Promise<ImageSource> {
  if (request.isMultipart()) return { file: await readMediaField(request) };
  if (!body?.media_id) {
    throw new ValidationError("parameter_missing", "Send `media_id` (from POST /v1/utils/media/upload), or the image as multipart/form-data in the field `media`.", "media_id");
  }
  return { mediaId: body.media_id };
}
