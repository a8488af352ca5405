import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { requireAuth, requireUser } from "../../plugins/auth.js";
import { addToCartBody, addToCartParams, cartItemParams, cartListSchema, cartParams, cartSchema, listAbandonedCartsQuery, setQuantityBody } from "./carts.schemas.js";
import { toCartResponse, type CartsService } from "./carts.service.js";

const tags = ["Carts"];
const self = { auth: { user: true } } as const;
/** Other people's carts are the platform's business: its key, an owner or an admin. */
const admin = { auth: { role: "admin" } } as const;

/** The signed-in user's cart (a user token is required, alone or with the platform key). */
export const cartsRoutes: FastifyPluginAsyncZod<{ carts: CartsService }> = async (app, { carts }) => {
  app.post(
    "/carts/auth/product/:product_id",
    {
      schema: {
        operationId: "addProductToCart",
        tags,
        summary: "Add a product to the signed-in user's cart",
        description:
          "Adding the same product (or variant) with the same dates again adds to its quantity. 409 naming the product when it is archived, disabled or out of stock, or when the cart would hold more than its stock; " +
          "422 for a product of your own, a product with variants but no `variant`, or another currency than the cart's. " +
          "402 `subscription_required` when the platform sells it to subscribed members only (docs/api/subscriptions.md, Access).",
        params: addToCartParams,
        body: addToCartBody,
        response: { 200: cartSchema, ...errors(400, 401, 402, 404, 409, 422) },
      },
      config: self,
    },
    async (request) => toCartResponse(await carts.add(requireUser(request), request.params.product_id, request.body), carts.now()),
  );

  app.get(
    "/carts/auth",
    {
      schema: {
        operationId: "retrieveCart",
        tags,
        summary: "The signed-in user's cart: items at their current prices, per-seller subtotals, total",
        response: { 200: cartSchema, ...errors(401) },
      },
      config: self,
    },
    async (request) => toCartResponse(await carts.retrieve(requireUser(request)), carts.now()),
  );

  app.put(
    "/carts/auth/item/:cart_item_id",
    {
      schema: {
        operationId: "updateCartItem",
        tags,
        summary: "Change the quantity of a line in the signed-in user's cart",
        description:
          "0 removes the line. Lowering is always allowed; raising is checked as an add is: 409 naming the product when it is archived, disabled or out of stock (`product_out_of_stock`), or when the cart would hold more than its stock (`insufficient_stock`); " +
          "402 `subscription_required` when the platform sells it to subscribed members only. Another user's line, or one that is gone: 404.",
        params: cartItemParams,
        body: setQuantityBody,
        response: { 200: cartSchema, ...errors(400, 401, 402, 404, 409) },
      },
      config: self,
    },
    async (request) => toCartResponse(await carts.setQuantity(requireUser(request), request.params.cart_item_id, request.body.quantity), carts.now()),
  );

  app.delete(
    "/carts/auth/item/:cart_item_id",
    {
      schema: {
        operationId: "removeCartItem",
        tags,
        summary: "Remove an item from the signed-in user's cart",
        params: cartItemParams,
        body: noBody,
        response: { 200: cartSchema, ...errors(400, 401, 404) },
      },
      config: self,
    },
    async (request) => toCartResponse(await carts.removeItem(requireUser(request), request.params.cart_item_id), carts.now()),
  );

  app.get(
    "/carts",
    {
      schema: {
        operationId: "listAbandonedCarts",
        tags,
        summary: "Abandoned carts: carts with items not checked out for a while (owners, admins, the key)",
        description:
          "Carts holding items that nobody changed for `filter[idle_minutes]` (default 120; checking out empties a cart). `filter[user_id]` narrows to buyers. " +
          "Sort by updated (default, most recently left first) or created. Items are priced now, with their shipping.",
        querystring: listAbandonedCartsQuery,
        response: { 200: cartListSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => {
      const page = await carts.listAbandoned(requireAuth(request), request.query);
      const now = carts.now();
      return { data: page.data.map((cart) => toCartResponse(cart, now)), meta: page.meta };
    },
  );

  app.get(
    "/carts/:cart_id",
    {
      schema: {
        operationId: "retrieveCartById",
        tags,
        summary: "Retrieve any cart of the platform (owners, admins, the key)",
        params: cartParams,
        response: { 200: cartSchema, ...errors(400, 401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toCartResponse(await carts.retrieveById(requireAuth(request), request.params.cart_id), carts.now()),
  );

  app.delete(
    "/carts/auth",
    {
      schema: { operationId: "clearCart", tags, summary: "Empty the signed-in user's cart", body: noBody, response: { 200: cartSchema, ...errors(400, 401) } },
      config: self,
    },
    async (request) => toCartResponse(await carts.clear(requireUser(request)), carts.now()),
  );
};
