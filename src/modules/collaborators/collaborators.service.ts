import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Tenant } from "../../db/tenant.js";
import type { Collaborator } from "../../generated/prisma/client.js";
import type { Role } from "../../generated/prisma/enums.js";
import { enqueue } from "../../jobs/queue.js";
import { AppError, ConflictError, NotFoundError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, parseSort, type PageMeta } from "../../lib/pagination.js";
import { roleAtLeast } from "../../lib/roles.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { type EventType, recordEvent } from "../events/index.js";
import { createCollaboratorUser, setCollaboratorUserActive, userWithEmail } from "../users/index.js";
import { collaboratorInviteEmail } from "./collaborators.emails.js";
import {
  PERMISSION_FLAGS,
  readPermissions,
  type CreateCollaboratorInput,
  type ListCollaboratorsQuery,
  type Permissions,
  type UpdateCollaboratorInput,
} from "./collaborators.schemas.js";

export function toCollaboratorResponse(c: Collaborator) {
  return {
    id: c.id,
    platform_id: c.platformId,
    mode: c.mode,
    user_id: c.userId,
    email: c.email,
    first_name: c.firstName,
    last_name: c.lastName,
    currency: c.currency,
    payout_measurement: c.payoutMeasurement as "month_day" | "day" | "week" | "month",
    payout_frequency: c.payoutFrequency,
    payout_threshold: c.payoutThreshold,
    permissions: readPermissions(c.permissions),
    account: { name: c.accountName, paypal_email: c.paypalEmail, is_managed: c.isManaged },
    managed_by: (c.managedBy === "owner" ? "owner" : "admin") as "owner" | "admin",
    created: toApiDate(c.created),
    updated: toApiDate(c.updated),
  };
}

/** The flags a create or update sends, over what there was. */
function permissionsFrom(input: Partial<Record<string, unknown>>, current: Permissions): Permissions {
  const next = { ...current };
  for (const f of PERMISSION_FLAGS) if (typeof input[f] === "boolean") next[f] = input[f] as boolean;
  return next;
}

/** The rank a caller manages with: the key (and a restricted key) as an owner, an OAuth app's own token as an admin. */
const rankOf = (auth: AuthContext): Role => (auth.via === "api_key" ? "owner" : auth.role);

class ManagedAboveError extends AppError {
  constructor(id: string) {
    super(403, "permission_error", "collaborator_managed_above", `${id} was made by an owner or the key: only an owner or the key changes or deletes it.`);
  }
}

