import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AnalyticsService } from "../analytics.service.js";
import type { TransactionsService } from "../transactions.service.js";

/** The Fastify instance the transactions plugin is given (zod type provider); each routes/ file adds its routes to it. */
export type TransactionsApp = Parameters<FastifyPluginAsyncZod>[0];

export type TransactionsRoutesDeps = { transactions: TransactionsService; analytics: AnalyticsService };

export const tags = ["Transactions"];
export const admin = { auth: { role: "admin" } } as const;
/** Admins and keys for anyone; any signed-in user for themself (checked in the handler). */
export const adminOrSelf = { auth: {} } as const;
