/**
 * The pure parts of search (docs/api/search.md), with no imports: the bench's bare baseline does
 * the same work with them (bench/scenarios/search.ts).
 */

/** PostgreSQL's text search configurations a listing may be stemmed with; `simple` lower-cases words and stems none. */
export const SEARCH_LANGUAGES = ["simple", "danish", "dutch", "english", "finnish", "french", "german", "italian", "norwegian", "portuguese", "spanish", "swedish"] as const;

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
