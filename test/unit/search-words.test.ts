import { describe, expect, it } from "vitest";
import { editDistance, type LookupRow, maxEdits, searchQueries, searchWords } from "../../src/modules/products/search-words.js";

describe("search words", () => {
  it("splits on anything but letters and digits, lower-cased, each once, at most ten", () => {
    expect(searchWords("Oak-chair, OAK  café 2 & x")).toEqual(["oak", "chair", "café", "2", "x"]);
    expect(searchWords("%% !!")).toEqual([]);
    expect(searchWords(Array.from({ length: 12 }, (_, i) => `w${i}`).join(" "))).toHaveLength(10);
  });

  it("counts a swap of two neighbours as one edit", () => {
    expect(editDistance("chiar", "chair")).toBe(1);
    expect(editDistance("chair", "chair")).toBe(0);
    expect(editDistance("tabel", "table")).toBe(1);
    expect(editDistance("walnutt", "walnut")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("allows no edit under 3 letters, one up to 5, two beyond", () => {
    expect([1, 2, 3, 5, 6, 12].map(maxEdits)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

const lexemes = (config: string, term: string, ...found: string[]): LookupRow => ({ word: null, term, score: null, config, lexemes: found });
const candidate = (word: string, term: string, score: number): LookupRow => ({ word, term, score, config: null, lexemes: null });

describe("searchQueries", () => {
  it("keeps a word the catalogue holds as typed, and ORs a missing one with its close corrections", () => {
    const rows = [
      lexemes("simple", "oak", "oak"),
      lexemes("simple", "chiar", "chiar"),
      lexemes("simple", "chair", "chair"),
      lexemes("simple", "cheap", "cheap"),
      candidate("oak", "oak", 1),
      candidate("chiar", "chair", 0.2),
      candidate("chiar", "cheap", 0.2),
    ];
    // "cheap" is two edits from "chiar": too far for five letters.
    expect(searchQueries(["oak", "chiar"], rows)).toEqual({ matches: "'oak' & ('chiar' | 'chair')", exact: "'oak' & 'chiar'" });
  });

  it("ORs the forms of each configuration in use, a stop word left out of its own", () => {
    const rows = [lexemes("simple", "the", "the"), lexemes("simple", "chairs", "chairs"), lexemes("english", "the"), lexemes("english", "chairs", "chair")];
    expect(searchQueries(["the", "chairs"], rows)?.matches).toBe("('chair') | ('the' & 'chairs')");
  });

  it("is null when nothing is left to match, and escapes what it quotes", () => {
    expect(searchQueries(["the"], [lexemes("english", "the")])).toBeNull();
    expect(searchQueries(["o"], [lexemes("simple", "o", "o'\\")])?.matches).toBe("'o\\'\\\\'");
  });
});
