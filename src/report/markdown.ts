// A Markdown summary (`--report-markdown`, and the GitHub step summary): the
// outcome, a scenario × attack table, every finding with its oracle counts
// and diff, and why anything could not be tested.
import { repeatRate, SEVERITY, type AttackResult, type RunResult } from '../model/results.js';
import { evidenceRecord } from './evidence.js';
import { oracleLine } from './oracle.js';
import { location } from '../model/text.js';
import { outline, runSize, usedAttacks, verdictCounts } from './outline.js';
import type { ProxySession } from '../model/proxy.js';
import { attemptsCell, keysCell, sessionLine } from './proxy.js';

/** Exchanges listed per finding (request line and status); the full evidence is in the JSON report. */
const MD_MAX_EXCHANGES = 4;
const MD_BODY_LIMIT = 1024;

export const VERDICT_EMOJI = { pass: '✅', fail: '❌', error: '⚠️', skip: '⏭️' } as const;

export function markdownSummary(result: RunResult): string {
  const out: string[] = [];
  const sum = result.summary;
  const { findings, errored, broken, outcome, headline } = outline(result);

  out.push(`## ${VERDICT_EMOJI[outcome]} idemchaos: ${headline}`);
  out.push(
    '',
    `${runSize(sum, Boolean(result.proxy))}: ${verdictCounts(sum).map((c) => c.text).join(', ')} ` +
      `(${(result.durationMs / 1000).toFixed(1)} s, started ${result.startedAt})`,
  );

  const used = usedAttacks(result);
  if (result.proxy) out.push(...operationsTable(result.proxy));
  else if (result.scenarios.length > 0) {
    out.push('', `| scenario | ${used.join(' | ')} |`, `|${' --- |'.repeat(used.length + 1)}`);
    for (const s of result.scenarios) {
      const cells = used.map((id) => {
        const a = s.attacks.find((x) => x.attack === id);
        return a ? verdictCell(a) : '';
      });
      out.push(`| ${cell(s.name)} | ${cells.join(' | ')} |`);
    }
  }

  if (findings.length > 0) {
    out.push('', '### Findings');
    for (const { s, a, f } of findings) {
      const ev = evidenceRecord(f.evidence, MD_BODY_LIMIT);
      const line = s.attackLines?.[a.attack] ?? s.line;
      out.push('', `#### ${VERDICT_EMOJI.fail} ${inline(s.name)} › ${a.attack}: \`${f.kind}\` (${SEVERITY[f.kind]})`, '');
      out.push(paragraph(f.message), '');
      const facts = [`- where: ${code(location(s.file, line))}`];
      if (a.responseOnly) facts.push('- response-only: no side-effect oracle was declared');
      const rate = repeatRate(a);
      if (rate) facts.push(`- --repeat: ${inline(rate)}`);
      if (ev.oracle) facts.push(`- ${oracleLine(ev.oracle, { text: inline, id: code })}`);
      for (const e of ev.exchanges.slice(0, MD_MAX_EXCHANGES)) {
        const outcome = e.response ? String(e.response.status) : `no response (${inline(e.error ?? 'none')})`;
        facts.push(`- ${inline(e.label)}: ${code(`${e.request.method} ${e.request.url}`)} → ${outcome}`);
      }
      if (ev.exchanges.length > MD_MAX_EXCHANGES) {
        facts.push(`- … and ${ev.exchanges.length - MD_MAX_EXCHANGES} more exchanges (all of them are in the JSON report)`);
      }
      out.push(...facts);
      if (ev.diff?.length) out.push('', 'original → replay:', '', fenced(ev.diff.join('\n'), 'text'));
    }
  }

  if (errored.length > 0 || broken.length > 0) {
    out.push('', '### Could not test', '');
    for (const s of broken) out.push(`- ${VERDICT_EMOJI.error} **${inline(s.name)}**: ${inline(s.error ?? '')}`);
    for (const { s, a } of errored) {
      out.push(`- ${VERDICT_EMOJI.error} **${inline(s.name)} › ${a.attack}**: ${inline(a.reason ?? 'could not test')}`);
    }
  }
  return out.join('\n') + '\n';
}

/** The proxy session in a line, then a row per operation: its keys, what each attempt met, the verdict. */
function operationsTable(p: ProxySession): string[] {
  const out = ['', inline(sessionLine(p))];
  if (p.operations.length === 0) return [...out, '', 'No operation under audit came through the proxy.'];
  out.push('', '| # | operation | keys | attempts | verdict |', '| --- | --- | --- | --- | --- |');
  for (const op of p.operations) {
    const verdict =
      op.verdict === 'fail'
        ? `${VERDICT_EMOJI.fail} ${op.findings.map((f) => cell(f.kind)).join('<br>')}`
        : op.verdict === 'error'
          ? `${VERDICT_EMOJI.error} could not test`
          : `${VERDICT_EMOJI.pass} pass${op.note ? `: ${cell(op.note)}` : ''}`;
    out.push(`| ${op.id} | ${code(`${op.method} ${op.path}`)} | ${cell(keysCell(op))} | ${cell(attemptsCell(op))} | ${verdict} |`);
  }
  return out;
}

function verdictCell(a: AttackResult): string {
  const rate = repeatRate(a);
  return rate ? `${verdictOnly(a)}<br>${cell(rate)}` : verdictOnly(a);
}

function verdictOnly(a: AttackResult): string {
  switch (a.verdict) {
    case 'fail':
      return `${VERDICT_EMOJI.fail} ${a.findings.map((f) => cell(f.kind)).join('<br>')}`;
    case 'pass':
      return `${VERDICT_EMOJI.pass} pass`;
    case 'error':
      return `${VERDICT_EMOJI.error} could not test`;
    case 'skip':
      return `${VERDICT_EMOJI.skip} skip`;
  }
}

/**
 * Inline text that renders as itself: Markdown and HTML punctuation is
 * backslash-escaped (`$` too, or GitHub renders `$.a … $.b` as maths).
 */
export function inline(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(/[\\`*_[\]<>&|~$#!]/g, (c) => `\\${c}`).replace(/\n/g, '<br>');
}

/** A table cell: `|` and newlines must not end the cell or the row. */
export function cell(s: string): string {
  return inline(s);
}

/** Running text that may span lines: each line break kept as a hard break. */
function paragraph(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[\\`*_[\]<>&|~$#!]/g, (c) => `\\${c}`))
    .join('\\\n');
}

/** A code span whose delimiters outnumber any backtick run inside it. */
function code(s: string): string {
  const flat = s.replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced block that no line of the content can close early. */
function fenced(content: string, info: string): string {
  const longest = Math.max(0, ...(content.match(/`{3,}/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${content.replace(/\r\n?/g, '\n')}\n${fence}`;
}
