import type { Prisma } from "../../../db/client.js";
import type { Product } from "../../../generated/prisma/client.js";
import type { ProductAdminStatus } from "../../../generated/prisma/enums.js";
import { enqueue } from "../../../jobs/queue.js";
import { ConflictError, PermissionError } from "../../../lib/errors.js";
import { mayActOn } from "../../../lib/roles.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { EventType } from "../../events/index.js";
import { findActiveUser, findMembership } from "../../users/index.js";
import { listingReviewedEmail } from "../products.emails.js";
import type { ProductView } from "../products.repo.js";
import { productEvent } from "../products.view.js";
import { changed, lockManageable, variantsOf, type ProductsContext } from "./shared.js";

/**
 * Listing moderation (docs/api/products.md#moderation): `draft` → `pending` (submitted) →
 * `published` or `rejected`. Each transition locks the listing, checks its state (409
 * `listing_status_conflict` naming it) and records its event; a parent's variants in the same state
 * move with it, each with its own event.
 */

const STATE_WORDS: Record<ProductAdminStatus, string> = {
  draft: "a draft",
  pending: "pending review",
  published: "published",
  rejected: "rejected",
};

function stateConflict(product: Pick<Product, "id" | "adminStatus">, action: string, allowed: string): ConflictError {
  return new ConflictError(
    "listing_status_conflict",
    `${product.id} is ${STATE_WORDS[product.adminStatus]} (adminStatus: ${product.adminStatus}): only ${allowed} can be ${action}.`,
    "id",
  );
}

/**
 * Moves the listing (and its variants in one of `from`) to `to`, and records `type` for each: the
 * product's own event last-but-variants, as `changed` does. Answers the listing after the change.
 */
async function move(
  ctx: ProductsContext,
  tx: Prisma.TransactionClient,
  auth: AuthContext,
  id: string,
  from: readonly ProductAdminStatus[],
  data: { adminStatus: ProductAdminStatus; rejectionReason: string | null },
  type: EventType,
): Promise<ProductView> {
  const followers = (await variantsOf(tx, auth, id)).filter((v) => from.includes(v.adminStatus)).map((v) => v.id);
  const now = ctx.clock.now();
  await tx.product.updateMany({ where: { platformId: auth.platformId, mode: auth.mode, id: { in: [id, ...followers] } }, data: { ...data, updated: now } });
  const moved = followers.length === 0 ? [] : (await variantsOf(tx, auth, id)).filter((v) => followers.includes(v.id));
  return changed(
    ctx,
    tx,
    auth,
    id,
    type,
    moved.map((v) => productEvent(auth, type, v, now)),
  );
}

/**
 * The seller (or an editor, or the key) submits a draft or a rejected listing: it is `pending` review
 * when the platform requires review, else published at once. Either way `product.submitted` is recorded.
 */
export async function submit(ctx: ProductsContext, auth: AuthContext, id: string): Promise<ProductView> {
  return ctx.db.$transaction(async (tx) => {
    const product = await lockManageable(tx, auth, id);
    const from = ["draft", "rejected"] as const;
    if (!(from as readonly string[]).includes(product.adminStatus)) throw stateConflict(product, "submitted", "a draft or a rejected listing");
    const to = auth.platform.requireListingReview ? "pending" : "published";
    return move(ctx, tx, auth, id, from, { adminStatus: to, rejectionReason: null }, "product.submitted");
  });
}

/**
 * A reviewer — the key, or an admin or owner who outranks the seller (owners review owners) — and
 * never the seller themself: the role rules of users (lib/roles.ts, `mayActOn`) applied to listings.
 */
async function assertMayReview(tx: Prisma.TransactionClient, auth: AuthContext, product: Product): Promise<void> {
  if (auth.via === "api_key") return;
  const refuse = () => new PermissionError("listing_review_forbidden", `${product.id} is reviewed by the key, or by an admin or owner who outranks its seller.`);
  if (!auth.user || auth.user.id === product.userId) throw refuse();
  const seller = await findMembership(tx, auth, product.userId);
  if (!mayActOn({ viaKey: false, userId: auth.user.id, role: auth.role }, { id: product.userId, role: seller?.role ?? "member" })) throw refuse();
}

/** Emails the seller the review's outcome, when they have an email (sent after commit by the job queue). */
async function tellSeller(tx: Prisma.TransactionClient, auth: AuthContext, product: ProductView): Promise<void> {
  const seller = await findActiveUser(tx, auth, product.userId);
  if (!seller?.email) return;
  await enqueue(tx, "send-email", listingReviewedEmail({ to: seller.email, platformName: auth.platform.name, url: auth.platform.url, product }), { maxAttempts: 5 });
}

/** Publishes a listing pending review. */
export async function approve(ctx: ProductsContext, auth: AuthContext, id: string): Promise<ProductView> {
  return ctx.db.$transaction(async (tx) => {
    const product = await lockManageable(tx, auth, id);
    await assertMayReview(tx, auth, product);
    if (product.adminStatus !== "pending") throw stateConflict(product, "approved", "a listing pending review");
    const approved = await move(ctx, tx, auth, id, ["pending"], { adminStatus: "published", rejectionReason: null }, "product.approved");
    await tellSeller(tx, auth, approved);
    return approved;
  });
}

/** Rejects a listing pending review, or takes down a published one, with the reason the seller is told. */
export async function reject(ctx: ProductsContext, auth: AuthContext, id: string, reason: string): Promise<ProductView> {
  return ctx.db.$transaction(async (tx) => {
    const product = await lockManageable(tx, auth, id);
    await assertMayReview(tx, auth, product);
    if (product.adminStatus !== "pending" && product.adminStatus !== "published") throw stateConflict(product, "rejected", "a listing pending review or published");
    const rejected = await move(ctx, tx, auth, id, ["pending"], { adminStatus: "rejected", rejectionReason: reason }, "product.rejected");
    await tellSeller(tx, auth, rejected);
    return rejected;
  });
}
