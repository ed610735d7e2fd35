// `validate` runs in CI lint steps that have no secrets yet: there, undefined
// env.*, vars.* and secrets.* are warnings; a misspelt template stays an error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadScenarios } from '../../src/run/load.js';
import { cli } from '../helpers/harness.js';
import { brief, loadError, TempDir } from './helpers.js';

const EMPTY = { env: {}, vars: {}, secrets: {} };

let tmp: TempDir;
before(async () => {
  tmp = await TempDir.create();
});
after(async () => {
  await tmp.remove();
});

const LINT = `name: lint
target: "{{ env.IC_UNSET_BASE_URL }}"
request:
  path: /orders
  headers: { Authorization: "Bearer {{ secrets.TOKEN }}", X-Tenant: "{{ vars.tenant }}" }
  json: { ref: "{{ run.id }}" }
effects:
  count: { request: { path: "/orders?ref={{ run.id }}" }, select: $.count }
`;

describe("loader option undefinedVariables: 'warn'", () => {
  it('turns undefined env, vars and secrets into warnings and loads the scenario', async () => {
    const file = await tmp.file('lint.yaml', LINT);
    const { scenarios, warnings } = await loadScenarios([file], { scope: EMPTY, undefinedVariables: 'warn' });
    assert.equal(scenarios.length, 1);
    assert.deepEqual(brief(warnings), [
      "lint.yaml:2:10-37 undefined variable 'env.IC_UNSET_BASE_URL' (set it in the environment, or pass --target); a run needs it",
      "lint.yaml:5:37-56 undefined variable 'secrets.TOKEN' (no secret named 'TOKEN' is defined); a run needs it",
      "lint.yaml:5:70-87 undefined variable 'vars.tenant' (no var named 'tenant' is defined); a run needs it",
    ]);
    assert.ok(warnings.every((w) => w.severity === 'warning'));
  });

  it('keeps a misspelt namespace, an unknown one and an uncaptured capture as errors', async () => {
    const file = await tmp.file(
      'typos.yaml',
      LINT.replace('{{ vars.tenant }}', '{{ var.tenant }}').replace('Bearer {{ secrets.TOKEN }}', '{{ secret.TOKEN }}{{ vault.TOKEN }}{{ captures.session }}'),
    );
    const error = await loadError([file], { scope: EMPTY, undefinedVariables: 'warn' });
    assert.deepEqual(brief(error.messages), [
      "typos.yaml:5:30-48 unknown template expression 'secret.TOKEN' (did you mean 'secrets.TOKEN'?): use env.NAME, vars.NAME, secrets.NAME, captures.NAME, run.id, key, uuid() or now()",
      "typos.yaml:5:48-65 unknown template expression 'vault.TOKEN': use env.NAME, vars.NAME, secrets.NAME, captures.NAME, run.id, key, uuid() or now()",
      "typos.yaml:5:65-87 undefined variable 'captures.session' (no setup step captures 'session')",
      "typos.yaml:5:101-117 unknown template expression 'var.tenant' (did you mean 'vars.tenant'?): use env.NAME, vars.NAME, secrets.NAME, captures.NAME, run.id, key, uuid() or now()",
    ]);
    assert.deepEqual(brief(error.warnings), ["typos.yaml:2:10-37 undefined variable 'env.IC_UNSET_BASE_URL' (set it in the environment, or pass --target); a run needs it"]);
  });

  it('by default (as run loads) they stay errors', async () => {
    const file = await tmp.file('run.yaml', LINT);
    const error = await loadError([file], { scope: EMPTY });
    assert.deepEqual(
      error.messages.map((m) => `${m.severity}: ${m.message}`),
      [
        "error: undefined variable 'env.IC_UNSET_BASE_URL' (set it in the environment, or pass --target)",
        "error: undefined variable 'secrets.TOKEN' (no secret named 'TOKEN' is defined)",
        "error: undefined variable 'vars.tenant' (no var named 'tenant' is defined)",
      ],
    );
  });
});

describe('idemchaos validate in a CI lint step without secrets', () => {
  it('exits 0 with warnings for undefined variables; run still refuses them (exit 2)', async () => {
    const file = await tmp.file('ci.yaml', LINT);
    const validate = await cli(['validate', file]);
    assert.equal(validate.code, 0, validate.stdout + validate.stderr);
    assert.equal(validate.stdout, '1 file, 1 scenario: valid\n');
    assert.match(validate.stderr, /^warning: undefined variable 'secrets\.TOKEN'/m);
    assert.doesNotMatch(validate.stderr, /^error:/m);
    const run = await cli(['run', file, '--dry-run']);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /error: undefined variable 'secrets\.TOKEN'/);
  });

  it('exits 2 for {{ var.X }}, with the suggestion', async () => {
    const file = await tmp.file('ci-typo.yaml', LINT.replace('{{ vars.tenant }}', '{{ var.tenant }}'));
    const validate = await cli(['validate', file]);
    assert.equal(validate.code, 2, validate.stdout + validate.stderr);
    assert.match(validate.stderr, /error: unknown template expression 'var\.tenant' \(did you mean 'vars\.tenant'\?\)/);
  });
});
