#!/usr/bin/env node
// Thin launcher. `--version` is answered here, before the CLI (and commander)
// loads, since `npx idemchaos --version` pays start-up on every call.
const args = process.argv.slice(2);
// A reader that stops early (`idemchaos --help | head`) is no error of ours.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  const main = new URL('../dist/src/cli/main.js', import.meta.url);
  const { existsSync } = await import('node:fs');
  if (!existsSync(main)) {
    // A clone linked with `npm link` before (or without) `npm run build`.
    const { fileURLToPath } = await import('node:url');
    process.stderr.write(`idemchaos: not built: run  npm ci && npm run build  in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
    process.exit(2);
  }
  await import(main.href);
}
