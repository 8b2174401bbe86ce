// docs/nixos.md's complete example configuration, evaluated with the module
// and the real module system, as NixOS would before building: no failed
// assertion, the options it sets in the rendered config, the named packages
// on their profiling variants. The example names emacs and sqlite; the test
// package set has the example programs instead (calc for emacs, wordfreq for
// sqlite). Skipped without <nixpkgs/lib> on the Nix search path.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, repoRoot } from '../support/nix.js';
import { evalJson, findNixpkgsLib, harness, nixDir } from './nixos-support.js';

const found = await findNixpkgsLib();
const skip = 'missing' in found ? found.missing : false;

/** The code block after the `<!-- test: nixos-example -->` line. */
function exampleConfiguration(markdown: string): string {
  const lines = markdown.split('\n');
  const marker = lines.indexOf('<!-- test: nixos-example -->');
  assert.ok(marker >= 0, 'docs/nixos.md has no <!-- test: nixos-example --> block');
  assert.equal(lines[marker + 1], '```nix');
  const end = lines.indexOf('```', marker + 2);
  return lines.slice(marker + 2, end).join('\n');
}

describe('docs/nixos.md', { skip }, () => {
  it('the complete example configuration evaluates, passes every assertion and sets what it says', async () => {
    const example = exampleConfiguration(readFileSync(join(repoRoot, 'docs/nixos.md'), 'utf8'))
      .replace(/\/etc\/nixos\/nix-pgo\/nix\/nixos-module\.nix/, join(nixDir, 'nixos-module.nix'))
      .replace(/emacs/g, 'calc')
      .replace(/sqlite/g, 'wordfreq');
    const dir = makeTempDir('nixos-docs');
    const file = join(dir, 'configuration.nix');
    writeFileSync(file, example);
    try {
      const result = await evalJson<{
        failed: string[];
        policy: unknown;
        trusted: unknown;
        kinds: unknown;
        installed: string[];
      }>(`
        let
          t = ${harness()};
          e = t.nixos [ (import ${JSON.stringify(file)}) ];
          pkgs = e._module.args.pkgs;
          s = e.config.services.nix-pgo.finalSettings;
        in {
          failed = t.failedAssertions e;
          policy = s.policy;
          trusted = s.trustedUsers;
          kinds = { calc = pkgs.calc.pgoKind; wordfreq = pkgs.wordfreq.pgoKind; };
          installed = map (p: p.pgoKind or "plain") e.config.environment.systemPackages;
        }`);
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.policy, { thresholdMB: 5, onReady: 'switch', minRuns: 10 });
      assert.deepEqual(result.trusted, ['root', 'alice', 'postgres']);
      assert.deepEqual(result.kinds, { calc: 'profile', wordfreq: 'profile' });
      assert.deepEqual(result.installed.sort(), ['plain', 'profile', 'profile']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
