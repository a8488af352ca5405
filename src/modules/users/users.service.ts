import { createHmac, randomInt } from "node:crypto";
import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { uniqueViolation } from "../../db/errors.js";
import { notifyInvalidation } from "../../db/invalidation.js";
import { enqueue } from "../../jobs/queue.js";
import { safeEqual } from "../../lib/crypto.js";
import type { PaymentMethod, Platform } from "../../generated/prisma/client.js";
import type { Role } from "../../generated/prisma/enums.js";
import { AppError, ConflictError, NotFoundError, PermissionError, UnprocessableError, UserSuspendedError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, parseSort, type Page } from "../../lib/pagination.js";
import { ROLES, mayActOn, roleAtLeast } from "../../lib/roles.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { emailChangeCodeEmail, emailChangeNotice } from "./users.emails.js";
import { type EventType, recordEvent } from "../events/index.js";
import type { ImageSource, MediaService } from "../media/index.js";
import type { CreateUserInput, ListUsersQuery, UpdateSelfInput, UpdateUserInput } from "./users.schemas.js";
import type { Tenant } from "../../db/tenant.js";

export type { Tenant };

export const DELETION_GRACE_DAYS = 30;
export const MAX_LINKS = 20;
/** A new email's confirmation code: like a sign-in code, 10 minutes, once, at most 5 guesses. */
export const EMAIL_CODE_TTL_SECONDS = 600;
export const EMAIL_CODE_MAX_ATTEMPTS = 5;

export const userInclude = {
  links: { orderBy: [{ created: "asc" }, { id: "asc" }] },
  paymentMethods: { orderBy: [{ created: "asc" }, { id: "asc" }] },
  membership: { select: { role: true } },
} satisfies Prisma.UserInclude;

export type UserView = Prisma.UserGetPayload<{ include: typeof userInclude }>;

/** A payment method as the user's `paymentMethods` list it — and as its events hold it. */
export function toPaymentMethodResponse(pm: PaymentMethod) {
  return {
    id: pm.id,
    user_id: pm.userId,
    stripePaymentMethodId: pm.stripePaymentMethodId,
    type: pm.type,
    isDefault: pm.isDefault,
    brand: pm.brand,
    last4: pm.last4,
    accountHolderType: pm.accountHolderType,
    expMonth: pm.expMonth,
    expYear: pm.expYear,
    funding: pm.funding,
  };
}

export function toUserResponse(u: UserView) {
  return {
    id: u.id,
    platform_id: u.platformId,
    mode: u.mode,
    email: u.email,
    username: u.username,
    bio: u.bio,
    name: u.name,
    firstName: u.firstName,
    lastName: u.lastName,
    image: u.image,
    stripeConnectId: u.stripeConnectId,
    chargesEnabled: u.chargesEnabled,
    detailsSubmitted: u.detailsSubmitted,
    timezone: u.timezone,
    stripeCustomerId: u.stripeCustomerId,
    authenticated: toApiDate(u.authenticated),
    links: u.links.map((l) => ({ id: l.id, label: l.label, url: l.url })),
    paymentMethods: u.paymentMethods.map(toPaymentMethodResponse),
    pendingEmail: u.pendingEmail,
    scheduledDeletion: toApiDate(u.scheduledDeletion),
    suspended: toApiDate(u.suspended),
    role: u.membership?.role ?? "member",
    created: toApiDate(u.created),
    updated: toApiDate(u.updated),
  };
}

/** Unique-constraint failures on users, said in the client's terms. */
function userConflict(err: unknown): never {
  const fields = uniqueViolation(err);
  if (fields?.includes("email")) throw new ConflictError("email_taken", "Another user of this platform has this email.", "email");
  if (fields?.includes("username")) throw new ConflictError("username_taken", "Another user of this platform has this username.", "username");
  throw err;
}

export class WaitlistNotGrantedError extends PermissionError {
  constructor() {
    super("waitlist_not_granted", "This marketplace is invite-only for now: join the waitlist, and sign in once you have been granted access.");
  }
}

export class UserOutranksYouError extends PermissionError {
  constructor() {
    super("user_role_protected", "Only the platform key, the user themself, or a user of a higher role (an owner, for owners) can change or delete this user.");
  }
}

