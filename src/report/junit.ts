// JUnit XML for CI test tabs (`--report-junit`): one <testsuite> per scenario,
// one <testcase> per attack. The output validates against the Jenkins xunit
// "junit-10" schema, which allows `file` on <testsuite> but not on <testcase>,
// so a testcase's location (file:line) is written into its failure text and
// its <system-out> instead.
import { repeatRate, SEVERITY, type AttackResult, type Finding, type RunResult, type ScenarioResult } from '../model/results.js';
import { evidenceRecord, type EvidenceRecord } from './evidence.js';
import { oracleLine } from './oracle.js';
import { location } from '../model/text.js';

/** Bodies are not shown in JUnit text, only request lines and statuses; this bounds the work. */
const JUNIT_BODY_LIMIT = 1024;
/** Exchanges listed per finding in the failure text; the rest are counted. */
const JUNIT_MAX_EXCHANGES = 6;

export function junitXml(result: RunResult): string {
  const total = { tests: 0, failures: 0, errors: 0 };
  const suites = result.scenarios.map((s, i) => {
    const suite = testsuite(s, i, result.startedAt);
    total.tests += suite.tests;
    total.failures += suite.failures;
    total.errors += suite.errors;
    return suite.xml;
  });
  const head = `<testsuites name="idemchaos" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" time="${seconds(result.durationMs)}"`;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', suites.length ? `${head}>` : `${head}/>`];
  if (suites.length) lines.push(...suites, '</testsuites>');
  return lines.join('\n') + '\n';
}

function testsuite(s: ScenarioResult, index: number, startedAt: string): { xml: string; tests: number; failures: number; errors: number } {
  const count = (v: AttackResult['verdict']) => s.attacks.filter((a) => a.verdict === v).length;
  const cases = s.attacks.map((a) => testcase(s, a));
  let errors = count('error');
  // A scenario that could not be tested as a whole still shows up red in CI.
  if (s.error) {
    cases.push(`    <testcase name="(scenario)" classname="${attr(s.name)}" time="0.000">\n      <error message="${attr(firstLine(s.error))}" type="could-not-test">${text(s.error)}</error>\n    </testcase>`);
    errors += 1;
  }
  const tests = cases.length;
  const failures = count('fail');
  const durationMs = s.attacks.reduce((sum, a) => sum + a.durationMs, 0);
  const open =
    `  <testsuite name="${attr(s.name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${count('skip')}"` +
    ` time="${seconds(durationMs)}" timestamp="${attr(startedAt)}" id="${index}" file="${attr(s.file)}">`;
  const props = [
    '    <properties>',
    `      <property name="target" value="${attr(s.target)}"/>`,
    `      <property name="line" value="${s.line}"/>`,
    '    </properties>',
  ];
  return { xml: [open, ...props, ...cases, '  </testsuite>'].join('\n'), tests, failures, errors };
}

function testcase(s: ScenarioResult, a: AttackResult): string {
  const line = s.attackLines?.[a.attack] ?? s.line;
  const where = location(s.file, line);
  const open = `    <testcase name="${attr(a.attack)}" classname="${attr(s.name)}" time="${seconds(a.durationMs)}">`;
  const body: string[] = [];
  switch (a.verdict) {
    case 'fail': {
      const rate = repeatRate(a);
      const kinds = a.findings.map((f) => f.kind).join(', ') + (rate ? ` (${rate})` : '');
      const parts = a.findings.map((f) => findingText(f));
      body.push(`      <failure message="${attr(kinds)}" type="idempotency">${text([...parts, `at ${where}`].join('\n\n'))}</failure>`);
      break;
    }
    case 'error': {
      const reason = a.reason ?? 'could not test';
      const lines = [`could not test: ${reason}`];
      if (a.errorEvidence) lines.push(...evidenceSummary(evidenceRecord(a.errorEvidence, JUNIT_BODY_LIMIT)));
      lines.push(`at ${where}`);
      body.push(`      <error message="${attr(firstLine(reason))}" type="could-not-test">${text(lines.join('\n'))}</error>`);
      break;
    }
    case 'skip':
      body.push(`      <skipped message="${attr(a.reason ?? 'skipped')}"/>`);
      break;
    case 'pass':
      break;
  }
  const note = [`${where}`];
  if (a.responseOnly && a.verdict !== 'skip') note.push('response-only: no side-effect oracle was declared');
  const rate = repeatRate(a);
  if (rate) note.push(`--repeat: ${rate}`);
  if (a.verdict === 'pass' && a.reason) note.push(a.reason);
  body.push(`      <system-out>${text(note.join('\n'))}</system-out>`);
  return [open, ...body, '    </testcase>'].join('\n');
}

function findingText(f: Finding): string {
  const lines = [`${f.kind} (${SEVERITY[f.kind]}): ${f.message}`];
  lines.push(...evidenceSummary(evidenceRecord(f.evidence, JUNIT_BODY_LIMIT)));
  return lines.join('\n');
}

/** A few lines a CI test tab can show: oracle counts, the diff, the exchanges as request lines. */
function evidenceSummary(ev: EvidenceRecord): string[] {
  const out: string[] = [];
  if (ev.oracle) out.push(`  ${oracleLine(ev.oracle)}`);
  if (ev.diff?.length) {
    out.push('  original → replay:');
    for (const d of ev.diff) out.push(`    ${d}`);
  }
  for (const e of ev.exchanges.slice(0, JUNIT_MAX_EXCHANGES)) {
    const outcome = e.response ? String(e.response.status) : `no response (${e.error ?? 'none'})`;
    const took = e.durationMs !== undefined ? ` in ${e.durationMs.toFixed(1)} ms` : '';
    out.push(`  ${e.label}: ${e.request.method} ${e.request.url} → ${outcome}${took}`);
  }
  if (ev.exchanges.length > JUNIT_MAX_EXCHANGES) {
    out.push(`  … and ${ev.exchanges.length - JUNIT_MAX_EXCHANGES} more exchanges (all of them are in --report-json)`);
  }
  return out;
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function firstLine(s: string): string {
  const line = s.split(/\r?\n/, 1)[0] ?? '';
  return line.length < s.length ? `${line} …` : line;
}

/**
 * Characters XML 1.0 cannot carry at all (C0 controls but tab/LF/CR, lone
 * surrogates, U+FFFE/U+FFFF) are written as visible `\uXXXX` text.
 */
function xmlSafe(s: string): string {
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) =>
    `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/** Element content: CR is a character reference, or parsers would turn CRLF into LF. */
function text(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Attribute values: tab, LF and CR as references, or attribute normalisation would turn them into spaces. */
function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}
