// Wording shared by every layer (the judge's messages, the reports, the CLI).
// Imports nothing, so anything may import it.

/** "1 attack", "2 attacks", "0 findings": English plurals by adding an s. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Where a scenario (or one of its attacks) is, for messages and reports:
 * `file:line`, or the place alone when the line is 0, as for a probe, whose
 * place is its command line, not a line of any file.
 */
export function location(file: string, line: number): string {
  return line > 0 ? `${file}:${line}` : file;
}
