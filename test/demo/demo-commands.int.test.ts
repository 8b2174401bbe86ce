// `npm run demo` on one package, then every command it tells the user to run,
// exactly as printed, from another directory and a shell that knows nothing of
// the demo (another HOME, no XDG variables). They must act on the demo's
// state: status shows the package optimized, rollback finds the earlier
// generation, and status afterwards shows what the rollback did.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { makeTempDir, repoRoot } from '../support/nix.js';

const demo = join(repoRoot, 'dist/demo/run-demo.js');
const elsewhere = makeTempDir('demo-user');
const userEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: elsewhere };

/** Runs a printed command line as a user would, pasting it into a shell. */
function asPrinted(line: string): Promise<{ stdout: string; stderr: string }> {
  return run('/bin/sh', ['-c', line], { cwd: elsewhere, env: userEnv, timeoutMs: 120_000 });
}

describe('the demo', { timeout: 1_200_000 }, () => {
  let output = '';
  let commands: string[] = [];

  before(async () => {
    const env = { ...process.env };
    delete env.XDG_STATE_HOME;
    ({ stdout: output } = await run(process.execPath, [demo, '--packages', 'calc', '--runs', '3'], {
      env,
      timeoutMs: 1_200_000,
    }));
    const tail = output.slice(output.indexOf('The daemon has stopped.'));
    commands = tail
      .split('\n')
      .filter((l) => l.startsWith('  '))
      .map((l) => l.trim());
  });

  it('prints the speedup with the spread of its runs', () => {
    assert.match(output, /calc\s+speedup ×\d+\.\d\d \(IQR ×\d+\.\d\d–×\d+\.\d\d, min–max ×\d+\.\d\d–×\d+\.\d\d\)/);
  });

  it('writes a config that names its own state directory', () => {
    const configFile = /^config: (\S+)/m.exec(output)?.[1];
    assert.ok(configFile, output);
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { stateDir?: string };
    assert.ok(config.stateDir?.startsWith('/'), `stateDir in ${configFile}`);
  });

  it('prints a status and a rollback command, and both work as printed', async () => {
    assert.deepEqual(
      commands.map((c) => c.split(' ')[2]),
      ['status', 'rollback'],
      output,
    );
    const [statusLine, rollbackLine] = commands as [string, string];

    const before = await asPrinted(statusLine);
    assert.match(before.stdout, /^calc: optimized$/m);
    assert.match(before.stdout, /^ {2}active: {3}optimized/m);

    const rolled = await asPrinted(rollbackLine);
    assert.doesNotMatch(rolled.stdout + rolled.stderr, /no earlier generation/);

    const after = await asPrinted(statusLine);
    assert.match(after.stdout, /^calc: \w+ \(held by a rollback\)$/m);
    assert.match(after.stdout, /^ {2}active: {3}profile/m);
  });
});
