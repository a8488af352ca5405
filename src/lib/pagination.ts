import { z } from "zod";

/**
 * List conventions (README, "Conventions"): `page` from 1, `per_page` 1..100 (default 15),
 * `sort=field` / `sort=-field`, `filter[field]=a,b`, answered as `{ data, meta }`.
 */
export const DEFAULT_PER_PAGE = 15;
export const MAX_PER_PAGE = 100;

export const pageParams = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).describe("Page number, from 1."),
  per_page: z.coerce.number().int().min(1).max(MAX_PER_PAGE).default(DEFAULT_PER_PAGE).describe("Items per page, 1 to 100."),
};

/** A `filter[…]` value: comma-separated (or repeated) values, each checked by `item`. */
export function csv<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((v) => v.split(","))
        .map((v) => v.trim())
        .filter((v) => v.length > 0),
    )
    .pipe(z.array(item).min(1).max(100));
}

/** `sort` accepting each field ascending (`price`) or descending (`-price`). */
export function sortParam<const F extends readonly [string, ...string[]]>(fields: F, fallback: `${"-" | ""}${F[number]}`) {
  const values = fields.flatMap((f) => [f, `-${f}`]) as [string, ...string[]];
  return z
    .enum(values)
    .default(fallback)
    .describe(`Sort by ${fields.join(", ")}; prefix with - for descending.`);
}

export interface ParsedSort<F extends string> {
  field: F;
  direction: "asc" | "desc";
}

export function parseSort<F extends string>(sort: string): ParsedSort<F> {
  return sort.startsWith("-") ? { field: sort.slice(1) as F, direction: "desc" } : { field: sort as F, direction: "asc" };
}

export interface PageMeta {
  total: number;
  per_page: number;
  current_page: number;
  last_page: number;
  from: number | null;
  to: number | null;
}

export function pageWindow(page: number, perPage: number): { skip: number; take: number } {
  return { skip: (page - 1) * perPage, take: perPage };
}

export function pageMeta(total: number, page: number, perPage: number, count: number): PageMeta {
  const from = count > 0 ? (page - 1) * perPage + 1 : null;
  return {
    total,
    per_page: perPage,
    current_page: page,
    last_page: Math.max(1, Math.ceil(total / perPage)),
    from,
    to: from === null ? null : from + count - 1,
  };
}

export const pageMetaSchema = z.object({
  total: z.number().int(),
  per_page: z.number().int(),
  current_page: z.number().int(),
  last_page: z.number().int(),
  from: z.number().int().nullable(),
  to: z.number().int().nullable(),
  // Added to every page by src/plugins/page-links.ts (absent on a cursor-paged answer).
  path: z.string().optional().describe("The list's URL, without its query"),
  first_page_url: z.string().optional().describe("This list's first page (the same query, `page=1`)"),
  last_page_url: z.string().optional().describe("This list's last page"),
  next_page_url: z.string().nullable().optional().describe("The next page; null on the last page"),
  prev_page_url: z.string().nullable().optional().describe("The previous page; null on the first page"),
});

export interface PageLinks {
  path: string;
  first_page_url: string;
  last_page_url: string;
  next_page_url: string | null;
  prev_page_url: string | null;
}

/** The links of a page (docs/api list conventions): the request's own URL and query, with `page` set. */
export function pageLinks(meta: Pick<PageMeta, "current_page" | "last_page">, url: URL): PageLinks {
  const at = (page: number) => {
    const link = new URL(url);
    link.searchParams.set("page", String(page));
    return link.href;
  };
  return {
    path: `${url.origin}${url.pathname}`,
    first_page_url: at(1),
    last_page_url: at(meta.last_page),
    next_page_url: meta.current_page < meta.last_page ? at(meta.current_page + 1) : null,
    prev_page_url: meta.current_page > 1 ? at(Math.min(meta.current_page - 1, meta.last_page)) : null,
  };
}

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), meta: pageMetaSchema });
}

export interface Page<T> {
  data: T[];
  meta: PageMeta;
}
