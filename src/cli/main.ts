// The command line: parses flags and hands over to one command module, loaded
// only when that command runs, so --version and --help stay cheap.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, EXIT_CODES_HELP, FLAGS_HELP } from './exit-codes.js';
import { toolInfo } from './version.js';
import { schemaAttackIds } from '../scenario/schema-file.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
// Kept here, not imported, so --help loads nothing but commander.
const PRESET_LIST = 'ietf (default), stripe, adyen, brandur, express-idempotency, node-idempotency, paypal';
// The ids of DEMO_MODES in src/demo/modes.ts, in its order (test/demo/serve-demo.test.ts checks).
const DEMO_MODE_LIST = 'correct, no-idempotency, race, ignore-body, replay-differs, early-expiry, forget-on-disconnect, conflict-500, key-optional, long-key-500, keys-shared-across-operations, keys-shared-across-tenants, expiry-burst-race, locked-after-error, per-instance-store';
const PROXY_FAULT_LIST = 'drop-response (default), reset-before, timeout, in-flight, server-error, mismatch, none';
const PROXY_EXIT_HELP = `Exit codes: 0 no finding, 1 findings, 2 usage, 3 the upstream unreachable or the command could not start,
4 a report could not be written. The command's own exit status is reported; it does not change the exit code.`;

