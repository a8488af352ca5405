import type { Role } from "../generated/prisma/enums.js";

export type { Role };

/**
 * Roles on a platform, weakest first (DESIGN.md §4). A member manages what is theirs; an editor any
 * product and contract; an admin also users, waitlists and transactions; an owner also keys and
 * roles. A platform API key acts as owner.
 */
export const ROLES: readonly Role[] = ["member", "editor", "admin", "owner"];

export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}
