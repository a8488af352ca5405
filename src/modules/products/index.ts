/** The products module's public API: products, their prices and images. */
export { productsRoutes } from "./products.routes.js";
export {
  assertMinimumQuantity,
  assertPublished,
  createProductsService,
  isAvailableInStock,
  productEvent,
  type MembersOnlyAccess,
  toProductResponse,
  type ProductReferences,
  type ProductsService,
  type ProductView,
} from "./products.service.js";
export {
  productCurrencyOf,
  productJsonOf,
  productSellerOf,
  shareLockProduct,
  type ProductForCart,
  existingProductIds,
  giveBackStock,
  giveBackStockSql,
  lockProductRow,
  hasLiveVariants,
  lockProductForSale,
  productCycle,
  productName,
  membersOnlyProducts,
  productInclude,
  productInOtherCurrency,
  takeStock,
} from "./products.repo.js";
export { createProductImagesService, GoneError, type ProductImagesService } from "./product-images.service.js";
export { effectivePrice, type Season } from "./pricing.js";
export { addOnsOffered, chosenAddOnsJsonSql, MAX_ADD_ONS_PER_LINE } from "./products.addons.js";
export type { AddOnView } from "./products.repo.js";
export { withdrawUserProducts } from "./products.erase.js";
export { countProductsInCategory, renameCategoryOnProducts } from "./products.categories.js";
export { listProductsQuery, productFieldsParam, productListSchema, sparseFieldsParam, type ListProductsQuery } from "./products.schemas.js";
export { pickFields } from "./products.view.js";
