// docs/fleet.md, followed literally on three real-systemd hosts (agg, m1, m2), each with its own Nix store, that
// share one directory as /srv/nix-cache: every block marked `<!-- test: run HOSTS -->` runs, in page order, on each
// of those hosts in turn, as root in a login shell (so what the page puts into ~/.profile applies to later blocks);
// every `<!-- test: file HOSTS PATH -->` block is written to PATH on each of them. A block without a marker fails.
//
// The reader's world is made here: nix-pgo's checkout at /opt/nix-pgo and its compiled CLI as
// /usr/local/bin/nix-pgo on every host.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Status } from '../../src/status/collect-status.js';
import { makeTempDir, repoRoot } from '../support/nix.js';
import { type PageBlock, pageBlocks } from '../support/page-blocks.js';
import { bootHost, ensureHostImage, type Host, hostSkipReason } from '../support/systemd-host.js';

const skip = hostSkipReason();
const page = join(repoRoot, 'docs/fleet.md');
const HOSTS = ['agg', 'm1', 'm2'] as const;
/** The longest a block may take: the waits for the fleet's rounds and its one build. */
const BLOCK_TIMEOUT_MS = 300_000;

/** A block's hosts, and for a file block its path: `agg m1 /etc/x` → hosts agg and m1, path /etc/x. */
function targetsOf(block: PageBlock): { hosts: string[]; path: string | null } {
  const words = block.argument.split(/\s+/).filter((w) => w.length > 0);
  const path = block.directive === 'file' ? (words.pop() ?? null) : null;
  return { hosts: words, path };
}

describe('docs/fleet.md', { skip, timeout: 1_200_000 }, () => {
  const blocks = pageBlocks(readFileSync(page, 'utf8'));
  const hosts = new Map<string, Host>();
  /** What each run block printed on each host, by block index and host. */
  const outputs = new Map<number, Map<string, string>>();
  let failure: Error | null = null;

  before(async () => {
    await ensureHostImage();
    const cache = makeTempDir('fleet-page-cache');
    await Promise.all(
      HOSTS.map(async (name) => {
        const host = await bootHost({
          name,
          binds: [
            { source: cache, target: '/srv/nix-cache', readOnly: false },
            { source: repoRoot, target: '/opt/nix-pgo' },
          ],
        });
        hosts.set(name, host);
        await host.waitRunning();
        await host.writeFile(
          '/usr/local/bin/nix-pgo',
          `#!/bin/sh\nexec /usr/bin/node ${join(repoRoot, 'dist/src/cli/main.js')} "$@"\n`,
          '0755',
        );
      }),
    );
    try {
      for (const [index, block] of blocks.entries()) {
        if (block.directive === 'skip') continue;
        const { hosts: names, path } = targetsOf(block);
        for (const name of names) {
          const host = hosts.get(name);
          if (!host) throw new Error(`line ${block.line}: no host ${name} (the page's hosts: ${HOSTS.join(', ')})`);
          if (path !== null) {
            await host.writeFile(path, `${block.code}\n`);
            continue;
          }
          try {
            const { stdout } = await host.exec(['bash', '-l', '-e', '-c', block.code], { timeoutMs: BLOCK_TIMEOUT_MS });
            if (!outputs.has(index)) outputs.set(index, new Map());
            outputs.get(index)!.set(name, stdout);
          } catch (error) {
            throw new Error(`line ${block.line} on ${name}: ${(error as Error).message}`);
          }
        }
      }
    } catch (error) {
      const logs = await Promise.all(
        [...hosts.values()].map(
          async (h) =>
            `== ${h.name}\n${(await h.journal('nix-pgo.service').catch(() => '')).split('\n').slice(-30).join('\n')}`,
        ),
      );
      failure = new Error(`${(error as Error).message}\n${logs.join('\n')}`);
    }
  });

  after(async () => {
    for (const host of hosts.values()) await host.stop();
  });

  const outputOf = (code: string, host: string): string => {
    const index = blocks.findIndex((b) => b.directive === 'run' && b.code.includes(code));
    assert.ok(index >= 0, `no block with ${code}`);
    return outputs.get(index)?.get(host) ?? '';
  };
  const status = async (name: string): Promise<Status> =>
    JSON.parse(
      (
        await hosts
          .get(name)!
          .exec(['nix-pgo', 'status', '--json'], { env: { NIX_PGO_CONFIG: '/etc/nix-pgo/config.json' } })
      ).stdout,
    ) as Status;

  it('marks every code block for the hosts it is for, and skips only the example outputs and the NixOS one', () => {
    assert.ok(blocks.length >= 12);
    const skipped = blocks.filter((b) => b.directive === 'skip');
    assert.ok(skipped.length <= 5, `skipped: lines ${skipped.map((b) => b.line).join(', ')}`);
    for (const block of blocks) {
      if (block.directive === 'skip') {
        assert.match(block.argument, /example of the output|NixOS/, `line ${block.line}`);
        continue;
      }
      const { hosts: names, path } = targetsOf(block);
      assert.ok(names.length > 0, `line ${block.line} names no host`);
      for (const name of names) assert.ok((HOSTS as readonly string[]).includes(name), `line ${block.line}: ${name}`);
      if (block.directive === 'file') assert.match(path ?? '', /^\//, `line ${block.line}: an absolute path`);
    }
  });

  it('runs from start to end on every host', () => {
    if (failure) throw failure;
  });

  it('merges both members with half each, builds once on the aggregator and publishes lock generation 1', (t) => {
    if (failure) return;
    const agg = outputOf("grep -q 'built for lock generation 1'", 'agg');
    t.diagnostic(agg);
    assert.match(agg, /^ {2}calc: .*from 2 machines; shares: m1 50 %, m2 50 %$/m, agg);
    assert.match(agg, /^ {4}built for lock generation 1 \(/m, agg);
    assert.match(agg, /^ {2}duty: {6}m[12] keeps the profiling variant with lock generation 1/m, agg);
  });

  it('one member keeps profiling, the other substitutes the build from the cache (copied, not built)', async (t) => {
    if (failure) return;
    const said = Object.fromEntries(
      ['m1', 'm2'].map((name) => [name, outputOf("grep -Eq '^  calc: (cache|duty):'", name)] as const),
    );
    t.diagnostic(`${said.m1}${said.m2}${outputOf("grep -q '^  published: .*calc merge", 'm1')}`);
    const onDuty = ['m1', 'm2'].filter((name) => /^ {2}calc: duty: /m.test(said[name]!));
    const substituted = ['m1', 'm2'].filter((name) =>
      /^ {2}calc: cache: substituted from file:\/\/\/srv\/nix-cache: built once by agg with the data of 2 machines/m.test(
        said[name]!,
      ),
    );
    assert.equal(onDuty.length, 1, JSON.stringify(said));
    assert.equal(substituted.length, 1, JSON.stringify(said));
    for (const name of ['m1', 'm2']) assert.match(said[name]!, /^ {2}follows: {3}fleet lock generation 1 of agg/m);

    const s = await status(substituted[0]!);
    const calc = s.packages.find((p) => p.name === 'calc')!;
    assert.equal(calc.activeVariant, 'optimized');
    const log = await hosts.get(substituted[0]!)!.readFile(calc.lastBuild!.logFile);
    assert.match(log, new RegExp(`copying path '${calc.activePath}' from 'file:///srv/nix-cache'`), log);
    assert.doesNotMatch(log, /^building '/m, log);
  });
});
