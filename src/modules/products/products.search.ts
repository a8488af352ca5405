import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { editDistance, maxEdits, SEARCH_LANGUAGES, searchWords } from "./search-words.js";

/**
 * Search of the catalogue (docs/api/search.md): full text with ranking, typo corrections, and the
 * radius of a position. Each part is an SQL fragment that products.list.ts adds to a list's statement,
 * so a search respects everything a list does (tenant, review state, members-only, archived).
 */

/** Corrections kept per misspelt word. */
const MAX_CORRECTIONS = 3;

/** A search, as tsqueries: `matches` (each word or its corrections) selects, `exact` (the words as typed) ranks higher. */
export interface TextSearch {
  matches: Prisma.Sql;
  exact: Prisma.Sql;
}

/**
 * Each word of the search with the catalogue words it may have meant: a word the catalogue holds is
 * kept as it is; one it does not is also matched by its closest words within `maxEdits` (trigram
 * candidates from `search_terms`, then the edit distance).
 */
export async function correctedWords(db: Db, tenant: { platformId: string; mode: Mode }, words: string[]): Promise<string[][]> {
  const fuzzy = words.filter((w) => maxEdits(w.length) > 0);
  const candidates = new Map<string, { term: string; score: number }[]>();
  if (fuzzy.length > 0) {
    const rows = await db.$queryRaw<{ word: string; term: string; score: number }[]>`
      SELECT w.word, c.term, c.score FROM unnest(${fuzzy}::text[]) AS w(word),
             LATERAL search_term_candidates(${tenant.platformId}, ${tenant.mode}::"Mode", w.word, 20) c`;
    for (const row of rows) candidates.set(row.word, [...(candidates.get(row.word) ?? []), row]);
  }
  return words.map((word) => {
    const found = candidates.get(word) ?? [];
    if (found.some((c) => c.term === word)) return [word];
    const close = found
      .map((c) => ({ ...c, distance: editDistance(word, c.term) }))
      .filter((c) => c.distance <= maxEdits(word.length))
      .sort((a, b) => a.distance - b.distance || b.score - a.score || (a.term < b.term ? -1 : 1))
      .slice(0, MAX_CORRECTIONS);
    return [word, ...close.map((c) => c.term)];
  });
}

/**
 * `(w1 | c1) & w2` in every configuration a listing may be stemmed with, OR-ed: a listing's vector
 * is stemmed with its own `language`, which the query does not know. The words are letters and
 * digits only, so the text is valid tsquery syntax; `to_tsquery` is immutable, so the planner folds
 * it to one constant the GIN index is searched with.
 */
function tsquery(alternatives: string[][]): Prisma.Sql {
  const text = alternatives.map((alts) => `(${alts.join(" | ")})`).join(" & ");
  return Prisma.sql`(${Prisma.join(
    SEARCH_LANGUAGES.map((config) => Prisma.sql`to_tsquery(${Prisma.raw(`'${config}'`)}::regconfig, ${text})`),
    " || ",
  )})`;
}

/** The search's tsqueries; null when it has no word at all (then it matches nothing). */
export async function textSearch(db: Db, tenant: { platformId: string; mode: Mode }, text: string): Promise<TextSearch | null> {
  const words = searchWords(text);
  if (words.length === 0) return null;
  const alternatives = await correctedWords(db, tenant, words);
  return { matches: tsquery(alternatives), exact: tsquery(words.map((w) => [w])) };
}

/** Relevance: weighted matches (name over category and tags over description), the words as typed counting twice. */
export const relevance = (search: TextSearch, alias = "p") =>
  Prisma.sql`(ts_rank(${Prisma.raw(alias)}.search_vector, ${search.matches}) + ts_rank(${Prisma.raw(alias)}.search_vector, ${search.exact}))`;

export const DEFAULT_RADIUS_KM = 25;
/** Mean Earth radius (IUGG), km. */
const EARTH_KM = 6371.0088;
/** Length of a degree of latitude, km. */
const KM_PER_DEGREE = (Math.PI * EARTH_KM) / 180;

/** Great-circle distance in km from a point to the listing (haversine); null for a listing without a position. */
export function distanceKm([lat, lng]: readonly [number, number], alias = "p"): Prisma.Sql {
  const a = Prisma.raw(alias);
  return Prisma.sql`(2 * ${EARTH_KM}::float8 * asin(least(1, sqrt(
    power(sin(radians(${a}.latitude - ${lat}::float8) / 2), 2)
    + cos(radians(${lat}::float8)) * cos(radians(${a}.latitude)) * power(sin(radians(${a}.longitude - ${lng}::float8) / 2), 2)))))`;
}

/**
 * Listings within `radiusKm` of a point: a box around the circle first (latitude and longitude
 * ranges the (tenant, latitude, longitude) index serves; across the antimeridian the longitude range
 * wraps; near a pole every longitude), then the exact distance.
 */
export function withinRadius(point: readonly [number, number], radiusKm: number, alias = "p"): Prisma.Sql {
  const a = Prisma.raw(alias);
  const [lat, lng] = point;
  const dLat = radiusKm / KM_PER_DEGREE;
  const parts = [Prisma.sql`${a}.latitude BETWEEN ${lat - dLat}::float8 AND ${lat + dLat}::float8`];
  const cosLat = Math.cos((Math.min(90, Math.abs(lat) + dLat) * Math.PI) / 180);
  const dLng = cosLat > 1e-9 ? dLat / cosLat : 360;
  if (dLng < 180) {
    const west = lng - dLng;
    const east = lng + dLng;
    if (west < -180) parts.push(Prisma.sql`(${a}.longitude >= ${west + 360}::float8 OR ${a}.longitude <= ${east}::float8)`);
    else if (east > 180) parts.push(Prisma.sql`(${a}.longitude >= ${west}::float8 OR ${a}.longitude <= ${east - 360}::float8)`);
    else parts.push(Prisma.sql`${a}.longitude BETWEEN ${west}::float8 AND ${east}::float8`);
  } else {
    parts.push(Prisma.sql`${a}.longitude IS NOT NULL`);
  }
  parts.push(Prisma.sql`${distanceKm(point, alias)} <= ${radiusKm}::float8`);
  return Prisma.join(parts, " AND ");
}
