/**
 * The metafields module's public API: the `metafields` table, the subquery that renders a
 * resource's metafields, its list filters and facets, and the routes each resource's module
 * registers with its own authorization (docs/api/metafields.md).
 */
export { metafieldRoutes, type MetafieldHost } from "./metafields.routes.js";
export {
  deleteMetafield,
  eraseMetafields,
  listMetafields,
  metafieldsOf,
  ownersMatching,
  metafieldFilterSql,
  metafieldValueCountsSql,
  metafieldsJsonSql,
  writeMetafields,
  type MetafieldOwner,
} from "./metafields.repo.js";
export {
  METAFIELD_FILTER_DOC,
  MAX_METAFIELDS,
  metafieldListSchema,
  metafieldSchema,
  metafieldsInput,
  parseMetafieldFilters,
  withMetafieldFilters,
  type MetafieldFilter,
  type MetafieldInput,
  type MetafieldResponse,
} from "./metafields.schemas.js";
