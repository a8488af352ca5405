/** The bank-accounts module's public API: a user's Connect account (payouts), and its onboarding pages. */
export { bankAccountsRoutes } from "./bank-accounts.routes.js";
export { connectPagesRoutes } from "./bank-accounts.pages.js";
export { createBankAccountsService, type BankAccountsService } from "./bank-accounts.service.js";
export { eraseUserBankAccount } from "./bank-accounts.repo.js";
