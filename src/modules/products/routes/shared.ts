import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ProductImagesService } from "../product-images.service.js";
import type { ProductsService } from "../products.service.js";
/** The Fastify instance the products plugin is given (zod type provider); each routes/ file adds its routes to it. */
export type ProductsApp = Parameters<FastifyPluginAsyncZod>[0];

export type ProductsRoutesDeps = { products: ProductsService; images: ProductImagesService };

export const tags = ["Products"];
/** Anyone signed in on the platform (key or user); who may change what is decided per product. */
export const signedIn = { auth: {} } as const;
export const WRITERS = "A platform key, an editor (or above), or the member who sells the product.";
