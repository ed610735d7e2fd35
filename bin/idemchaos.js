#!/usr/bin/env node
// Thin launcher. `--version` is answered here, before the CLI (and commander)
// loads, since `npx idemchaos --version` pays start-up on every call.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  await import('../dist/src/cli/main.js');
}
