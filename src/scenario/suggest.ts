// "did you mean ...?" for misspelt keys and values.

/**
 * Levenshtein distance, with a swap of two neighbours counting as one edit.
 * Past `cap` it only says so (cap + 1): a word much longer than the other is
 * answered from the lengths alone, so a megabyte-long key costs nothing.
 */
export function editDistance(a: string, b: string, cap = Infinity): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  // Three rows of the table: two back (for swaps), the last, this one.
  let before = new Array<number>(b.length + 1).fill(0);
  let last = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(last[j]! + 1, row[j - 1]! + 1, last[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      row[j] = best;
    }
    [before, last, row] = [last, row, before];
  }
  return Math.min(last[b.length]!, cap + 1);
}

/** The closest candidate when it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  // No candidate further than this can be suggested: distances past it need not be exact.
  const cap = Math.max(1, Math.floor(Math.max(word.length, ...candidates.map((c) => c.length)) / 3));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === lower) return candidate;
    const score = editDistance(lower, candidate.toLowerCase(), cap);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(word.length, best?.length ?? 0) / 3));
  return bestScore <= limit ? best : undefined;
}