export function createCollaboratorsService(deps: {
  db: Db;
  clock: Clock;
  publicUrl: string;
  /** Evicts this node's cached sessions of a user at once (other nodes hear the NOTIFY). */
  invalidate: (message: string) => void;
}) {
  const { db, clock } = deps;

  async function find(client: Db | Prisma.TransactionClient, tenant: Tenant, id: string): Promise<Collaborator> {
    const found = await client.collaborator.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
    if (!found) throw new NotFoundError("collaborator", id, "id");
    return found;
  }

  async function record(tx: Prisma.TransactionClient, auth: AuthContext, type: EventType, c: Collaborator): Promise<void> {
    await recordEvent(tx, { platformId: auth.platformId, mode: auth.mode, requestId: auth.requestId, type, object: toCollaboratorResponse(c) });
  }

  /** The collaborator as `auth` may change it: nobody below the rank that made it (the key always may). */
  async function manageable(auth: AuthContext, id: string): Promise<Collaborator> {
    const current = await find(db, auth, id);
    if (auth.via !== "api_key" && !roleAtLeast(rankOf(auth), current.managedBy)) throw new ManagedAboveError(id);
    return current;
  }

  function signInUrl(platformId: string, email: string): string {
    const url = new URL("/console", deps.publicUrl);
    url.searchParams.set("platform", platformId);
    url.searchParams.set("email", email);
    return url.toString();
  }

  return {
    async create(auth: AuthContext, input: CreateCollaboratorInput): Promise<Collaborator> {
      const managed = input.is_managed === true;
      const id = newId("collaborator");
      const created = await db.$transaction(async (tx) => {
        let userId: string | null = null;
        if (!managed) {
          const email = input.email!;
          const existing = await userWithEmail(tx, auth, email);
          if (existing) {
            // A deleted collaborator's user (suspended, role collaborator, no record) is invited again; anyone else keeps their role.
            const reattachable = existing.role === "collaborator" && (await tx.collaborator.count({ where: { userId: existing.id } })) === 0;
            if (!reattachable) throw new ConflictError("email_taken", "Another user of this platform has this email: a collaborator is a user of its own.", "email");
            await setCollaboratorUserActive(tx, existing.id, true, clock.now());
            userId = existing.id;
          } else {
            const name = [input.first_name, input.last_name].filter(Boolean).join(" ") || null;
            userId = await createCollaboratorUser(tx, auth, { id: newId("user"), membershipId: newId("membership"), email, name });
          }
        }
        const row = await tx.collaborator.create({
          data: {
            id,
            platformId: auth.platformId,
            mode: auth.mode,
            userId,
            accountName: input.account_name,
            firstName: input.first_name ?? null,
            lastName: input.last_name ?? null,
            email: input.email ?? null,
            isManaged: managed,
            paypalEmail: input.paypal_email ?? null,
            currency: input.currency ?? auth.platform.currency,
            payoutMeasurement: input.payout_measurement ?? "month_day",
            payoutFrequency: input.payout_frequency ?? -1,
            payoutThreshold: input.payout_threshold ?? null,
            permissions: permissionsFrom(input, readPermissions({})),
            managedBy: rankOf(auth) === "owner" ? "owner" : "admin",
          },
        });
        await record(tx, auth, "collaborator.created", row);
        if (!managed) {
          const email = collaboratorInviteEmail({
            to: input.email!,
            firstName: input.first_name ?? null,
            platformName: auth.platform.name,
            signInUrl: signInUrl(auth.platformId, input.email!),
          });
          await enqueue(tx, "send-email", email, { maxAttempts: 5 });
        }
        return row;
      });
      return created;
    },

    async list(auth: AuthContext, query: ListCollaboratorsQuery): Promise<{ data: Collaborator[]; meta: PageMeta }> {
      const { skip, take } = pageWindow(query.page, query.per_page);
      const sort = parseSort<"created" | "account_name">(query.sort);
      const contains = (v: string) => ({ contains: v, mode: "insensitive" as const });
      const where: Prisma.CollaboratorWhereInput = {
        platformId: auth.platformId,
        mode: auth.mode,
        ...(query.search
          ? { OR: [{ accountName: contains(query.search) }, { firstName: contains(query.search) }, { lastName: contains(query.search) }, { email: contains(query.search) }] }
          : {}),
      };
      const orderBy: Prisma.CollaboratorOrderByWithRelationInput[] =
        sort.field === "account_name" ? [{ accountName: sort.direction }, { id: sort.direction }] : [{ created: sort.direction }, { id: sort.direction }];
      const [data, total] = await Promise.all([db.collaborator.findMany({ where, orderBy, skip, take }), db.collaborator.count({ where })]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    retrieve: (auth: AuthContext, id: string) => find(db, auth, id),

    /** The signed-in collaborator's own record (what it may see). */
    async ofUser(auth: AuthContext, userId: string): Promise<Collaborator> {
      const found = await db.collaborator.findFirst({ where: { userId, platformId: auth.platformId, mode: auth.mode } });
      if (!found) throw new NotFoundError("collaborator");
      return found;
    },

    async update(auth: AuthContext, id: string, input: UpdateCollaboratorInput): Promise<Collaborator> {
      const current = await manageable(auth, id);
      if (!current.isManaged) {
        const field = (["account_name", "paypal_email"] as const).find((f) => input[f] !== undefined);
        if (field) throw new UnprocessableError("collaborator_not_managed", `\`${field}\` changes only on a managed collaborator; this one keeps its own.`, field);
      }
      const measurement = input.payout_measurement ?? current.payoutMeasurement;
      const frequency = input.payout_frequency ?? current.payoutFrequency;
      if (measurement === "month_day" ? !(frequency === -1 || (frequency >= 1 && frequency <= 28)) : frequency < 1) {
        throw new AppError(400, "invalid_request_error", "parameter_invalid", "payout_frequency does not fit payout_measurement (month_day: 1 to 28 or -1; otherwise positive).", {
          param: "payout_frequency",
        });
      }
      const updated = await db.$transaction(async (tx) => {
        const row = await tx.collaborator.update({
          where: { id: current.id },
          data: {
            accountName: input.account_name,
            paypalEmail: input.paypal_email,
            currency: input.currency,
            payoutMeasurement: input.payout_measurement,
            payoutFrequency: input.payout_frequency,
            payoutThreshold: input.payout_threshold,
            permissions: permissionsFrom(input, readPermissions(current.permissions)),
          },
        });
        await record(tx, auth, "collaborator.updated", row);
        return row;
      });
      return updated;
    },

    /** Deletes the collaborator; its user is suspended at once (no sign-in, its sessions refused on every node) and can be invited again. */
    async remove(auth: AuthContext, id: string): Promise<Collaborator> {
      const current = await manageable(auth, id);
      await db.$transaction(async (tx) => {
        await tx.collaborator.delete({ where: { id: current.id } });
        if (current.userId) await setCollaboratorUserActive(tx, current.userId, false, clock.now());
        await record(tx, auth, "collaborator.deleted", current);
      });
      if (current.userId) deps.invalidate(`user:${current.userId}`);
      return current;
    },

    /** A collaborator user's permissions; all false when it has no record (fail closed). */
    async permissionsOf(userId: string): Promise<{ id: string | null; permissions: Permissions }> {
      const found = await db.collaborator.findFirst({ where: { userId }, select: { id: true, permissions: true } });
      return { id: found?.id ?? null, permissions: readPermissions(found?.permissions) };
    },
  };
}

export type CollaboratorsService = ReturnType<typeof createCollaboratorsService>;
