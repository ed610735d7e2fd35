// GitHub Actions: an `::error` annotation per finding, pinned to the attack's
// entry in the scenario file, an `::warning` per attack that could not be
// tested, and the Markdown summary appended to $GITHUB_STEP_SUMMARY.
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { SEVERITY, type ScenarioResult } from '../model/results.js';
import type { Reporter } from './events.js';
import type { RunEvent } from '../model/events.js';
import { markdownSummary } from './markdown.js';

/** GitHub refuses a step summary over 1 MiB; stay under it with room for the note. */
export const STEP_SUMMARY_LIMIT = 1000 * 1024;

export interface GithubOptions {
  /** Paths in annotations are relative to this: $GITHUB_WORKSPACE, else the cwd. */
  workspace: string;
  /** $GITHUB_STEP_SUMMARY: the Markdown summary is appended to it on run-end. */
  summaryFile?: string;
  /** Where workflow commands go (stdout); called with whole lines, each ending in "\n". */
  write: (text: string) => void;
}

export class GithubReporter implements Reporter {
  readonly name = 'github';

  constructor(private readonly opts: GithubOptions) {}

  async onEvent(event: RunEvent): Promise<void> {
    switch (event.type) {
      case 'scenario-end':
        for (const line of githubAnnotations(event.result, this.opts.workspace)) this.opts.write(`${line}\n`);
        break;
      case 'run-end':
        if (this.opts.summaryFile) await appendFile(this.opts.summaryFile, capSummary(markdownSummary(event.result)));
        break;
      default:
        break;
    }
  }
}

/** The workflow-command lines for one scenario's results, without newlines. */
export function githubAnnotations(s: ScenarioResult, workspace: string): string[] {
  // Line 0: not a file (a probe's command line), so no file to pin to; the title names the command.
  const inFile = s.line > 0;
  const file = inFile ? workspacePath(s.file, workspace) : undefined;
  const name = inFile ? s.name : s.file;
  const out: string[] = [];
  if (s.error) out.push(command('warning', { file, line: s.line, title: name }, `could not test: ${s.error}`));
  for (const a of s.attacks) {
    const props = { file, line: s.attackLines?.[a.attack] ?? s.line, title: `${name} / ${a.attack}` };
    for (const f of a.findings) {
      // A critical or major finding fails the check; a minor one is a warning.
      const level = SEVERITY[f.kind] === 'minor' ? 'warning' : 'error';
      out.push(command(level, { ...props, title: `${props.title}: ${f.kind} (${SEVERITY[f.kind]})` }, `${f.kind}: ${f.message}`));
    }
    if (a.verdict === 'error') out.push(command('warning', props, `could not test: ${a.reason ?? 'unknown reason'}`));
  }
  return out;
}

/** The scenario file as GitHub expects it: relative to the workspace, with forward slashes. */
export function workspacePath(file: string, workspace: string): string {
  const rel = path.relative(path.resolve(workspace), path.resolve(file));
  return (rel === '' ? file : rel).split(path.sep).join('/');
}

function command(kind: 'error' | 'warning', props: { file: string | undefined; line: number; title: string }, message: string): string {
  const place = props.file === undefined ? '' : `file=${escapeProperty(props.file)},line=${props.line},`;
  const list = `${place}title=${escapeProperty(props.title)}`;
  return `::${kind} ${list}::${escapeData(message)}`;
}

/** Message text of a workflow command: `%`, CR and LF encoded. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value: also `:` and `,`, which would end the property list or the value. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function capSummary(md: string): string {
  if (Buffer.byteLength(md) <= STEP_SUMMARY_LIMIT) return md;
  let cut = Buffer.from(md).subarray(0, STEP_SUMMARY_LIMIT).toString('utf8');
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf('\n')));
  // A cut inside a fenced block would swallow the note; close any open fence.
  const fences = cut.match(/^`{3,}/gm) ?? [];
  const close = fences.length % 2 === 1 ? `\n${fences[fences.length - 1]}` : '';
  return `${cut}${close}\n\n… (summary cut at GitHub's step summary limit; the full report is in the JSON, HTML or Markdown report)\n`;
}
