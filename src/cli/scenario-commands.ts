// Scenario files as a first-class format: `init`, `validate`, `schema`.
import { writeFile, access } from 'node:fs/promises';
import { findScenarioFiles } from '../scenario/discover.js';
import { loadScenarios } from '../run/load.js';
import { formatMessages } from '../scenario/errors.js';
import { schemaText } from '../scenario/schema.js';
import { EXIT } from './exit-codes.js';
import { FlagError, reportSetupError } from './errors.js';
import { scopeFrom } from './options.js';
import { commandName, schemaReference } from './invocation.js';
import { shellQuote } from './shell.js';
import path from 'node:path';

export function schemaCommand(): number {
  process.stdout.write(schemaText());
  return EXIT.ok;
}

/** Checks scenarios exactly as `run` would load them, sending nothing. */
export async function validateCommand(paths: string[], flags: { var?: string[]; secret?: string[]; envFile?: string; preset?: string; target?: string }): Promise<number> {
  try {
    const files = await findScenarioFiles(paths);
    const scope = scopeFrom(flags);
    const { scenarios, warnings, sources } = await loadScenarios(files, {
      scope,
      undefinedVariables: 'warn', // CI lint steps validate before any secret exists (issue 9)
      ...(flags.target ? { targetOverride: flags.target } : {}),
      ...(flags.preset ? { preset: flags.preset } : {}),
    });
    if (warnings.length > 0) process.stderr.write(`${formatMessages(warnings, sources)}\n\n`);
    process.stdout.write(`${files.length} file${files.length === 1 ? '' : 's'}, ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'}: valid\n`);
    return EXIT.ok;
  } catch (err) {
    return reportSetupError(err);
  }
}

export async function initCommand(
  file: string | undefined,
  flags: { force?: boolean; from?: string; out?: string; operation?: string[]; allPosts?: boolean; preset?: string },
): Promise<number> {
  if (flags.from !== undefined) {
    const { initFromOpenApiCommand } = await import('./openapi-command.js');
    return initFromOpenApiCommand(file, { ...flags, from: flags.from });
  }
  const target = file ?? 'idemchaos.yaml';
  try {
    const needsFrom = [flags.out && '--out', flags.operation && '--operation', flags.allPosts && '--all-posts', flags.preset && '--preset'].filter(Boolean);
    if (needsFrom.length > 0) throw new FlagError(`${needsFrom.join(', ')} ${needsFrom.length === 1 ? 'needs' : 'need'} --from <openapi document>`);
    if (!flags.force && (await exists(target))) throw new FlagError(`${target} exists; pass --force to overwrite it`);
    // Hints that work from here: how this idemchaos was run, and where its schema is installed.
    const command = commandName();
    const run = `${command} run ${shellQuote(target)}`;
    const schema = schemaReference(path.dirname(path.resolve(target)));
    try {
      await writeFile(target, starter(schema, command));
    } catch (err) {
      throw new FlagError(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    process.stdout.write(`wrote ${target}: edit the target, request and oracle, then run  ${run}\n`);
    if (!schema.portable) {
      process.stdout.write(
        `its $schema line points at ${schema.ref} (this machine's idemchaos); for a file you share, write the schema beside it:\n` +
          `  ${command} schema > idemchaos.schema.json   # and point $schema at ./idemchaos.schema.json\n`,
      );
    }
    return EXIT.ok;
  } catch (err) {
    return reportSetupError(err);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The starter scenario, its $schema line and run hint made for this install. */
function starter(schema: { ref: string; portable: boolean }, command: string): string {
  const share = schema.portable
    ? ''
    : `# (a path on this machine; to share this file: ${command} schema > idemchaos.schema.json,\n#  then $schema=./idemchaos.schema.json)\n`;
  return `# yaml-language-server: $schema=${schema.ref}\n${share}# An idemchaos scenario: one non-idempotent operation of your API, and how to\n# count its side effects. Run it with:  ${command} run <this file>\n${STARTER_BODY}`;
}

const STARTER_BODY = `name: create order
# Base URL; {{ env.X }} reads the environment, --target overrides it.
target: "{{ env.BASE_URL }}"

# The operation under test. idemchaos adds the idempotency key header itself.
request:
  method: POST
  path: /orders
  headers:
    Authorization: "Bearer {{ env.TOKEN }}"   # shown as *** in every report
  json:
    sku: widget-1
    qty: 2
    ref: "{{ run.id }}"        # unique per attack run, so the oracle counts only this run

idempotency:
  header: Idempotency-Key      # the default
  ttl: 24h                     # the retention your API documents (the expiry attack waits it out)

# The side-effect oracle: how many orders this run created. Responses can look
# idempotent while the database holds duplicates; this is what catches it.
effects:
  count:
    request: { method: GET, path: "/orders?ref={{ run.id }}" }
    select: $.count            # JSONPath to a number, or to an array whose length counts
  id: $.id                     # optional: where a created order names itself
  # or count with a command that prints a number:
  # command: "psql -tAc \\"select count(*) from orders where ref='{{ run.id }}'\\""

# The contract; these are the IETF draft's defaults (see also \`preset:\`).
expect:
  success: [200, 201]
  inFlight: [409]              # a duplicate that arrives while the first is running
  mismatch: [422]              # the same key with a different payload
  afterExpiry: new

# Which attacks run; leave the block out to run every attack the scenario allows.
# A 24h ttl makes the expiry attack wait a day: list the others for a quick run.
attacks:
  replay: {}
  concurrent: { requests: 20 }
  reuse: {}
  drop: {}
`;
