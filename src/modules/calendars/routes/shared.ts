import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { PlatformsService } from "../../platforms/index.js";
import type { UsersService } from "../../users/index.js";
import type { CalendarsService } from "../calendars.service.js";

/** The Fastify instance the calendars plugin is given (zod type provider); each routes/ file adds its routes to it. */
export type CalendarsApp = Parameters<FastifyPluginAsyncZod>[0];

export type CalendarsRoutesDeps = { calendars: CalendarsService; users: Pick<UsersService, "retrieve">; platforms: Pick<PlatformsService, "resolvePublic"> };

export const tags = ["Calendars"];
export const self = { auth: { user: true } } as const;
