import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { pageLinks } from "../lib/pagination.js";

/**
 * Every page of a list (`{ data, meta }`) gets its links in `meta` — `path`, `first_page_url`,
 * `last_page_url`, `next_page_url`, `prev_page_url` — built from the request's own path and query
 * under PUBLIC_URL, so a client pages by following them. In one place rather than in each list:
 * a list added later has them too. A cursor-paged answer (`starting_after` / `ending_before`) has none.
 */
async function pageLinksPlugin(app: FastifyInstance, options: { publicUrl: string }): Promise<void> {
  const base = options.publicUrl.replace(/\/+$/, "");
  app.addHook("preSerialization", async (request, _reply, payload) => {
    if (!isPage(payload)) return payload;
    const url = URL.parse(`${base}${request.url}`);
    if (!url || url.searchParams.has("starting_after") || url.searchParams.has("ending_before")) return payload;
    return { ...payload, meta: { ...payload.meta, ...pageLinks(payload.meta, url) } };
  });
}

type Page = { data: unknown[]; meta: { current_page: number; last_page: number } };

function isPage(payload: unknown): payload is Page {
  if (typeof payload !== "object" || payload === null) return false;
  const { data, meta } = payload as Partial<Page>;
  return Array.isArray(data) && typeof meta === "object" && meta !== null && typeof meta.current_page === "number" && typeof meta.last_page === "number";
}

export default fp(pageLinksPlugin, { name: "page-links" });
