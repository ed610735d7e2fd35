// `--list` and `--dry-run`: what a run would do, without opening a connection.
import type { ScenarioPlan } from '../plan/plan.js';
import { commandRuns, conditionalRequests, plannedRequests, requestBudget, type PlannedAttack } from '../plan/requests.js';
import type { TemplateScope } from '../scenario/types.js';
import type { Redactor } from '../secrets/redactor.js';
import type { HttpRequest } from '../model/http.js';
import { location, plural } from '../model/text.js';

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
  let extra = 0;
  let commands = 0;
  let correct = 0;
  let atMost = 0;
  for (const plan of plans) {
    const { scenario } = plan;
    lines.push(`${scenario.name}  (${location(scenario.file, scenario.pos.line)})`);
    lines.push(`  oracle: ${oracleSummary(scenario.effects?.count?.kind)}`);
    const planned = plannedRequests(plan, scope);
    for (const a of planned) lines.push(...attackLines(a, scenario.idempotency.header, redact));
    total += requestBudget(planned);
    extra += conditionalRequests(planned);
    commands += commandRuns(planned);
    for (const a of planned) {
      correct += a.runs * a.effects.correct;
      atMost += a.runs * a.effects.atMost;
    }
    lines.push('');
  }
  const besides = commands > 0 ? ` (and ${plural(commands, 'oracle command run')}, which send nothing over HTTP)` : '';
  const ifs = extra > 0 ? `, ${total + extra} if every step marked "if" runs` : '';
  lines.push(
    `at least ${total} requests in all${ifs}${besides}; side effects on the target: ${correct} if it handles keys correctly, up to ${atMost} if it does not`,
    'dry run: nothing was sent',
  );
  return lines.join('\n') + '\n';
}

function oracleSummary(kind: 'request' | 'command' | undefined): string {
  switch (kind) {
    case undefined:
      return 'none (verdicts are response-only)';
    case 'request':
      return 'an HTTP request before and after every attack run, listed under each attack with that run\'s run id';
    case 'command':
      return 'a command (sh -c) run before and after every attack run, listed under each attack with that run\'s run id; it sends nothing over HTTP';
  }
}

function attackLines(a: PlannedAttack, keyHeader: string, redact: Redactor): string[] {
  if (a.skip) return [`  ${a.attack}: skipped (${a.skip})`];
  const effects = `${plural(a.runs * a.effects.correct, 'side effect')} if correct, up to ${a.runs * a.effects.atMost}`;
  const out = [a.runs > 1 ? `  ${a.attack}: ${a.runs} runs (--repeat), each with fresh keys and run ids, as the one below: ${effects}` : `  ${a.attack}: ${effects}`];
  for (const r of a.requests) {
    const key = Object.entries(r.request.headers).find(([k]) => k.toLowerCase() === keyHeader.toLowerCase())?.[1];
    out.push(`    ${ifPrefix(r.condition)}${r.times > 1 ? `${r.times} × ` : ''}${requestLine(r.request, redact, keyHeader)}  key ${key ?? '(none)'}  ${r.label}`);
    if (r.request.body) out.push(`      ${redact.text(r.request.body.toString('utf8'))}`);
  }
  for (const r of a.reads) {
    const what = r.request ? requestLine(r.request, redact) : `sh -c ${redact.text(r.command ?? '')}`;
    const unit = r.request ? 'request' : 'run';
    out.push(`    ${ifPrefix(r.condition)}oracle: ${what}  ${plural(r.times, unit)}${r.times > 1 ? ' at the least' : ''} (${r.label})`);
  }
  return out;
}

/** A step sent only if what the run measures says so: "if every original took ≥ 50 ms: ". */
function ifPrefix(condition: string | undefined): string {
  return condition === undefined ? '' : `if ${condition}: `;
}

function requestLine(req: HttpRequest, redact: Redactor, omit = ''): string {
  const headers = Object.entries(redact.headers(req.headers))
    .filter(([k]) => k.toLowerCase() !== omit.toLowerCase())
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  return `${req.method} ${redact.text(req.url)}${headers ? `  [${headers}]` : ''}`;
}
