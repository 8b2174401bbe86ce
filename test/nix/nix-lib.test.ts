// Runs the Nix-level unit tests (nix/tests: expr/expected pairs) and reports each failure by name.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { repoRoot } from '../support/nix.js';

it('nix/tests: every expr equals its expected value', async () => {
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', join(repoRoot, 'nix/tests')]);
  const result = JSON.parse(stdout) as { total: number; failures: { name: string; expr: unknown; expected: unknown }[] };
  assert.ok(result.total >= 20, `found ${result.total} cases`);
  assert.deepEqual(result.failures, []);
});
