import { errors } from "../../../lib/route.js";
import { toApiDate } from "../../../lib/time.js";
import { requireAuth } from "../../../plugins/auth.js";
import { confirmImageBody, imageUploadBody, imageUploadSchema, productParams, productSchema } from "../products.schemas.js";
import { toProductResponse, type ProductView } from "../products.service.js";
import { tags, signedIn, WRITERS, type ProductsApp, type ProductsRoutesDeps } from "./shared.js";

/** A product's images: an upload URL, then its confirmation. */
export function imageRoutes(app: ProductsApp, { products, images }: ProductsRoutesDeps): void {
  const respond = (p: ProductView, at?: Date) => toProductResponse(p, at ?? products.now());
  app.put(
    "/products/:id/images",
    {
      schema: {
        operationId: "createProductImageUpload",
        tags,
        summary: "Get a pre-signed URL to upload the product's image (valid 60 s)",
        description:
          `${WRITERS} PUT the image's bytes to \`url\` with \`headers\` before \`expiresAt\`. With S3 storage, then call \`confirm\`: the image is set once the object is there. ` +
          "With local storage the upload itself sets the image (confirm is harmless).",
        params: productParams,
        body: imageUploadBody,
        response: { 200: imageUploadSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
    },
    async (request) => {
      const upload = await images.requestUpload(requireAuth(request), request.params.id, request.body.contentType);
      return { ...upload, expiresAt: toApiDate(upload.expiresAt) };
    },
  );

  app.post(
    "/products/:id/images/confirm",
    {
      schema: {
        operationId: "confirmProductImageUpload",
        tags,
        summary: "Set the product's image from a finished upload",
        description: `${WRITERS} 409 while nothing is at \`key\` yet; 413 or 415 (and the object is deleted) when it is too large or not the image type it was signed for.`,
        params: productParams,
        body: confirmImageBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 409, 413, 415) },
      },
      config: signedIn,
    },
    async (request) => respond(await images.confirm(requireAuth(request), request.params.id, request.body.key)),
  );
}
