import type { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import { pageMeta, pageWindow, parseSort, type Page } from "../../../lib/pagination.js";
import type { ListUsersQuery } from "../users.schemas.js";
import { userInclude, type UserView } from "../users.view.js";
import type { UsersContext } from "./shared.js";
import { metafieldsOf, ownersMatching, parseMetafieldFilters } from "../../metafields/index.js";

export async function list(ctx: UsersContext, tenant: Tenant, query: ListUsersQuery): Promise<Page<UserView>> {
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
  const filters = parseMetafieldFilters(query as Record<string, unknown>);
  if (filters.length > 0) where.id = { in: await ownersMatching(ctx.db, tenant, "user", filters) };
  const { field, direction } = parseSort<"created" | "name" | "username" | "email" | "authenticated">(query.sort);
  const orderBy: Prisma.UserOrderByWithRelationInput[] = [field === "created" ? { created: direction } : { [field]: { sort: direction, nulls: "last" } }, { id: direction }];
  const [total, rows] = await Promise.all([
    ctx.db.user.count({ where }),
    ctx.db.user.findMany({ where, include: userInclude, orderBy, ...pageWindow(query.page, query.per_page) }),
  ]);
  const methods =
    rows.length === 0
      ? []
      : await ctx.paymentMethodsOf(
          ctx.db,
          rows.map((u) => u.id),
        );
  const metafields = await metafieldsOf(
    ctx.db,
    "user",
    rows.map((u) => u.id),
  );
  const data = rows.map((u) => ({ ...u, paymentMethods: methods.filter((m) => m.userId === u.id), metafields: metafields.get(u.id) ?? [] }));
  return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
}
