/** The categories module's public API: the platform's category tree, and what the products module asks of it. */
export { categoriesRoutes } from "./categories.routes.js";
export {
  categoryFacet,
  categoryForProduct,
  categorySubtreeSql,
  type CategoryFacet,
  createCategoriesService,
  type CategoriesService,
  type CategoryReferences,
} from "./categories.service.js";
