import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { type LookupRow, SEARCH_LOOKUP_SQL, searchQueries, searchWords } from "./search-words.js";

/**
 * Search of the catalogue (docs/api/search.md): full text with ranking, typo corrections, and the
 * radius of a position. Each part is an SQL fragment that products.list.ts adds to a list's statement,
 * so a search respects everything a list does (tenant, review state, members-only, archived).
 */

/** A search, as tsquery parameters: `matches` selects, `exact` (the words as typed) ranks higher (search-words.ts, `searchQueries`). */
export interface TextSearch {
  matches: Prisma.Sql;
  exact: Prisma.Sql;
}

/**
 * The search's tsqueries; null when nothing in it can match (no word, or none the configurations
 * keep): then it matches nothing. One round trip for the corrections and the lexemes; the tsqueries
 * are then bound parameters, so the list's statement stays one prepared plan.
 */
export async function textSearch(db: Db, tenant: { platformId: string; mode: Mode }, text: string): Promise<TextSearch | null> {
  const words = searchWords(text);
  if (words.length === 0) return null;
  const rows = await db.$queryRawUnsafe<LookupRow[]>(SEARCH_LOOKUP_SQL, words, tenant.platformId, tenant.mode);
  const queries = searchQueries(words, rows);
  return queries && { matches: Prisma.sql`${queries.matches}::tsquery`, exact: Prisma.sql`${queries.exact}::tsquery` };
}

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
