import { describe, expect, it } from "vitest";
import { InFlightLimit, WINDOW_MS } from "../../src/lib/in-flight-limit.js";

/** A limit on a clock the test moves: each `window` answers `answered` requests taking `ms` each and refuses `refused`. */
function limitWith(options: { max?: number; min?: number; targetMs?: number } = {}) {
  let clock = 0;
  const limit = new InFlightLimit({ max: options.max ?? 64, min: options.min ?? 8, targetMs: options.targetMs ?? 150, now: () => clock });
  const window = (answered: number, ms: number, refused: number) => {
    for (let i = 0; i < answered; i++) limit.answered(ms);
    for (let i = 0; i < refused; i++) limit.refused();
    clock += WINDOW_MS;
    return limit.adjust();
  };
  return { limit, window };
}

describe("the adaptive in-flight bound", () => {
  it("starts at the configured bound", () => {
    expect(limitWith().limit.current()).toBe(64);
  });

  it("full and slow: drops to what the node answered per second × the target (Little's law)", () => {
    const { window } = limitWith();
    // 25 answers in a quarter second = 100 per second; 100 × 0.150 s = 15.
    expect(window(25, 600, 300)).toBe(15);
  });

  it("drops by at least one while full and slow, even when throughput × target is above the bound", () => {
    const { window } = limitWith();
    // 500 per second × 0.15 s = 75 > 64: still one less, until the answers come within the target.
    expect(window(125, 200, 50)).toBe(63);
    expect(window(125, 200, 50)).toBe(62);
  });

  it("never goes below the minimum", () => {
    const { window } = limitWith({ min: 8 });
    expect(window(1, 5_000, 1_000)).toBe(8);
  });

  it("slow but not full (nothing refused): keeps the bound — slow routes alone are no reason to refuse anyone", () => {
    const { window } = limitWith();
    expect(window(10, 2_000, 0)).toBe(64);
  });

  it("full but fast: keeps the bound at its maximum", () => {
    const { window } = limitWith();
    expect(window(200, 40, 500)).toBe(64);
  });

  it("climbs back by a tenth (at least one) per window once answers are within the target, up to the maximum", () => {
    const { window } = limitWith();
    expect(window(25, 600, 300)).toBe(15);
    expect(window(100, 50, 0)).toBe(17);
    expect(window(0, 0, 0)).toBe(19);
    for (let i = 0; i < 30; i++) window(100, 50, 0);
    expect(window(100, 50, 0)).toBe(64);
  });

  it("judges by the 90th percentile: a few slow answers among fast ones do not lower it", () => {
    const { limit, window } = limitWith();
    for (let i = 0; i < 95; i++) limit.answered(20);
    expect(window(5, 3_000, 100)).toBe(64);
  });

  it("with no target the bound stays fixed", () => {
    const { window } = limitWith({ targetMs: 0 });
    expect(window(25, 600, 300)).toBe(64);
  });
});
