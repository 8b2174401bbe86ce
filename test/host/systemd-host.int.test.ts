// The real-systemd host harness (test/support/systemd-host.ts) on this machine:
// a container boots to `running`, builds with its own Nix into its own store
// (the example set's profiling variants too), runs Node and this checkout,
// opens PAM login sessions with a user manager, runs a hardened DynamicUser
// service, and two hosts on a private network talk HTTP. Skipped only where
// containers cannot run (not root, no systemd-nspawn). See docs/testing.md.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import { repoRoot } from '../support/nix.js';
import {
  bootHost,
  createNetwork,
  ensureHostImage,
  hostSkipReason,
  type Host,
  type HostImage,
  type HostNetwork,
} from '../support/systemd-host.js';

const skip = hostSkipReason();

/** Runs a step and reports how long it took in the test's diagnostics. */
async function timed<T>(t: TestContext, what: string, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const value = await step();
  t.diagnostic(`${what}: ${Date.now() - started} ms`);
  return value;
}

describe('a real-systemd host', { skip }, () => {
  let image: HostImage;
  let solo: Host | undefined;
  let network: HostNetwork | undefined;
  const networked: Host[] = [];
  const stops: string[] = [];

  before(async () => {
    image = await ensureHostImage();
    solo = await bootHost({ name: 'solo' });
  });

  after(async () => {
    for (const host of [solo, ...networked]) {
      if (host) stops.push(`${host.name} ${await host.stop()} ms`);
    }
    await network?.remove();
    // after() has no diagnostics; the teardown times go to the runner's output.
    console.log(`host teardown: ${stops.join(', ')}`);
  });

  it('boots to `running`', async (t) => {
    const host = solo!;
    t.diagnostic(`image ${image.id}: ${image.madeMs ? `made in ${image.madeMs} ms` : 'cached'}`);
    t.diagnostic(`copy (overlay) ${host.timings.copyMs} ms, container systemd up ${host.timings.bootMs} ms`);
    await timed(t, 'until running', () => host.waitRunning());
    const state = await host.exec(['systemctl', 'is-system-running']).then(
      (r) => r.stdout.trim(),
      async (error: Error) => `${error.message}; failed: ${(await host.failedUnits()).join(', ')}`,
    );
    assert.equal(state, 'running');
    assert.equal((await host.exec(['hostname'])).stdout.trim(), 'solo');
  });

  it("builds a derivation with the host's own Nix into its own store", async (t) => {
    const host = solo!;
    const salt = randomUUID();
    await host.writeFile(
      '/root/probe.nix',
      `derivation { name = "host-probe"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo ${salt} > $out" ]; }\n`,
    );
    const path = await timed(t, 'nix-build inside', async () =>
      (await host.exec(['nix-build', '--no-out-link', '/root/probe.nix'])).stdout.trim(),
    );
    assert.match(path, /^\/nix\/store\/[a-z0-9]{32}-host-probe$/);
    assert.equal((await host.readFile(path)).trim(), salt);
    await host.exec(['nix-store', '--check-validity', path]);
    assert.equal(existsSync(path), false, `${path} is in this machine's store too`);
    await assert.rejects(run('nix-store', ['--check-validity', path]), ToolError);
  });

  it("builds the example set's clang and GCC profiling variants with the image's toolchain", async (t) => {
    const host = solo!;
    const examples = join(repoRoot, 'examples');
    const build = (attr: string) =>
      timed(t, `nix-build ${attr}`, async () =>
        (await host.exec(['nix-build', '--no-out-link', examples, '-A', attr])).stdout.trim(),
      );
    const calc = await build('calc.pgo.profile');
    await build('wordfreq.pgo.profile');
    await host.exec([`${calc}/bin/calc`, '7'], { env: { LLVM_PROFILE_FILE: '/tmp/calc.profraw' } });
    await host.exec(['test', '-s', '/tmp/calc.profraw']);
  });

  it('runs Node and this checkout (read-only at the same path)', async (t) => {
    const host = solo!;
    const cli = join(repoRoot, 'dist/src/cli/main.js');
    const inside = await timed(t, 'nix-pgo --version inside', () => host.exec(['node', cli, '--version']));
    const here = await run(process.execPath, [cli, '--version']);
    assert.equal(inside.stdout, here.stdout);
    await assert.rejects(host.exec(['touch', join(repoRoot, 'package.json')]), /Read-only file system/);
  });

  it('runs a login user through PAM: pam_env, pam_systemd, and a user manager', async (t) => {
    const host = solo!;
    const uid = await host.addUser('alice', { groups: ['nix-users'] });
    const environment = await host.readFile('/etc/environment');
    await host.writeFile('/etc/environment', `${environment}NIX_PGO_HOST_TEST=from-pam-env\n`);
    const env = await timed(t, 'login session', () => host.exec(['env'], { user: 'alice' }));
    const vars = new Map(
      env.stdout
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    assert.equal(vars.get('USER'), 'alice');
    assert.equal(vars.get('HOME'), '/home/alice');
    assert.equal(vars.get('XDG_RUNTIME_DIR'), `/run/user/${uid}`, env.stdout);
    assert.equal(vars.get('NIX_PGO_HOST_TEST'), 'from-pam-env', env.stdout);
    assert.match(
      (await host.exec(['cat', '/proc/self/cgroup'], { user: 'alice' })).stdout,
      /user-\d+\.slice\/session-\d+\.scope/,
    );

    await timed(t, 'user manager (linger)', () => host.startUserManager('alice'));
    const unit = await timed(t, 'a transient user unit', () =>
      host.exec(['systemd-run', '--user', '--quiet', '--pipe', '--wait', '--', 'id', '-un'], { user: 'alice' }),
    );
    assert.equal(unit.stdout.trim(), 'alice');
    const shell = await host.exec(['printenv', 'NIX_PGO_HOST_TEST'], { user: 'alice', loginShell: true });
    assert.equal(shell.stdout.trim(), 'from-pam-env');

    // A user builds through nix-daemon, into the same store.
    await host.writeFile(
      '/home/alice/user.nix',
      `derivation { name = "user-probe"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "/usr/bin/id -un > $out" ]; }\n`,
      '0644',
      'alice',
    );
    const path = (
      await timed(t, 'nix-build as alice', () =>
        host.exec(['nix-build', '--no-out-link', 'user.nix'], { user: 'alice' }),
      )
    ).stdout.trim();
    assert.match((await host.readFile(path)).trim(), /^nixbld\d+$/, 'built by a build user of the daemon');
  });

  it('runs an installed DynamicUser service under ProtectSystem=strict', async (t) => {
    const host = solo!;
    await host.writeFile(
      '/etc/systemd/system/host-probe.service',
      [
        '[Service]',
        'Type=oneshot',
        'DynamicUser=yes',
        'ProtectSystem=strict',
        'StateDirectory=host-probe',
        'ExecStart=/usr/bin/id -un',
        'ExecStart=/usr/bin/touch /var/lib/host-probe/written',
        'ExecStart=-/usr/bin/touch /usr/probe',
        '',
      ].join('\n'),
    );
    await host.systemctl('daemon-reload');
    await timed(t, 'start the service', () => host.systemctl('start', 'host-probe.service'));
    const printed = await host.journal('host-probe.service');
    assert.match(printed, /^host-probe$/m, printed);
    assert.match(printed, /cannot touch '\/usr\/probe': Read-only file system/, printed);
    await host.exec(['test', '-f', '/var/lib/private/host-probe/written']);
  });

  it('two hosts on a private network exchange an HTTP request, and reach nothing else', async (t) => {
    network = await timed(t, 'network', () => createNetwork({ hosts: ['cache', 'client'] }));
    for (const name of network.hosts) {
      const host = await timed(t, `boot ${name}`, () => bootHost({ name, network }));
      networked.push(host);
    }
    const [cache, client] = networked as [Host, Host];
    await Promise.all([cache.waitRunning(), client.waitRunning()]);
    await cache.writeFile(
      '/srv/hello.mjs',
      [
        "import { createServer } from 'node:http';",
        "import { hostname } from 'node:os';",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the server's own JavaScript, written into the host
        'createServer((req, res) => res.end(`${hostname()} got ${req.url}\\n`)).listen(8080);',
        '',
      ].join('\n'),
    );
    await cache.exec([
      'systemd-run',
      '--unit=hello-http',
      '--property=DynamicUser=yes',
      '--',
      '/usr/bin/node',
      '/srv/hello.mjs',
    ]);
    const started = Date.now();
    let answer = '';
    for (;;) {
      try {
        answer = (await client.exec(['curl', '--silent', '--show-error', '--max-time', '5', 'http://cache:8080/ping']))
          .stdout;
        break;
      } catch (error) {
        if (Date.now() - started > 30_000) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    t.diagnostic(`first answer after ${Date.now() - started} ms`);
    assert.equal(answer, 'cache got /ping\n');
    assert.equal(client.address, '10.231.0.2');
    // Only the private subnet is routed: anything else is unreachable at once.
    assert.deepEqual(
      (await client.exec(['ip', '-o', '-4', 'route'])).stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
      ['10.231.0.0/24'],
    );
    await assert.rejects(
      client.exec(['curl', '--silent', '--show-error', '--max-time', '5', 'http://192.0.2.1/']),
      /unreachable|Couldn't connect/i,
    );
  });
});
