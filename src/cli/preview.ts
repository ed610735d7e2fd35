// `--list` and `--dry-run`: what a run would do, without opening a connection.
import type { ScenarioPlan } from '../plan/plan.js';
import { plannedOracleRequest, plannedRequests, requestBudget, type PlannedAttack } from '../plan/requests.js';
import type { TemplateScope } from '../scenario/types.js';
import type { Redactor } from '../secrets/redactor.js';
import type { HttpRequest } from '../model/http.js';
import { location } from '../model/text.js';

export function listText(plans: ScenarioPlan[]): string {
  const lines: string[] = [];
  for (const { scenario, attacks } of plans) {
    lines.push(`${location(scenario.file, scenario.pos.line)}  ${scenario.name}`);
    for (const a of attacks) lines.push(`  ${a.id}${a.skip ? `  (skipped: ${a.skip})` : ''}`);
  }
  const runnable = plans.reduce((n, p) => n + p.attacks.filter((a) => !a.skip).length, 0);
  lines.push('', `${plans.length} scenario${plans.length === 1 ? '' : 's'}, ${runnable} attack${runnable === 1 ? '' : 's'} to run`);
  return lines.join('\n') + '\n';
}

export function dryRunText(plans: ScenarioPlan[], scope: TemplateScope, redact: Redactor): string {
  const lines: string[] = [];
  let total = 0;
  let correct = 0;
  let atMost = 0;
  for (const plan of plans) {
    const { scenario } = plan;
    lines.push(`${scenario.name}  (${location(scenario.file, scenario.pos.line)})`);
    const oracle = plannedOracleRequest(scenario, scope);
    if (oracle === undefined) lines.push('  oracle: none (verdicts are response-only)');
    else if (typeof oracle === 'string') lines.push(`  oracle: sh -c ${redact.text(oracle)}  (before and after every run)`);
    else lines.push(`  oracle: ${requestLine(oracle, redact)}  (before and after every run)`);
    const planned = plannedRequests(plan, scope);
    for (const a of planned) lines.push(...attackLines(a, scenario.idempotency.header, redact));
    const budget = requestBudget(planned);
    total += budget;
    for (const a of planned) {
      correct += a.effects.correct;
      atMost += a.effects.atMost;
    }
    lines.push('');
  }
  lines.push(
    `at least ${total} requests in all; side effects on the target: ${correct} if it handles keys correctly, up to ${atMost} if it does not`,
    'dry run: nothing was sent',
  );
  return lines.join('\n') + '\n';
}

function attackLines(a: PlannedAttack, keyHeader: string, redact: Redactor): string[] {
  if (a.skip) return [`  ${a.attack}: skipped (${a.skip})`];
  const out = [`  ${a.attack}: ${a.effects.correct} side effect${a.effects.correct === 1 ? '' : 's'} if correct, up to ${a.effects.atMost}`];
  for (const r of a.requests) {
    const key = Object.entries(r.request.headers).find(([k]) => k.toLowerCase() === keyHeader.toLowerCase())?.[1];
    out.push(`    ${r.times > 1 ? `${r.times} × ` : ''}${requestLine(r.request, redact, keyHeader)}  key ${key ?? '(none)'}  ${r.label}`);
    if (r.request.body) out.push(`      ${redact.text(r.request.body.toString('utf8'))}`);
  }
  return out;
}

function requestLine(req: HttpRequest, redact: Redactor, omit = ''): string {
  const headers = Object.entries(redact.headers(req.headers))
    .filter(([k]) => k.toLowerCase() !== omit.toLowerCase())
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  return `${req.method} ${redact.text(req.url)}${headers ? `  [${headers}]` : ''}`;
}
