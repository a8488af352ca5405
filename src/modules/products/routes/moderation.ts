import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { noBody, productParams, productSchema, rejectProductBody } from "../products.schemas.js";
import { toProductResponse, type ProductView } from "../products.service.js";
import { tags, signedIn, WRITERS, type ProductsApp, type ProductsRoutesDeps } from "./shared.js";

/** Listing moderation: the seller submits, a reviewer (admin, owner, key) approves or rejects. */
export function moderationRoutes(app: ProductsApp, { products }: ProductsRoutesDeps): void {
  const respond = (p: ProductView) => toProductResponse(p, products.now());
  const reviewers = { auth: { role: "admin" } } as const;
  const REVIEWERS =
    "The key, or an admin or owner who outranks the seller (owners review owners); never the seller themself (403 `listing_review_forbidden`). A parent's variants in the same state move with it.";

  app.put(
    "/products/:id/submit",
    {
      schema: {
        operationId: "submitProduct",
        tags,
        summary: "Submit a draft or rejected listing for review",
        description:
          `${WRITERS} A \`draft\` or \`rejected\` listing becomes \`pending\` when the platform requires review (\`requireListingReview\`), else \`published\` at once; ` +
          "its `rejectionReason` is cleared and `product.submitted` recorded. Any other state: 409 `listing_status_conflict` naming it.",
        params: productParams,
        body: noBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: signedIn,
    },
    async (request) => respond(await products.submit(requireAuth(request), request.params.id)),
  );

  app.put(
    "/products/:id/approve",
    {
      schema: {
        operationId: "approveProduct",
        tags,
        summary: "Approve a listing pending review: it is published",
        description: `${REVIEWERS} Only a \`pending\` listing (else 409 \`listing_status_conflict\` naming its state). Records \`product.approved\` and emails the seller.`,
        params: productParams,
        body: noBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: reviewers,
    },
    async (request) => respond(await products.approve(requireAuth(request), request.params.id)),
  );

  app.put(
    "/products/:id/reject",
    {
      schema: {
        operationId: "rejectProduct",
        tags,
        summary: "Reject a listing pending review, or take down a published one, with a reason",
        description: `${REVIEWERS} A \`pending\` or \`published\` listing (else 409 \`listing_status_conflict\` naming its state) becomes \`rejected\` with \`rejectionReason\`. Records \`product.rejected\` and emails the seller the reason.`,
        params: productParams,
        body: rejectProductBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: reviewers,
    },
    async (request) => respond(await products.reject(requireAuth(request), request.params.id, request.body.reason)),
  );
}
