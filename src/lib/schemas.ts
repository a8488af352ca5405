import { z } from "zod";

/** Zod building blocks shared by the resource schemas. */

export const apiDate = z.string().describe("UTC date, YYYY-MM-DDTHH:MM:SSZ");

export const modeSchema = z.enum(["test", "live"]);

/** An email address, trimmed and lower-cased (users, sign-in, waitlists). */
export const emailAddress = z.string().trim().toLowerCase().max(254).pipe(z.email("must be an email address"));

/** Integer minor units (cents); decimals and negatives are refused. */
export const money = z.number().int("must be an integer number of cents").min(0).max(100_000_000_000);

export const currencyCode = z
  .string()
  .regex(/^[a-z]{3}$/, "must be a lower-case ISO 4217 code such as usd")
  .describe("Lower-case ISO 4217 currency code");

/** A percentage from 0 to 100 with at most two decimals (2.5 = 2.5 %). */
export const percent = z
  .number()
  .min(0)
  .max(100)
  .refine((v) => Math.abs(Math.round(v * 100) - v * 100) < 1e-6, "must have at most two decimals");

export const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const url = new URL(v);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL");

/** A host name, optionally with a port: `market.example.com`, `localhost:3000`. */
export const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}(:|$))([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/, "must be a host name such as market.example.com");

export const idParam = (name: string) => z.string().min(1).max(100).describe(`The ${name} id`);

/** A body that may be left out entirely (Fastify hands an absent body to the validator as null). */
export const optionalBody = <T extends z.ZodType>(schema: T) => schema.nullish();

/** Routes that take no body accept none (or an empty object), so nothing is silently ignored. */
export const noBody = optionalBody(z.object({}).strict());

/**
 * An instant a client sends: ISO 8601 with `Z` or an offset (`2026-03-08T07:00:00Z`,
 * `2026-03-08T02:00:00-05:00`), in whole seconds; stored and answered in UTC.
 */
export const instant = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 date-time with Z or an offset, e.g. 2026-03-08T07:00:00Z" })
  .transform((v) => new Date(v))
  .refine((d) => d.getUTCMilliseconds() === 0, "must be in whole seconds")
  .refine((d) => d.getUTCFullYear() >= 1970 && d.getUTCFullYear() <= 9999, "must be between 1970 and 9999");

/** The largest value of a PostgreSQL `integer` column. */
export const MAX_INT4 = 2_147_483_647;
