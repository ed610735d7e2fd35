// How every report words the oracle's evidence, so the terminal, Markdown,
// JUnit and HTML all state the same facts: the counts before and after, the
// resource ids seen (the first ORACLE_MAX_IDS, then how many in all; the JSON
// report keeps every one) and the note (per-burst readings, re-reads).
import type { OracleCounts } from '../model/results.js';

export const ORACLE_MAX_IDS = 10;

/** How a report marks up the parts of the line: plain text by default. */
export interface OracleStyle {
  /** Running text of ours and of the note (escape it). */
  text(s: string): string;
  /** One resource id (e.g. as code). */
  id(id: string): string;
  /** A count (e.g. emphasised). */
  number(n: number): string;
}

const PLAIN: OracleStyle = { text: (s) => s, id: (s) => s, number: String };

/** "oracle: 0 before, 15 after; ids: ord_1, …, … (15 in all) (burst 1: 0 → 5; burst 2: 5 → 10)" */
export function oracleLine(o: OracleCounts, style: Partial<OracleStyle> = {}): string {
  const st: OracleStyle = { ...PLAIN, ...style };
  let ids = '';
  if (o.ids) {
    const shown = o.ids.slice(0, ORACLE_MAX_IDS).map((id) => st.id(id));
    if (o.ids.length > ORACLE_MAX_IDS) shown.push(st.text(`… (${o.ids.length} in all)`));
    ids = `; ids: ${shown.length > 0 ? shown.join(', ') : 'none'}`;
  }
  const note = o.note ? ` (${st.text(o.note)})` : '';
  return `oracle: ${st.number(o.before)} before, ${st.number(o.after)} after${ids}${note}`;
}
