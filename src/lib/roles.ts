import type { Role } from "../generated/prisma/enums.js";

export type { Role };

/**
 * Roles on a platform, weakest first (docs/authorization.md). A collaborator only reads the catalogue
 * and orders, narrowed by its view permissions (docs/api/collaborators.md); a member manages what is
 * theirs; an editor any product and contract; an admin also users, waitlists, transactions and
 * collaborators; an owner also keys and roles. A platform API key acts as owner.
 */
export const ROLES: readonly Role[] = ["collaborator", "member", "editor", "admin", "owner"];

export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/**
 * Whether a caller may change or erase a user: the platform key may change anyone, and a user
 * themself; otherwise only a user of a strictly lower role — except that owners may change owners.
 * So an admin cannot take over an owner or another admin (say, by changing their email).
 */
export function mayActOn(actor: { viaKey: boolean; userId: string | null; role: Role }, target: { id: string; role: Role }): boolean {
  if (actor.viaKey || actor.userId === target.id) return true;
  if (actor.role === "owner" && target.role === "owner") return true;
  return ROLES.indexOf(actor.role) > ROLES.indexOf(target.role);
}
