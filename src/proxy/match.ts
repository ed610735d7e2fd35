// Which requests are operations under audit: `--match "POST /v1/*"` rules, a
// method (or `*`, or several joined by commas) and a path glob.

export interface MatchRule {
  /** As the user wrote it, for the report. */
  text: string;
  /** Upper-case methods; empty: any method. */
  methods: string[];
  path: RegExp;
}

/** Every POST and PATCH, whatever the path. */
export const DEFAULT_MATCH = ['POST *', 'PATCH *'];

/**
 * `"POST /v1/*"`, `"POST,PATCH /orders"`, `"* /v1/**"` or a bare path
 * (`"/orders/*"`: POST and PATCH). In the glob, `*` matches any run of
 * characters, `/` included; everything else matches itself. The glob is
 * matched against the path without its query. Returns a message for a rule
 * that cannot be read.
 */
export function parseMatch(text: string): MatchRule | string {
  const trimmed = text.trim();
  const parts = trimmed.split(/\s+/);
  let methods: string[];
  let glob: string;
  if (parts.length === 1 && (parts[0]!.startsWith('/') || parts[0] === '*')) {
    methods = ['POST', 'PATCH'];
    glob = parts[0]!;
  } else if (parts.length === 2) {
    methods = parts[0] === '*' ? [] : parts[0]!.split(',').map((m) => m.trim().toUpperCase()).filter(Boolean);
    glob = parts[1]!;
    if (parts[0] !== '*' && (methods.length === 0 || methods.some((m) => !/^[A-Z]+$/.test(m)))) {
      return `--match '${text}': '${parts[0]}' is not a method (e.g. POST, or POST,PATCH, or *)`;
    }
  } else {
    return `--match '${text}': expected "METHOD PATH-GLOB", e.g. "POST /v1/*"`;
  }
  if (glob !== '*' && !glob.startsWith('/')) return `--match '${text}': the path glob must start with / (or be *)`;
  const pattern = glob
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return { text: trimmed, methods, path: new RegExp(`^${pattern}$`) };
}

export function matches(rules: MatchRule[], method: string, pathAndQuery: string): boolean {
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const m = method.toUpperCase();
  return rules.some((r) => (r.methods.length === 0 || r.methods.includes(m)) && r.path.test(path));
}
