import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Platform } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import type { Tx } from "../../db/tenant.js";
import { notifyInvalidation } from "../../db/invalidation.js";

/** A platform's name, for pages outside the API (any mode); null when there is no such platform. */
export async function platformName(db: Db, id: string): Promise<string | null> {
  const platform = await db.platform.findUnique({ where: { id }, select: { name: true } });
  return platform?.name ?? null;
}

/** The platform's fee in basis points (a contract's figures). */
export async function platformFeeBps(client: Db | Tx, id: string): Promise<number> {
  return (await client.platform.findUniqueOrThrow({ where: { id }, select: { platformFeeBps: true } })).platformFeeBps;
}

/** Whether the platform's new and edited listings wait for review (read where no request's platform is at hand). */
export async function requiresListingReview(client: Db | Tx, id: string): Promise<boolean> {
  return (await client.platform.findUniqueOrThrow({ where: { id }, select: { requireListingReview: true } })).requireListingReview;
}

/** What a dispute does to the sellers' money (the platform's `disputeFunds`). */
export async function disputeFundsOf(client: Db | Tx, id: string): Promise<"hold" | "reverse"> {
  return (await client.platform.findUniqueOrThrow({ where: { id }, select: { disputeFunds: true } })).disputeFunds;
}

/** How the platform's emails look: its name, logo, colours and link. */
export async function platformBranding(
  client: Db | Tx,
  id: string,
): Promise<{ name: string; url: string | null; logo: string | null; brandColor: string | null; accentColor: string | null }> {
  return client.platform.findUniqueOrThrow({ where: { id }, select: { name: true, url: true, logo: true, brandColor: true, accentColor: true } });
}

/** How emails name the platform and link to it. */
export async function platformNameAndUrl(client: Db | Tx, id: string): Promise<{ name: string; url: string | null }> {
  return client.platform.findUniqueOrThrow({ where: { id }, select: { name: true, url: true } });
}

/*
 * The platform a credential reaches, joined into the credential's one lookup (every request runs
 * one: a separate query would be a second round trip on each). The keys and users modules embed
 * these in their lookups; the columns and the table stay named here only.
 */

/** `JOIN platforms p ON p.id = <platformId>` and the platform's columns, to embed in a lookup's SQL (alias `p`). */
export const platformJoin = (platformId: Prisma.Sql) => Prisma.sql`JOIN platforms p ON p.id = ${platformId}`;
export const PLATFORM_COLUMNS = Prisma.raw(`p.id, p.mode::text AS mode, p.name, p.description, p.logo, p.url, p.platform_fee_bps, p.active_subscription,
  p.subscription_plan, p.subscription_required, p.waitlist_enabled, p.require_listing_review, p.order_settings, p.dispute_funds::text AS dispute_funds,
  p.brand_color, p.accent_color, p.currency, p.created, p.updated`);

export interface PlatformRow {
  id: string;
  mode: Mode;
  name: string;
  description: string | null;
  logo: string | null;
  url: string | null;
  platform_fee_bps: number;
  active_subscription: string | null;
  subscription_plan: string | null;
  subscription_required: boolean;
  waitlist_enabled: boolean;
  require_listing_review: boolean;
  order_settings: unknown;
  dispute_funds: "hold" | "reverse";
  brand_color: string | null;
  accent_color: string | null;
  currency: string;
  created: Date;
  updated: Date;
}

export function toPlatform(row: PlatformRow): Platform {
  return {
    id: row.id,
    mode: row.mode,
    name: row.name,
    description: row.description,
    logo: row.logo,
    url: row.url,
    platformFeeBps: row.platform_fee_bps,
    activeSubscription: row.active_subscription,
    subscriptionPlan: row.subscription_plan,
    subscriptionRequired: row.subscription_required,
    waitlistEnabled: row.waitlist_enabled,
    requireListingReview: row.require_listing_review,
    orderSettings: row.order_settings as Platform["orderSettings"],
    disputeFunds: row.dispute_funds,
    brandColor: row.brand_color,
    accentColor: row.accent_color,
    currency: row.currency,
    created: row.created,
    updated: row.updated,
  };
}

/**
 * The host's billing sets which of its subscriptions pays for a platform (null: none live), and
 * every node's cached copy of the platform is evicted at commit. Answers whether it changed.
 */
export async function setActiveSubscription(tx: Tx, platformId: string, subscriptionId: string | null): Promise<boolean> {
  const changed = await tx.$executeRaw`
    UPDATE platforms SET active_subscription = ${subscriptionId}::text, updated = now() WHERE id = ${platformId} AND active_subscription IS DISTINCT FROM ${subscriptionId}::text`;
  if (changed > 0) await notifyInvalidation(tx, `platform:${platformId}`);
  return changed > 0;
}
