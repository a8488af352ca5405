/** The users module's public API: a platform's users, their links and roles. */
export { usersRoutes } from "./users.routes.js";
export { createUsersService, toPaymentMethodResponse, toUserResponse, type UsersService, type UserView } from "./users.service.js";
export { emailAddress, paymentMethodSchema, timezone, USERNAME_PATTERN, userParams, userSchema } from "./users.schemas.js";
export { eraseUserRecord, lockUserDueForErasure, usersDueForErasure, type UserToErase } from "./users.erase.js";
export {
  activeEmailsOf,
  clearConnectAccount,
  connectAccountOf,
  emailOf,
  findActiveUser,
  findActiveUsers,
  createCollaboratorUser,
  setCollaboratorUserActive,
  userWithEmail,
  findMembership,
  findSignedInUser,
  lockUserRow,
  payingUser,
  isPlatformOwner,
  platformAdmins,
  setConnectStatus,
  setStripeConnectId,
  setStripeCustomerId,
  settlementPartiesOf,
  stripeCustomerIdOf,
  stripeCustomerIdsOf,
  takenUsernames,
  userOfTenantExists,
  usersOfConnectAccount,
  usersOfStripeCustomer,
  type LockedUser,
  type UserAccountFields,
} from "./users.repo.js";
