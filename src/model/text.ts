// Wording shared by every layer (the judge's messages, the reports, the CLI).
// Imports nothing, so anything may import it.

/** "1 attack", "2 attacks", "0 findings": English plurals by adding an s. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
