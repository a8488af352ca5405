/** The platforms module's public API: a marketplace's settings and domains. */
export { platformsRoutes } from "./platforms.routes.js";
export { assertOwnPlatform, createPlatformsService, type KeyIssuer, type PlatformsService } from "./platforms.service.js";
export {
  PLATFORM_COLUMNS,
  platformFeeBps,
  platformJoin,
  platformName,
  disputeFundsOf,
  platformBranding,
  platformNameAndUrl,
  requiresListingReview,
  setActiveSubscription,
  toPlatform,
  type PlatformRow,
} from "./platforms.repo.js";
export { orderSettings, orderSettingsPatch, orderSettingsSchema, toOrderSettings, type OrderSettings } from "./platforms.orders.js";