class EmailCodeLockedError extends AppError {
  constructor() {
    super(429, "rate_limit_error", "email_code_attempts_exceeded", "Too many wrong codes. Ask for the email change again.", { param: "token" });
  }
}

export function createUsersService(deps: {
  db: Db;
  /** Whether an address was granted a place on the platform's waitlist (the waitlists module answers). */
  isWaitlistGranted: (tx: Prisma.TransactionClient, platformId: string, email: string) => Promise<boolean>;
  media: Pick<MediaService, "store" | "retrieve">;
  clock: Clock;
  /** Keys the HMAC of email confirmation codes. */
  secret: string;
  /** Evicts this node's cached sessions of a user (other nodes hear the NOTIFY). */
  invalidate?: (message: string) => void;
}) {
  const { db, media, clock } = deps;
  const invalidateLocally = deps.invalidate ?? (() => {});
  const emailCodeHash = (userId: string, email: string, code: string) => createHmac("sha256", deps.secret).update(`email\n${userId}\n${email}\n${code}`).digest("hex");

  async function view(tenant: Tenant, id: string, client: Db | Prisma.TransactionClient = db): Promise<UserView> {
    const user = await client.user.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode, deleted: null }, include: userInclude });
    if (!user) throw new NotFoundError("user", id, "id");
    return user;
  }

  /** The user as it is now in `tx`, recorded as the event of the change just made. */
  async function changed(tx: Prisma.TransactionClient, tenant: Tenant, id: string, type: EventType): Promise<UserView> {
    const user = await view(tenant, id, tx);
    await recordEvent(tx, { platformId: tenant.platformId, mode: tenant.mode, requestId: tenant.requestId, type, object: toUserResponse(user) });
    return user;
  }

  /** The target as it is, if `auth` may change or erase it (see `mayActOn`). */
  async function manageable(auth: AuthContext, id: string): Promise<UserView> {
    const target = await view(auth, id);
    const actor = { viaKey: auth.via === "api_key", userId: auth.user?.id ?? null, role: auth.role };
    if (!mayActOn(actor, { id: target.id, role: target.membership?.role ?? "member" })) throw new UserOutranksYouError();
    return target;
  }

  /** The target, if `auth` is the key or of a strictly higher role (owners do not suspend owners; nobody themself). */
  async function suspendable(auth: AuthContext, id: string): Promise<UserView> {
    const target = await view(auth, id);
    if (auth.via === "api_key") return target;
    const role = target.membership?.role ?? "member";
    if (auth.user?.id === target.id || ROLES.indexOf(auth.role) <= ROLES.indexOf(role)) {
      throw new PermissionError("user_role_protected", "Only the platform key or a user of a strictly higher role can suspend or unsuspend this user (nobody themself).");
    }
    return target;
  }

  function assertMayGrant(auth: AuthContext, role: Role | undefined): void {
    if (role && role !== "member" && auth.role !== "owner") {
      throw new PermissionError("insufficient_role", "Only an owner can give a role other than member.");
    }
  }

  return {
    view,

    /** Throws 403 `user_role_protected` unless `auth` may change the user (routes of other modules acting on a user). */
    async assertMayManage(auth: AuthContext, id: string): Promise<void> {
      await manageable(auth, id);
    },

    /**
     * The user an email signs in as (created on first sign-in, as a member), with a pending deletion
     * cancelled and `authenticated` set. A new user must have been granted access while the
     * platform's waitlist is on.
     */
    async signIn(tx: Prisma.TransactionClient, platform: Platform, email: string, requestId?: string): Promise<UserView> {
      const tenant = { platformId: platform.id, mode: platform.mode, requestId };
      const now = clock.now();
      const existing = await tx.user.findFirst({
        where: { platformId: platform.id, mode: platform.mode, email, deleted: null },
        select: { id: true, scheduledDeletion: true, suspended: true },
      });
      if (existing?.suspended) throw new UserSuspendedError();
      if (existing) {
        await tx.user.update({ where: { id: existing.id }, data: { authenticated: now, scheduledDeletion: null } });
        // A sign-in alone is activity, not a change worth an event; cancelling a deletion is.
        return existing.scheduledDeletion ? changed(tx, tenant, existing.id, "user.updated") : view(tenant, existing.id, tx);
      }
      if (platform.waitlistEnabled) {
        if (!(await deps.isWaitlistGranted(tx, platform.id, email))) throw new WaitlistNotGrantedError();
      }
      const id = newId("user");
      await tx.user.create({
        data: {
          id,
          platformId: platform.id,
          mode: platform.mode,
          email,
          authenticated: now,
          membership: { create: { id: newId("membership"), platformId: platform.id, mode: platform.mode, role: "member" } },
        },
      });
      return changed(tx, tenant, id, "user.created");
    },

    async create(auth: AuthContext, input: CreateUserInput): Promise<UserView> {
      assertMayGrant(auth, input.role);
      const { role, ...fields } = input;
      const id = newId("user");
      return db
        .$transaction(async (tx) => {
          await tx.user.create({
            data: {
              id,
              platformId: auth.platformId,
              mode: auth.mode,
              ...fields,
              membership: { create: { id: newId("membership"), platformId: auth.platformId, mode: auth.mode, role: role ?? "member" } },
            },
          });
          return changed(tx, auth, id, "user.created");
        })
        .catch(userConflict);
    },

    retrieve: (tenant: Tenant, id: string) => view(tenant, id),

    async list(tenant: Tenant, query: ListUsersQuery): Promise<Page<UserView>> {
      const where: Prisma.UserWhereInput = {
        platformId: tenant.platformId,
        mode: tenant.mode,
        deleted: null,
        ...(query.search
          ? {
              OR: [
                { email: { contains: query.search, mode: "insensitive" } },
                { username: { contains: query.search, mode: "insensitive" } },
                { name: { contains: query.search, mode: "insensitive" } },
              ],
            }
          : {}),
        ...(query["filter[role]"] ? { membership: { role: { in: query["filter[role]"] } } } : {}),
        ...(query["filter[email]"] ? { email: { in: query["filter[email]"] } } : {}),
        ...(query["filter[username]"] ? { username: { in: query["filter[username]"] } } : {}),
        ...(query["filter[scheduledDeletion]"] === undefined ? {} : { scheduledDeletion: query["filter[scheduledDeletion]"] === "true" ? { not: null } : null }),
        ...(query["filter[suspended]"] === undefined ? {} : { suspended: query["filter[suspended]"] === "true" ? { not: null } : null }),
      };
      const { field, direction } = parseSort<"created" | "name" | "username" | "email" | "authenticated">(query.sort);
      const orderBy: Prisma.UserOrderByWithRelationInput[] = [field === "created" ? { created: direction } : { [field]: { sort: direction, nulls: "last" } }, { id: direction }];
      const [total, data] = await Promise.all([db.user.count({ where }), db.user.findMany({ where, include: userInclude, orderBy, ...pageWindow(query.page, query.per_page) })]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    /**
     * A change of the user's profile. A new `email` takes effect at once only from the platform key;
     * from anyone else it waits, as `pendingEmail`, for the code sent to it (`confirmEmail`). The old
     * address is told either way.
     */
    async update(auth: AuthContext, id: string, input: UpdateUserInput | UpdateSelfInput): Promise<UserView> {
      const current = await manageable(auth, id);
      const { role, email, ...fields } = input as UpdateUserInput;
      if (role !== undefined && role !== (current.membership?.role ?? "member")) {
        if (auth.role !== "owner") throw new PermissionError("insufficient_role", "Only an owner can change roles.");
      }
      const emailChanges = email !== undefined && email !== current.email;
      const direct = auth.via === "api_key";
      // Those who may list users learn at once that the address is taken; a member learns it only
      // on confirming, with the code sent to that address, so members cannot probe for accounts.
      if (emailChanges && !direct && roleAtLeast(auth.role, "admin")) {
        const taken = await db.user.count({ where: { platformId: auth.platformId, email, id: { not: current.id } } });
        if (taken > 0) throw new ConflictError("email_taken", "Another user of this platform has this email.", "email");
      }
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      const now = clock.now();
      const platformName = auth.platform.name;
      const updated = await db
        .$transaction(async (tx) => {
          await tx.user.update({
            where: { id: current.id },
            data: {
              ...fields,
              ...(emailChanges && direct ? { email, pendingEmail: null, pendingEmailCodeHash: null, pendingEmailExpires: null, pendingEmailAttempts: 0 } : {}),
              ...(emailChanges && !direct
                ? {
                    pendingEmail: email,
                    pendingEmailCodeHash: emailCodeHash(current.id, email, code),
                    pendingEmailExpires: new Date(now.getTime() + EMAIL_CODE_TTL_SECONDS * 1000),
                    pendingEmailAttempts: 0,
                  }
                : {}),
            },
          });
          if (emailChanges) {
            // The code travels in the job until it is sent; it is useless after 10 minutes.
            if (!direct) await enqueue(tx, "send-email", emailChangeCodeEmail(email, code, platformName, EMAIL_CODE_TTL_SECONDS / 60), { maxAttempts: 5 });
            if (current.email) await enqueue(tx, "send-email", emailChangeNotice(current.email, email, platformName, !direct), { maxAttempts: 5 });
          }
          if (role !== undefined) {
            await tx.membership.upsert({
              where: { userId: current.id },
              update: { role },
              create: { id: newId("membership"), platformId: auth.platformId, mode: auth.mode, userId: current.id, role },
            });
            // Sessions cached with the old role are dropped on every node.
            await notifyInvalidation(tx, `user:${current.id}`);
          }
          return changed(tx, auth, current.id, "user.updated");
        })
        .catch(userConflict);
      if (role !== undefined) invalidateLocally(`user:${current.id}`);
      return updated;
    },

    /** Applies the pending email when `code` is the one sent to it; the old address is told. */
    async confirmEmail(auth: AuthContext, id: string, code: string): Promise<UserView> {
      const current = await manageable(auth, id);
      const pending = current.pendingEmail;
      const invalid = () => new UnprocessableError("email_code_invalid", "This code is not valid (wrong, expired or already used), or no email change is pending.", "token");
      if (!pending || !current.pendingEmailCodeHash || !current.pendingEmailExpires || current.pendingEmailExpires <= clock.now()) throw invalid();
      if (current.pendingEmailAttempts >= EMAIL_CODE_MAX_ATTEMPTS) throw new EmailCodeLockedError();
      const hash = current.pendingEmailCodeHash;
      if (!safeEqual(hash, emailCodeHash(current.id, pending, code))) {
        // Count the guess; the condition keeps parallel guesses from exceeding the limit.
        const counted = await db.user.updateMany({
          where: { id: current.id, pendingEmailCodeHash: hash, pendingEmailAttempts: { lt: EMAIL_CODE_MAX_ATTEMPTS } },
          data: { pendingEmailAttempts: { increment: 1 } },
        });
        if (counted.count === 0) throw new EmailCodeLockedError();
        throw invalid();
      }
      return db
        .$transaction(async (tx) => {
          // Single use: of two parallel confirmations, one applies it.
          const applied = await tx.user.updateMany({
            where: { id: current.id, pendingEmailCodeHash: hash, deleted: null },
            data: { email: pending, pendingEmail: null, pendingEmailCodeHash: null, pendingEmailExpires: null, pendingEmailAttempts: 0 },
          });
          if (applied.count === 0) throw invalid();
          if (current.email) await enqueue(tx, "send-email", emailChangeNotice(current.email, pending, auth.platform.name, false), { maxAttempts: 5 });
          return changed(tx, auth, current.id, "user.updated");
        })
        .catch(userConflict);
    },

    /** Deletion 30 days from now; signing in before then cancels it. Asking again keeps the first date. */
    async scheduleDeletion(auth: AuthContext, id: string): Promise<UserView> {
      const tenant = auth;
      const current = await manageable(auth, id);
      if (current.scheduledDeletion) return current;
      const when = new Date(clock.now().getTime() + DELETION_GRACE_DAYS * 86_400_000);
      return db.$transaction(async (tx) => {
        const { count } = await tx.user.updateMany({ where: { id: current.id, scheduledDeletion: null, deleted: null }, data: { scheduledDeletion: when } });
        return count === 1 ? changed(tx, tenant, current.id, "user.deletion_scheduled") : view(tenant, current.id, tx);
      });
    },

    /**
     * `PUT /users/:id/suspend` (key or admin): no sign-in, no session, neither charged nor paid
     * until unsuspended. Stricter than other changes: only the key or a strictly higher role —
     * owners do not suspend owners, nobody suspends themself — and never the last owner not
     * suspended. Suspending a suspended user answers it as it is.
     */
    async suspend(auth: AuthContext, id: string): Promise<UserView> {
      const target = await suspendable(auth, id);
      if (target.suspended) return target;
      const updated = await db.$transaction(async (tx) => {
        // Owners are counted under a lock on the platform's owner memberships, so two parallel suspensions cannot leave none.
        if ((target.membership?.role ?? "member") === "owner") {
          const owners = await tx.$queryRaw<{ user_id: string }[]>`
            SELECT user_id FROM memberships WHERE platform_id = ${auth.platformId} AND mode = ${auth.mode}::"Mode" AND role = 'owner' FOR UPDATE`;
          const others = owners.map((o) => o.user_id).filter((userId) => userId !== target.id);
          const active = others.length === 0 ? 0 : await tx.user.count({ where: { id: { in: others }, deleted: null, suspended: null } });
          if (active === 0) throw new ConflictError("last_owner", `${target.id} is the platform's last owner who is not suspended: make another owner first.`, "id");
        }
        const { count } = await tx.user.updateMany({ where: { id: target.id, suspended: null, deleted: null }, data: { suspended: clock.now() } });
        if (count === 0) return view(auth, target.id, tx);
        // Sessions cached as live are dropped on every node: the next request of theirs is refused.
        await notifyInvalidation(tx, `user:${target.id}`);
        return changed(tx, auth, target.id, "user.suspended");
      });
      invalidateLocally(`user:${target.id}`);
      return updated;
    },

    /** `PUT /users/:id/unsuspend`: the same callers; they sign in again (their sessions were never revoked, only refused). */
    async unsuspend(auth: AuthContext, id: string): Promise<UserView> {
      const target = await suspendable(auth, id);
      if (!target.suspended) return target;
      return db.$transaction(async (tx) => {
        const { count } = await tx.user.updateMany({ where: { id: target.id, suspended: { not: null }, deleted: null }, data: { suspended: null } });
        return count === 0 ? view(auth, target.id, tx) : changed(tx, auth, target.id, "user.unsuspended");
      });
    },

    async setImage(auth: AuthContext, id: string, source: ImageSource): Promise<UserView> {
      await manageable(auth, id);
      const tenant = { platformId: auth.platformId, mode: auth.mode };
      const stored =
        "file" in source
          ? await media.store({ ...tenant, userId: id, filename: source.file.filename, data: source.file.data })
          : await media.retrieve({ ...tenant, id: source.mediaId });
      return db.$transaction(async (tx) => {
        await tx.user.update({ where: { id }, data: { image: stored.url } });
        return changed(tx, auth, id, "user.updated");
      });
    },

    async addLink(auth: AuthContext, userId: string, link: { label: string; url: string }): Promise<UserView> {
      const tenant = auth;
      await manageable(auth, userId);
      return db.$transaction(async (tx) => {
        // Lock the user row so parallel additions cannot pass the cap together.
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM users WHERE id = ${userId} AND platform_id = ${tenant.platformId} AND deleted IS NULL FOR UPDATE`;
        if (locked.length === 0) throw new NotFoundError("user", userId, "id");
        const count = await tx.userLink.count({ where: { userId } });
        if (count >= MAX_LINKS) throw new UnprocessableError("too_many_links", `A user can have at most ${MAX_LINKS} links.`, "url");
        await tx.userLink.create({ data: { id: newId("link"), platformId: tenant.platformId, mode: tenant.mode, userId, label: link.label, url: link.url } });
        return changed(tx, tenant, userId, "user.updated");
      });
    },

    async removeLink(auth: AuthContext, userId: string, linkId: string): Promise<UserView> {
      const tenant = auth;
      await manageable(auth, userId);
      return db.$transaction(async (tx) => {
        const { count } = await tx.userLink.deleteMany({ where: { id: linkId, userId, platformId: tenant.platformId } });
        if (count === 0) throw new NotFoundError("link", linkId, "link_id");
        return changed(tx, tenant, userId, "user.updated");
      });
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