function buildProgram(): Command {
  const program = new Command('idemchaos')
    .description('Prove, with evidence, whether an HTTP API\'s Idempotency-Key handling survives real retries.')
    .version(toolInfo().version, '-v, --version')
    .showSuggestionAfterError()
    .addHelpText('after', `\n${FLAGS_HELP}\n\n${EXIT_CODES_HELP}\n\nRedirects are never followed; HTTP proxies are not supported.`)
    .exitOverride();

  const run = program
    .command('run')
    .description('run every scenario in the given files and directories (*.yaml, *.yml; directories recursively)')
    .argument('<paths...>', 'scenario files or directories')
    .option('--target <url>', 'base URL, overriding each scenario\'s target; repeat it for several instances of one deployment', collect);
  commonRunOptions(run)
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (paths: string[], opts) => {
      const { runCommand } = await import('./run-command.js');
      process.exitCode = await runCommand(paths, opts);
    });

  const probe = program
    .command('probe')
    .description('attack one endpoint from flags alone, with no scenario file')
    .argument('<url>', 'the endpoint, e.g. https://staging.example.com/orders')
    .addOption(new Option('-X, --method <method>', 'HTTP method').default('POST'))
    .option('-H, --header <line>', 'a request header, "Name: value" (repeatable)', collect)
    .option('--json <body>', 'JSON body; templates allowed, e.g. \'{"ref":"{{ run.id }}"}\'')
    .option('--data <body>', 'raw body (give its Content-Type with -H)')
    .option('--key-header <name>', 'the idempotency key header (default Idempotency-Key)')
    .option('--count <url-or-path>', 'oracle: a GET on this path (or same-origin URL) counts the side effects; filter by {{ run.id }}')
    .option('--count-select <jsonpath>', 'oracle: where the count is in its response (default $: a number or an array)')
    .option('--id <jsonpath>', 'where a success response names the created resource')
    .option('--ttl <duration>', 'the retention the API documents (enables the expiry attack)')
    .option('--expect-mismatch <codes>', 'statuses allowed for the same key with another payload, e.g. 400 or 4xx')
    .option('--expect-in-flight <codes>', 'statuses allowed for a duplicate while the first runs, e.g. 409')
    .option('--after-expiry <mode>', 'new | reject | replay | any')
    .option('--instance <url>', 'another instance of the same deployment; the requests of one key go round robin (repeatable)', collect)
    .option('--tenant <header>', 'a principal, "Authorization: Bearer ..." (repeatable: the tenant attack needs two)', collect)
    .option('--max-key-length <n>', 'the longest key the API accepts, or none (default 255)')
    .option('--invalid <json>', 'JSON fields that make the request invalid, merged into --json (enables error-retry)');
  commonRunOptions(probe)
    .addHelpText('after', `\nExample:\n  idemchaos probe http://localhost:3000/orders --json '{"sku":"a","ref":"{{ run.id }}"}' \\\n    --count '/orders?ref={{ run.id }}' --count-select '$.count'\n\n${EXIT_CODES_HELP}`)
    .action(async (url: string, opts) => {
      const { probeCommand } = await import('./probe-command.js');
      process.exitCode = await probeCommand(url, opts);
    });

  program
    .command('validate')
    .description('check scenario files without sending anything (exit 0 or 2)')
    .argument('<paths...>', 'scenario files or directories')
    .option('--var <NAME=VALUE>', 'set {{ vars.NAME }} (repeatable)', collect)
    .option('--secret <NAME=VALUE>', 'set {{ secrets.NAME }} (repeatable)', collect)
    .option('--env-file <file>', 'read {{ env.* }} values from a dotenv file')
    .option('--preset <name>', 'contract preset')
    .option('--target <url>', 'base URL, so scenarios need not resolve their own target')
    .action(async (paths: string[], opts) => {
      const { validateCommand } = await import('./scenario-commands.js');
      process.exitCode = await validateCommand(paths, opts);
    });

  program
    .command('init')
    .description('write a commented starter scenario (default idemchaos.yaml), or with --from one per operation of an OpenAPI document')
    .argument('[file]', 'where to write the starter')
    .option('--from <openapi>', 'an OpenAPI 3.0/3.1 or Swagger 2.0 document (YAML or JSON): one scenario per operation that declares the key')
    .option('--out <dir>', 'with --from: the folder to write to (default scenarios/)')
    .option('--operation <"METHOD /path">', 'with --from: take this operation too, e.g. "POST /orders" (repeatable)', collect)
    .option('--all-posts', 'with --from: take every POST, for APIs that accept a key on every POST without declaring it')
    .option('--preset <name>', `with --from: contract preset (its key header selects operations): ${PRESET_LIST}`)
    .option('--force', 'overwrite existing files')
    .addHelpText('after', '\nExample:\n  npx idemchaos init --from openapi.yaml --out scenarios/ && npx idemchaos validate scenarios/')
    .action(async (file: string | undefined, opts) => {
      const { initCommand } = await import('./scenario-commands.js');
      process.exitCode = await initCommand(file, opts);
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files (the one the runtime validates with)')
    .action(async () => {
      const { schemaCommand } = await import('./scenario-commands.js');
      process.exitCode = schemaCommand();
    });

  const merge = program
    .command('merge-reports')
    .description('merge the JSON reports of --shard runs into any reporter; exits with the merged verdict')
    .argument('<files...>', 'JSON reports written by --report-json')
    .option('--report-json <file>', 'write the merged JSON report');
  reportOptions(merge)
    .option('--quiet', 'print only findings and the summary')
    .action(async (files: string[], opts) => {
      const { mergeReportsCommand } = await import('./merge-command.js');
      process.exitCode = await mergeReportsCommand(files, opts);
    });

  const proxy = program
    .command('proxy')
    .description('a forwarding proxy that loses answers on purpose and judges whether the client retries safely (the client\'s half)')
    .argument('[command...]', 'after --: a command to run with IDEMCHAOS_PROXY_URL set; judged when it exits')
    .requiredOption('--upstream <url|demo>', 'where to forward (http:// or https://, its base path kept), or demo for the embedded demo API')
    .option('--listen <host:port>', 'where the proxy listens', '127.0.0.1:0')
    .option('--fault <name>', `fault for each new operation's first attempt, in turn (repeatable): ${PROXY_FAULT_LIST}`, collect)
    .option('--match <rule>', 'operations under audit, "METHOD PATH-GLOB" (repeatable; default: every POST and PATCH)', collect)
    .option('--key-header <name>', 'the idempotency key header', 'Idempotency-Key')
    .option('--duration <duration>', 'bound for the whole session, the command included', '5m')
    .option('--hold <duration>', 'how long the timeout fault holds an answer before dropping it', '30s')
    .option('--timeout <duration>', 'bound for reading each request and for each upstream answer', '30s')
    .option('--max-attempts <n>', 'more attempts than this for one operation is a retry storm', '6')
    .option('--volatile-header <name>', 'a header that may change between attempts, added to the built-in list (repeatable; * globs)', collect)
    .option('--insecure', 'accept any TLS certificate from an https upstream')
    .option('--ca <file>', 'trust this CA certificate (PEM) for an https upstream')
    .option('--secret <NAME=VALUE>', 'a value never shown in any output, wherever the client sends it (repeatable; also IDEMCHAOS_SECRET_<NAME>)', collect)
    .option('--report-json <file>', 'write the JSON report (with every operation\'s attempts) to this file');
  reportOptions(proxy)
    .option('--verbose', 'also print a line per request while a command runs')
    .option('--quiet', 'print only findings and the summary')
    .addHelpText('after', `\nExamples:\n  npx idemchaos proxy --upstream demo -- node my-client.js\n  npx idemchaos proxy --upstream https://staging.example.com --fault drop-response --fault in-flight -- npm test\n\n${PROXY_EXIT_HELP}`)
    .action(async (command: string[], opts) => {
      const { proxyCommand } = await import('./proxy-command.js');
      process.exitCode = await proxyCommand(command, opts);
    });

  program
    .command('demo')
    .description('start the embedded demo API once per bug mode and show what idemchaos finds in each (exits 0 when the demo ran)')
    .option('--report-json <file>', 'write the JSON report of every mode to this file')
    .action(async (opts) => {
      const { demoCommand } = await import('./demo-command.js');
      process.exitCode = await demoCommand(opts);
    });

  program
    .command('serve-demo')
    .description('start the embedded demo API on its own, to try scenarios by hand')
    .option('--bug <mode>', `the bug to simulate (correct when absent): ${DEMO_MODE_LIST}; \`idemchaos demo\` describes each`, 'correct')
    .option('--port <n>', 'port to listen on (random when absent; with --instances, instance i takes port + i)', '0')
    .option('--instances <n>', 'how many instances to start, each on its own port, sharing one order store and one key store (--bug per-instance-store: a key store each)', '1')
    .option('--latency <duration>', 'simulated work per created order', '50ms')
    .option('--ttl <duration>', 'how long keys are kept', '2s')
    .action(async (opts) => {
      const { serveDemoCommand } = await import('./demo-command.js');
      process.exitCode = await serveDemoCommand(opts);
    });
  return program;
}

/** Report files, shared by `run`, `probe` and `merge-reports`. */
function reportOptions(cmd: Command): Command {
  return cmd
    .option('--report-junit <file>', 'write a JUnit XML report (a testsuite per scenario, a testcase per attack)')
    .option('--report-markdown <file>', 'write a Markdown summary (the one appended to $GITHUB_STEP_SUMMARY on GitHub Actions)')
    .option('--report-html <file>', 'write one self-contained HTML report with evidence and burst timelines');
}

/** Flags that `run` and `probe` share: what to attack, how, and where to report. */
function commonRunOptions(cmd: Command): Command {
  cmd
    .option('--var <NAME=VALUE>', 'set {{ vars.NAME }} (repeatable)', collect)
    .option('--secret <NAME=VALUE>', 'set {{ secrets.NAME }}, never shown in any output (repeatable; also IDEMCHAOS_SECRET_<NAME>)', collect)
    .option('--env-file <file>', 'read {{ env.* }} values from a dotenv file (the real environment wins)')
    .option('--preset <name>', `contract preset: ${PRESET_LIST} (a scenario's own preset: wins)`)
    .option('--attack <ids>', `run only these attacks, comma-separated: ${schemaAttackIds().join(',')}`)
    .option('--engine <name>', 'how concurrent bursts are sent: auto (h2 when an https target offers it, else h1), h1, h2, naive')
    .option('--requests <n>', 'duplicates per concurrent burst, 1 to 1000 (default 20)')
    .option('--repeat <n>', 'run each attack n times (1 to 1000) and report the rate, for races that show only sometimes')
    .option('--report-json <file>', 'write the JSON report to this file');
  reportOptions(cmd)
    .addOption(new Option('--timeout <duration>', 'bound for each request').default('10s'))
    .addOption(new Option('--max-response-size <size>', 'largest response body accepted, e.g. 512KiB; a larger one is "could not test"').default('16MiB'))
    .option('--insecure', 'accept any TLS certificate (self-signed staging)')
    .option('--ca <file>', 'trust this CA certificate (PEM) in addition to the system ones')
    .option('--list', 'name the scenarios and attacks a run would execute, then exit')
    .option('--dry-run', 'print every request a run would send and the side effects it may create, then exit 0 without connecting')
    .option('--max-requests <n>', 'refuse (exit 2) a run that would send more requests than this')
    .option('--shard <i/n>', 'run only shard i of n (scenarios dealt round-robin in path order)')
    .option('--workers <n>', 'scenarios at the same time, and above 1 the attacks of each (bursts never overlap on one target); reports keep file order (default: the number of CPUs; 1 runs everything in turn)')
    .option('--verbose', 'print every exchange as it happens (redacted)')
    .option('--quiet', 'print only findings and the summary');
  return cmd;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; everything else is a usage error.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`idemchaos: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = EXIT.couldNotTest;
  }
}

await main(process.argv);
