// Ctrl-C during a build: the terminal sends SIGINT to the daemon and to the nix-build it runs. The
// daemon says at once that it is stopping and what it interrupts, records the build as interrupted
// (no failure, no backoff), and the next start builds it again at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cli, status, waitFor, writeConfig } from '../support/daemon.js';
import { makeTempDir } from '../support/nix.js';

describe('Ctrl-C during a build', { timeout: 300_000 }, () => {
  it('interrupts the build, says so at once, and the next start builds it again without a backoff', async () => {
    // slowProfile's profiling build sleeps 4 s; the backoff would be an hour if the interruption counted as a failure.
    const setup = writeConfig(makeTempDir('interrupt'), ['slowProfile'], {
      retry: { initialDelaySeconds: 3600, maxDelaySeconds: 3600 },
    });
    const slow = async () => (await status(setup)).packages[0]!;
    // Its own process group, as a shell's foreground job: the SIGINT reaches nix-build too.
    const daemon = spawn(process.execPath, [cli, 'daemon', '--config', setup.configFile, '--tick-ms', '200'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    daemon.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    await waitFor('the profiling build to run', async () => ((await slow()).building ? true : undefined));
    const interruptedAt = Date.now();
    process.kill(-daemon.pid!, 'SIGINT');
    await waitFor(
      'the daemon to say it stops',
      async () => (output.includes('"event":"daemon-stopping"') ? true : undefined),
      2000,
    );
    assert.match(
      output,
      /"event":"daemon-stopping","interrupting":\[\{"package":"slowProfile","variant":"profile"\}\]/,
    );
    assert.equal(await exited, 0, output);
    assert.ok(Date.now() - interruptedAt < 4000, 'it stops without waiting for the build');

    const after = await slow();
    assert.equal(after.building, null);
    assert.equal(after.failures, 0);
    assert.equal(after.nextRetryAt, null);
    assert.equal(after.lastBuild, null, 'an interrupted build is not a failed one');
    assert.match(after.reason, /interrupted/);

    const again = spawn(process.execPath, [cli, 'daemon', '--config', setup.configFile, '--tick-ms', '200'], {
      stdio: 'ignore',
    });
    try {
      const built = await waitFor('the profiling build again', async () => {
        const p = await slow();
        return p.activeVariant === 'profile' ? p : undefined;
      });
      assert.equal(built.lastBuild?.ok, true);
    } finally {
      again.kill('SIGTERM');
    }
  });
});
