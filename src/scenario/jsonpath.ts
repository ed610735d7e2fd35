// A syntax check for JSONPath expressions, so typos surface at load time
// rather than as an empty match in the middle of a run.

/** Undefined when the expression reads as JSONPath; otherwise what is wrong. */
export function jsonPathError(text: string): string | undefined {
  if (!text.startsWith('$')) return `a JSONPath starts with '$', e.g. $.id`;
  let i = 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '.') {
      const descend = text[i + 1] === '.';
      i += descend ? 2 : 1;
      if (text[i] === '[' && descend) continue;
      const name = /^(\*|[^.[\]\s()'"]+)/.exec(text.slice(i));
      if (!name) return `expected a name after '${descend ? '..' : '.'}' at position ${i + 1}`;
      i += name[0].length;
    } else if (ch === '[') {
      const close = matchBracket(text, i);
      if (typeof close === 'string') return close;
      if (text.slice(i + 1, close).trim() === '') return `empty '[]' at position ${i + 1}`;
      i = close + 1;
    } else {
      return `unexpected '${ch}' at position ${i + 1}`;
    }
  }
  return undefined;
}

/** Index of the `]` closing the `[` at `open`, skipping quoted text and nested brackets. */
function matchBracket(text: string, open: number): number | string {
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) return `unclosed quote at position ${i + 1}`;
      i = end;
    } else if (ch === '[' || ch === '(') {
      stack.push(ch === '[' ? ']' : ')');
    } else if (ch === ']' || ch === ')') {
      if (stack.pop() !== ch) return `unexpected '${ch}' at position ${i + 1}`;
      if (stack.length === 0) return i;
    }
  }
  return `unclosed '[' at position ${open + 1}`;
}
