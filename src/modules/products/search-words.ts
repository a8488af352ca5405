/**
 * The pure parts of search (docs/api/search.md), with no imports: the bench's bare baseline does
 * the same work with them (bench/scenarios/search.ts).
 */

/** PostgreSQL's text search configurations a listing may be stemmed with; `simple` lower-cases words and stems none. */
export const SEARCH_LANGUAGES = ["simple", "danish", "dutch", "english", "finnish", "french", "german", "italian", "norwegian", "portuguese", "spanish", "swedish"] as const;

/**
 * How many matching listings a search considers: the newest this many (docs/api/search.md, "Limits").
 * Ranking, counting and faceting every match of a word most listings hold cost seconds at 100 000
 * listings; a window keeps a search's cost bounded whatever it matches (bench/RESULTS.md).
 */
export const SEARCH_WINDOW = 500;

/** Words of a search: letters and digits, lower-cased; the rest separates them. At most 10. */
export function searchWords(text: string): string[] {
  const words =
    text
      .normalize("NFC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, 10);
}

/** Edits a word of this length may be away from the catalogue's word it is corrected to: none under 3 letters, 1 up to 5, 2 beyond. */
export const maxEdits = (length: number): number => (length < 3 ? 0 : length <= 5 ? 1 : 2);

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbours ("chiar" → "chair" is 1). */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[x.length]![y.length]!;
}

/** Corrections kept per misspelt word. */
const MAX_CORRECTIONS = 3;

/**
 * One statement answering, for the search's words (`$1`, text[]) in a tenant (`$2` platform, `$3`
 * mode): the catalogue's candidate corrections of each word of 3 letters or more (trigram
 * candidates, `search_term_candidates`: words of public listings only), and the lexemes
 * configuration the tenant's listings use (a loose scan of the (tenant, language) index: a few
 * probes), `simple` always.
 */
export const SEARCH_LOOKUP_SQL = `
  WITH RECURSIVE langs(l) AS (
    (SELECT language FROM products WHERE platform_id = $2 AND mode = $3::"Mode" ORDER BY language LIMIT 1)
    UNION ALL
    SELECT (SELECT language FROM products WHERE platform_id = $2 AND mode = $3::"Mode" AND language > langs.l ORDER BY language LIMIT 1) FROM langs WHERE langs.l IS NOT NULL
  ),
  configs AS (SELECT l AS config FROM langs WHERE l IS NOT NULL UNION SELECT 'simple'),
  words AS (SELECT DISTINCT w AS word FROM unnest($1::text[]) AS w),
  candidates AS (
    SELECT w.word, c.term, c.score FROM words w, LATERAL search_term_candidates($2, $3::"Mode", w.word, 20) c WHERE char_length(w.word) >= 3
  ),
  strings AS (SELECT word AS s FROM words UNION SELECT term FROM candidates)
  SELECT NULL AS word, s.s AS term, NULL::real AS score, c.config, tsvector_to_array(to_tsvector(c.config::regconfig, s.s)) AS lexemes
  FROM strings s, configs c
  UNION ALL
  SELECT word, term, score, NULL, NULL FROM candidates`;

export interface LookupRow {
  /** Set on a candidate: the search word it may correct. */
  word: string | null;
  term: string;
  score: number | null;
  /** Set on a string's lexemes in one configuration. */
  config: string | null;
  lexemes: string[] | null;
}

/** A tsquery operand: a quoted lexeme (quotes and backslashes escaped). */
const operand = (lexeme: string) => `'${lexeme.replace(/['\\]/g, (c) => `\\${c}`)}'`;

/**
 * The search's two tsqueries, as text: `matches` — every word (or one of its corrections) — selects
 * the listings; `exact` — the words as typed — ranks higher those that match them. A word the
 * catalogue holds is taken as typed; one it does not is also matched by its closest words within
 * `maxEdits`. A listing's vector is stemmed with its own `language`, which the query does not know:
 * the query is the OR of its form in each configuration the tenant uses (a stop word of one is left
 * out of that one's form, as `to_tsquery` does). Null: nothing can match.
 */
export function searchQueries(words: string[], rows: LookupRow[]): { matches: string; exact: string } | null {
  const lexemes = new Map<string, Map<string, string[]>>();
  const candidates = new Map<string, { term: string; score: number }[]>();
  for (const r of rows) {
    if (r.word !== null) candidates.set(r.word, [...(candidates.get(r.word) ?? []), { term: r.term, score: r.score ?? 0 }]);
    else if (r.config !== null) {
      const byConfig = lexemes.get(r.config) ?? new Map<string, string[]>();
      byConfig.set(r.term, r.lexemes ?? []);
      lexemes.set(r.config, byConfig);
    }
  }
  const alternatives = words.map((word) => {
    const found = candidates.get(word) ?? [];
    if (found.some((c) => c.term === word)) return [word];
    const close = found
      .map((c) => ({ ...c, distance: editDistance(word, c.term) }))
      .filter((c) => c.distance <= maxEdits(word.length))
      .sort((a, b) => a.distance - b.distance || b.score - a.score || (a.term < b.term ? -1 : 1))
      .slice(0, MAX_CORRECTIONS);
    return [word, ...close.map((c) => c.term)];
  });
  const form = (byConfig: Map<string, string[]>, alts: string[][]) => {
    const parts = alts
      .map((a) => [...new Set(a.flatMap((s) => byConfig.get(s) ?? []))])
      .filter((l) => l.length > 0)
      .map((l) => (l.length === 1 ? operand(l[0]!) : `(${l.map(operand).join(" | ")})`));
    return parts.join(" & ");
  };
  const either = (forms: string[]) => {
    const distinct = [...new Set(forms.filter((f) => f.length > 0))].sort();
    return distinct.length <= 1 ? (distinct[0] ?? "") : distinct.map((f) => `(${f})`).join(" | ");
  };
  const configs = [...lexemes.values()];
  const matches = either(configs.map((c) => form(c, alternatives)));
  if (matches === "") return null;
  return {
    matches,
    exact:
      either(
        configs.map((c) =>
          form(
            c,
            words.map((w) => [w]),
          ),
        ),
      ) || matches,
  };
}
