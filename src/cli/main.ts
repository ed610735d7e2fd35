// The command line: parses flags and hands over to one command module, loaded
// only when that command runs, so --version and --help stay cheap.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { toolInfo } from './version.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function buildProgram(): Command {
  const program = new Command('idemchaos')
    .description('Prove, with evidence, whether an HTTP API\'s Idempotency-Key handling survives real retries.')
    .version(toolInfo().version, '-v, --version')
    .showSuggestionAfterError()
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nRedirects are never followed; HTTP proxies are not supported.`)
    .exitOverride();

  program
    .command('run')
    .description('run every scenario in the given files and directories (*.yaml, *.yml; directories recursively)')
    .argument('<paths...>', 'scenario files or directories')
    .option('--target <url>', 'base URL, overriding each scenario\'s target')
    .option('--var <NAME=VALUE>', 'set {{ vars.NAME }} (repeatable)', collect)
    .option('--attack <ids>', 'run only these attacks, comma-separated: replay,concurrent,reuse,expiry,drop')
    .option('--report-json <file>', 'write the JSON report to this file')
    .addOption(new Option('--timeout <duration>', 'bound for each request').default('10s'))
    .option('--insecure', 'accept any TLS certificate (self-signed staging)')
    .option('--ca <file>', 'trust this CA certificate (PEM) in addition to the system ones')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (paths: string[], opts) => {
      const { runCommand } = await import('./run-command.js');
      process.exitCode = await runCommand(paths, opts);
    });

  program
    .command('demo')
    .description('start the embedded demo API once per bug mode and show what idemchaos finds in each (exits 0 when the demo ran)')
    .option('--report-json <file>', 'write the JSON report of every mode to this file')
    .action(async (opts) => {
      const { demoCommand } = await import('../demo/run-demo.js');
      process.exitCode = await demoCommand(opts);
    });

  program
    .command('serve-demo')
    .description('start the embedded demo API on its own, to try scenarios by hand')
    .option('--bug <mode>', 'the bug to simulate (correct when absent); see `idemchaos demo` for the list', 'correct')
    .option('--port <n>', 'port to listen on (random when absent)', '0')
    .option('--latency <duration>', 'simulated work per created order', '50ms')
    .option('--ttl <duration>', 'how long keys are kept', '2s')
    .action(async (opts) => {
      const { serveDemoCommand } = await import('../demo/run-demo.js');
      process.exitCode = await serveDemoCommand(opts);
    });
  return program;
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
