// `idemchaos init --from openapi.yaml`: one scenario file per operation that
// takes an idempotency key, written into a folder; says what it took and why,
// what it left out, and which files it left alone.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { generateScenarios } from '../openapi/generate.js';
import { label } from '../openapi/model.js';
import { presetForFlag } from '../scenario/presets.js';
import { EXIT } from './exit-codes.js';
import { FlagError, reportSetupError } from './errors.js';

export interface InitFromFlags {
  from: string;
  out?: string;
  operation?: string[];
  allPosts?: boolean;
  preset?: string;
  force?: boolean;
}

export async function initFromOpenApiCommand(file: string | undefined, flags: InitFromFlags): Promise<number> {
  const out = process.stdout;
  try {
    if (file !== undefined) throw new FlagError(`init --from writes one file per operation into a folder: name the folder with --out, not '${file}'`);
    const dir = flags.out ?? 'scenarios';
    const preset = presetForFlag(flags.preset);
    const { api, selection, files } = await generateScenarios({
      from: flags.from,
      out: dir,
      operations: flags.operation ?? [],
      allPosts: flags.allPosts === true,
      ...(flags.preset ? { preset: flags.preset } : {}),
    });
    const n = api.operations.length;
    out.write(`${api.title}${api.version ? ` ${api.version}` : ''} (${api.format}, ${flags.from}): ${n} operation${n === 1 ? '' : 's'}\n`);
    const width = Math.min(48, Math.max(0, ...api.operations.map((o) => label(o).length)));
    if (selection.taken.length > 0) {
      out.write(`\ntook ${selection.taken.length}:\n`);
      for (const c of selection.taken) out.write(`  ${label(c.op).padEnd(width)}  ${c.reason}\n`);
    }
    if (selection.left.length > 0) {
      out.write(`\nleft out ${selection.left.length}:\n`);
      for (const l of selection.left) out.write(`  ${label(l.op).padEnd(width)}  ${l.reason}\n`);
    }
    if (files.length === 0) {
      throw new FlagError(
        `no operation of ${flags.from} declares the ${preset.header} header or an x-idempotent / x-idempotency extension: ` +
          'pass --all-posts (every POST) or --operation "POST /path" (repeatable), or --preset for another key header',
      );
    }
    await mkdir(dir, { recursive: true });
    const wrote: string[] = [];
    const same: string[] = [];
    const kept: string[] = [];
    for (const f of files) {
      const existing = await readFile(f.file, 'utf8').catch(() => undefined);
      if (existing === f.text) same.push(f.file);
      else if (existing !== undefined && !flags.force) kept.push(f.file);
      else {
        try {
          await writeFile(f.file, f.text);
        } catch (err) {
          throw new FlagError(`cannot write ${f.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        wrote.push(f.file);
      }
    }
    out.write('\n');
    if (wrote.length > 0) out.write(`wrote ${wrote.length}:\n${wrote.map((f) => `  ${f}\n`).join('')}`);
    if (same.length > 0) out.write(`unchanged ${same.length}:\n${same.map((f) => `  ${f}\n`).join('')}`);
    if (kept.length > 0) out.write(`kept ${kept.length} (they exist and differ from what the document gives now; --force overwrites them):\n${kept.map((f) => `  ${f}\n`).join('')}`);
    out.write(`\nRead each file's comments and TODOs, then:\n  npx idemchaos validate ${dir}\n  BASE_URL=https://staging.example.com npx idemchaos run ${dir}\n`);
    return EXIT.ok;
  } catch (err) {
    return reportSetupError(err);
  }
}
