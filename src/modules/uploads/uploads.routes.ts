import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { UploadSigner } from "../../adapters/storage/upload-signer.js";
import { PermissionError, ValidationError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";
import { GoneError, type ProductImagesService } from "../products/index.js";

/**
 * The receiving end of our own pre-signed upload URLs (storage on disk; with S3 the bucket receives
 * them). Public like an S3 URL: the signature in the query is the credential. The body is the raw
 * file, whatever its Content-Type.
 */
const uploadQuery = z
  .object({
    content_type: z.string().min(1).max(100),
    expires: z.coerce.number().int(),
    signature: z.string().regex(/^[0-9a-f]{64}$/, "must be the signature from the upload URL"),
  })
  .strict();

const uploadParams = z.object({ key: z.string().min(1).max(250).describe("The storage key, URL-encoded as one path segment") }).strict();

const receivedSchema = z.object({ key: z.string(), url: z.string(), type: z.string(), size: z.number().int() }).meta({ id: "ReceivedUpload" });

export const uploadsRoutes: FastifyPluginAsyncZod<{ signer: UploadSigner; productImages: Pick<ProductImagesService, "receive">; uploadLimit: number }> = async (
  app,
  { signer, productImages, uploadLimit },
) => {
  // Only in this plugin's scope: every body is taken as bytes, up to the upload limit (then 413).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: uploadLimit }, (_request, body, done) => done(null, body));

  app.put(
    "/uploads/:key",
    {
      schema: {
        operationId: "receiveSignedUpload",
        tags: ["Uploads"],
        summary: "Upload a file to a pre-signed URL (local storage)",
        description:
          "The URLs handed out by `PUT /v1/products/:id/images` when no S3 bucket is configured. The body is the file itself. 403 when the signature does not match, 410 once the URL expired, 415 when the bytes are not the image type signed for, 413 above UPLOAD_LIMIT.",
        params: uploadParams,
        querystring: uploadQuery,
        response: { 200: receivedSchema, ...errors(400, 403, 404, 410, 413, 415) },
      },
      // The signed key names the product image, whatever its platform (docs/tenancy.md).
      config: { auth: "public", tenant: "system" },
    },
    async (request) => {
      const key = request.params.key;
      const { content_type: contentType, expires, signature } = request.query;
      const verdict = signer.verify({ key, contentType, expires, signature });
      if (verdict === "invalid") throw new PermissionError("signature_invalid", "The upload URL's signature does not match: use the URL exactly as it was handed out.");
      if (verdict === "expired") throw new GoneError("upload_url_expired", "This upload URL has expired: ask for a new one.");
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw new ValidationError("parameter_missing", "Send the file's bytes as the request body.", "body");
      return productImages.receive(key, contentType, body, request.id);
    },
  );
};
