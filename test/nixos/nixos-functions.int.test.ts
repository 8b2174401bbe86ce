// The plain functions behind the NixOS and home-manager modules (nix/nixos/),
// tested in Nix (nix/tests/nixos.nix: expr/expected pairs, builtins only, no
// <nixpkgs>): which variant a name resolves to for a lock, what the daemon's
// Nix file gives, the rendered config, the environment, the tmpfiles rules,
// the unit.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { nixDir, type NixTestResult } from './nixos-support.js';

it('nix/tests/nixos.nix: every expr equals its expected value', async () => {
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', join(nixDir, 'tests/nixos.nix')], {
    timeoutMs: 300_000,
  });
  const result = JSON.parse(stdout) as NixTestResult;
  assert.ok(result.total >= 17, `found ${result.total} cases`);
  assert.deepEqual(result.failures, []);
});
