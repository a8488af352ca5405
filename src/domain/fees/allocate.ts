/**
 * Splits `amount` cents over `weights` by the largest-remainder (Hamilton) method: each share starts
 * at the floor of its exact proportional share, and the cents this leaves over go one each to the
 * largest fractional parts, ties to the lower index. Cents never appear or vanish, every share is
 * within 1¢ of its exact share, and a zero weight gets nothing unless every weight is zero, in
 * which case the split is even.
 *
 * The products `amount × weight` can pass 2^53 (a contract total times an items total), so the
 * arithmetic runs on BigInt and only the shares, each at most `amount`, come back as numbers.
 */
export function allocateLargestRemainder(amount: number, weights: readonly number[]): number[] {
  assertCents(amount, "amount");
  weights.forEach((weight, i) => assertCents(weight, `weights[${i}]`));
  if (weights.length === 0) {
    if (amount === 0) return [];
    throw new RangeError(`Cannot allocate ${amount}¢ over no weights.`);
  }

  const sum = weights.reduce((acc, weight) => acc + BigInt(weight), 0n);
  const even = sum === 0n;
  const denominator = even ? BigInt(weights.length) : sum;
  const total = BigInt(amount);

  const shares: number[] = [];
  const remainders: bigint[] = [];
  let allocated = 0n;
  for (const weight of weights) {
    const numerator = total * (even ? 1n : BigInt(weight));
    const floor = numerator / denominator;
    shares.push(Number(floor));
    remainders.push(numerator % denominator);
    allocated += floor;
  }

  // Fewer cents are left over than there are shares, so each share gets at most one of them.
  // Array.prototype.sort is stable, so equal remainders keep index order: ties go to the lower index.
  const order = remainders.map((remainder, index) => ({ remainder, index })).sort((a, b) => (a.remainder === b.remainder ? 0 : a.remainder > b.remainder ? -1 : 1));
  const leftOver = Number(total - allocated);
  for (let k = 0; k < leftOver; k++) {
    const { index } = order[k]!;
    shares[index] = shares[index]! + 1;
  }
  return shares;
}

/** Money and weights are non-negative integers that add and multiply exactly. */
export function assertCents(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer number of cents, got ${value}.`);
  }
}
