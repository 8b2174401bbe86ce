// `eval "$(nix-pgo env)"` in a shell: with a good config it sets the variables; with a broken one it
// says why on stderr and fails, rather than setting nothing in silence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../support/daemon.js';
import { makeTempDir } from '../support/nix.js';

function shell(script: string, home: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', ['-c', script], {
    env: { PATH: process.env.PATH, HOME: home, NIX_PGO: `${process.execPath} ${cli}` },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('eval "$(nix-pgo env)"', () => {
  it('sets the variables from a good config', () => {
    const home = makeTempDir('env-good');
    writeFileSync(join(home, 'config.json'), JSON.stringify({ spoolDir: join(home, 'spool') }));
    const r = shell(`eval "$($NIX_PGO env --config ${home}/config.json)" && echo "$NIX_PGO_SPOOL"`, home);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${home}/spool\n`);
  });

  it('with a broken config, says why on stderr and fails, setting nothing', () => {
    const home = makeTempDir('env-bad');
    writeFileSync(join(home, 'config.json'), '{ "policy": { "thresholdMB": 0 } }');
    const r = shell(`eval "$($NIX_PGO env --config ${home}/config.json)"; echo "status $? [$NIX_PGO_SPOOL]"`, home);
    assert.match(r.stdout, /^status 1 \[\]$/m);
    assert.match(r.stderr, /nix-pgo env: .*config\.json/);
    assert.match(r.stderr, /policy\.thresholdMB/);
    assert.match(
      r.stderr,
      /nothing is set; instrumented programs write to the spool their build baked in until this is fixed/,
    );
    // As data, the error is there too.
    const json = shell(`$NIX_PGO env --json --config ${home}/config.json`, home);
    assert.equal(json.status, 65);
    assert.match(JSON.parse(json.stdout).error.message, /config\.json/);
  });
});
