import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { UsersService } from "../users.service.js";

/** The Fastify instance the users plugin is given (zod type provider); each routes/ file adds its routes to it. */
export type UsersApp = Parameters<FastifyPluginAsyncZod>[0];

export type UsersRoutesDeps = { users: UsersService };

export const tags = ["Users"];
export const self = { auth: { user: true } } as const;
export const admin = { auth: { role: "admin" } } as const;
