import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { noBody, productParams, productSchema, updateProductBody } from "../products.schemas.js";
import { toProductResponse, type ProductView } from "../products.service.js";
import { tags, signedIn, WRITERS, type ProductsApp, type ProductsRoutesDeps } from "./shared.js";

/** Changing one product: modify, delete, enable or disable, archive or unarchive. */
export function productRoutes(app: ProductsApp, { products }: ProductsRoutesDeps): void {
  const respond = (p: ProductView, at?: Date) => toProductResponse(p, at ?? products.now());
  for (const [method, operationId] of [
    ["PUT", "modifyProduct"],
    ["PATCH", "patchProduct"],
  ] as const) {
    app.route({
      method,
      url: "/products/:id",
      schema: {
        operationId,
        tags,
        summary: "Modify a product (only the fields sent)",
        description:
          `${WRITERS} Changing the seller (\`user_id\`) needs an editor or the key; a parent's variants follow it. ` +
          "When the platform requires review, changing a published listing's name, description, image, category, subcategory, tags or type sends it back to `pending` (`product.submitted`), unless the key, an owner or an admin changes it.",
        params: productParams,
        body: updateProductBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: signedIn,
      handler: async (request) => respond(await products.update(requireAuth(request), request.params.id, request.body)),
    });
  }

  app.delete(
    "/products/:id",
    {
      schema: {
        operationId: "deleteProduct",
        tags,
        summary: "Delete a product",
        description: `${WRITERS} Deletes its variants and seasonal prices too. 409 while a sent contract not yet paid (open, processing) names it or one of its variants: archive it instead. Buyers' carts (their lines of it go) and drafts do not stop it. Answers the product as it was.`,
        params: productParams,
        body: noBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: signedIn,
    },
    async (request) => respond(await products.remove(requireAuth(request), request.params.id)),
  );

  for (const [url, operationId, summary, isEnabled] of [
    ["/products/:id/enable", "enableProduct", "Enable a product", true],
    ["/products/:id/disable", "disableProduct", "Disable a product (it stays listed but cannot be bought)", false],
  ] as const) {
    app.put(
      url,
      {
        schema: { operationId, tags, summary, description: WRITERS, params: productParams, body: noBody, response: { 200: productSchema, ...errors(400, 401, 403, 404) } },
        config: signedIn,
      },
      async (request) => respond(await products.setEnabled(requireAuth(request), request.params.id, isEnabled)),
    );
  }

  for (const [url, operationId, summary, archived] of [
    ["/products/:id/archive", "archiveProduct", "Archive a product: hidden from lists, cannot be bought, kept for the contracts that name it", true],
    ["/products/:id/unarchive", "unarchiveProduct", "Unarchive a product", false],
  ] as const) {
    app.post(
      url,
      {
        schema: { operationId, tags, summary, description: WRITERS, params: productParams, body: noBody, response: { 200: productSchema, ...errors(400, 401, 403, 404) } },
        config: signedIn,
      },
      async (request) => respond(await products.setArchived(requireAuth(request), request.params.id, archived)),
    );
  }
}
