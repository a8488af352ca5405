import { NotFoundError, PermissionError } from "../../../lib/errors.js";
import type { Page } from "../../../lib/pagination.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { ContractResponse, ListContractsQuery } from "../contracts.schemas.js";
import { assertReadable, isEditor } from "../contracts.state.js";
import { contractViewText, listContracts } from "../contracts.repo.js";
import { userOfTenantExists } from "../../users/index.js";
import { tenantOf, type ContractsContext } from "./shared.js";

/** Reading contracts: one (as the JSON text PostgreSQL built), the platform's, a user's, the signed-in user's. */

/** The contract object as JSON text (see contractViewText): the route sends it as it is. */
export async function retrieve({ db }: ContractsContext, auth: AuthContext, id: string): Promise<string> {
  const found = await contractViewText(db, tenantOf(auth), id);
  if (!found) throw new NotFoundError("contract", id, "id");
  assertReadable(auth, { id, userId: found.userId, buyers: found.buyers.map((userId) => ({ userId })), sellers: found.sellers.map((userId) => ({ userId })) });
  return found.json;
}

/** Every contract of the platform (editors and the key). */
export const list = ({ db }: ContractsContext, auth: AuthContext, query: ListContractsQuery): Promise<Page<ContractResponse>> => listContracts(db, tenantOf(auth), query);

/** The contracts a user buys (or sells) in: editors and the key for anyone, a member for themself. */
export async function listForUser(
  { db }: ContractsContext,
  auth: AuthContext,
  userId: string,
  side: "buyer" | "seller",
  query: ListContractsQuery,
): Promise<Page<ContractResponse>> {
  const tenant = tenantOf(auth);
  if (!(await userOfTenantExists(db, tenant, userId))) throw new NotFoundError("user", userId, "user_id");
  if (!isEditor(auth) && auth.user?.id !== userId) throw new PermissionError("insufficient_role", "A member lists only their own contracts.");
  return listContracts(db, { ...tenant, ...(side === "buyer" ? { buyerUserId: userId } : { sellerUserId: userId }) }, query);
}

/** The contracts the signed-in user created, buys or sells in. */
export const listForSignedIn = ({ db }: ContractsContext, auth: AuthContext & { user: { id: string } }, query: ListContractsQuery) =>
  listContracts(db, { ...tenantOf(auth), partyUserId: auth.user.id }, query);
