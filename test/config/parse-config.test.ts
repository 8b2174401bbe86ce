import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigInvalidError } from '../../src/config/config-invalid-error.js';
import { DEFAULT_COLLECTOR, DEFAULT_POLICY, DEFAULT_TRUSTED_USERS } from '../../src/config/defaults.js';
import { checkConfigText, parseConfig, type ConfigSource } from '../../src/config/parse-config.js';
import { exitCodeFor } from '../../src/errors/errors.js';

const FILE = '/etc/nix-pgo/config.json';
const ENV = { HOME: '/home/ada', XDG_STATE_HOME: '/home/ada/.state' };

function source(document: unknown, overrides: Partial<ConfigSource> = {}): ConfigSource {
  return {
    text: typeof document === 'string' ? document : JSON.stringify(document),
    file: FILE,
    env: ENV,
    ...overrides,
  };
}

function problemPaths(document: unknown, overrides: Partial<ConfigSource> = {}): string[] {
  const check = checkConfigText(source(document, overrides));
  assert.equal(check.config, null, 'a config with problems must not produce a config');
  return check.problems.map((p) => p.path).sort();
}

describe('trustedUsers', () => {
  it('takes names, uids or "*", at the top and per package, and reports bad entries', () => {
    const config = parseConfig(
      source({ nixFile: './p.nix', trustedUsers: ['alice', 1001], packages: { a: {}, b: { trustedUsers: '*' } } }),
    );
    assert.deepEqual(
      config.packages.map((p) => p.trustedUsers),
      [{ anyone: false, users: ['alice', 1001] }, { anyone: true }],
    );
    const bad = checkConfigText(
      source({ nixFile: './p.nix', trustedUsers: ['Alice Smith', -1], packages: { a: { trustedUsers: 'everyone' } } }),
    );
    assert.equal(bad.config, null);
    const where = bad.problems.map((p) => p.path);
    assert.ok(
      where.some((p) => p.startsWith('trustedUsers')),
      where.join(', '),
    );
    assert.ok(
      where.some((p) => p.startsWith('packages.a.trustedUsers')),
      where.join(', '),
    );
    for (const p of bad.problems) assert.match(p.fix, /user names or ids/);
  });
});

describe('parseConfig defaults', () => {
  it('fills in everything for a config that only lists packages', () => {
    const config = parseConfig(source({ nixFile: './pkgs.nix', packages: { hello: {} } }));
    assert.equal(config.file, FILE);
    assert.equal(config.stateDir, '/home/ada/.state/nix-pgo');
    assert.equal(config.spoolDir, '/home/ada/.state/nix-pgo/spool');
    assert.equal(config.nixProfile, '/home/ada/.state/nix-pgo/profile');
    assert.deepEqual(config.notify, { hook: null, desktop: true });
    assert.deepEqual(config.policy, DEFAULT_POLICY);
    assert.deepEqual(config.packages, [
      {
        name: 'hello',
        nixFile: '/etc/nix-pgo/pkgs.nix',
        attr: 'hello',
        profileArg: 'pgoProfiles',
        policy: DEFAULT_POLICY,
        trustedUsers: DEFAULT_TRUSTED_USERS,
        bolt: null,
      },
    ]);
  });

  it('BOLT: true takes the package policy and the boltProfiles argument; an object overrides fields of them', () => {
    const config = parseConfig(
      source({
        nixFile: './pkgs.nix',
        policy: { minRuns: 2 },
        packages: {
          a: { bolt: true },
          b: { policy: { thresholdMB: 4 }, bolt: { profileArg: 'bp', policy: { minRuns: 9 } } },
          c: { bolt: false },
        },
      }),
    );
    const [a, b, c] = config.packages;
    assert.deepEqual(a!.bolt, { profileArg: 'boltProfiles', policy: { ...DEFAULT_POLICY, minRuns: 2 } });
    // A refresh window collects a tenth of the threshold unless upgrades.refreshCounts says otherwise.
    const upgrades = { ...DEFAULT_POLICY.upgrades, refreshCounts: 4e8 };
    assert.deepEqual(b!.bolt, {
      profileArg: 'bp',
      policy: { ...DEFAULT_POLICY, thresholdCounts: 4e9, minRuns: 9, upgrades },
    });
    assert.equal(c!.bolt, null);
    const bad = checkConfigText(
      source({
        nixFile: './pkgs.nix',
        packages: { a: { bolt: { profileArg: 'pgoProfiles', policy: { minRuns: -1 } } }, b: { bolt: 'yes' } },
      }),
    );
    assert.deepEqual(bad.problems.map((p) => p.path).sort(), ['packages.a.bolt.policy.minRuns', 'packages.b.bolt']);
    const same = checkConfigText(
      source({ nixFile: './pkgs.nix', packages: { a: { bolt: { profileArg: 'pgoProfiles' } } } }),
    );
    assert.deepEqual(
      same.problems.map((p) => [p.path, p.fix]),
      [['packages.a.bolt.profileArg', 'give the BOLT profiles their own argument, e.g. "boltProfiles"']],
    );
  });

  it('accepts an empty file as zero packages', () => {
    const config = parseConfig(source('  \n'));
    assert.deepEqual(config.packages, []);
    assert.equal(config.stateDir, '/home/ada/.state/nix-pgo');
  });

  it('uses ~/.local/state when XDG_STATE_HOME is unset or relative', () => {
    for (const env of [{ HOME: '/home/ada' }, { HOME: '/home/ada', XDG_STATE_HOME: 'relative/dir' }]) {
      assert.equal(parseConfig(source({}, { env })).stateDir, '/home/ada/.local/state/nix-pgo');
    }
  });

  it('reports that stateDir has no default without HOME and XDG_STATE_HOME', () => {
    assert.deepEqual(problemPaths({}, { env: {} }), ['stateDir']);
    assert.equal(parseConfig(source({ stateDir: '/var/lib/nix-pgo' }, { env: {} })).stateDir, '/var/lib/nix-pgo');
  });

  it('derives spoolDir and nixProfile from an explicit stateDir', () => {
    const config = parseConfig(source({ stateDir: '/var/lib/nix-pgo' }));
    assert.equal(config.spoolDir, '/var/lib/nix-pgo/spool');
    assert.equal(config.nixProfile, '/var/lib/nix-pgo/profile');
  });
});

describe('parseConfig paths', () => {
  it('makes relative paths relative to the config file, expands ~/ and keeps <lookup> paths', () => {
    const config = parseConfig(
      source({
        stateDir: 'state',
        spoolDir: '~/spool',
        nixProfile: '/nix/var/nix/profiles/../profiles/nix-pgo',
        notify: { hook: '../hooks/notify' },
        packages: { a: { nixFile: 'sub/a.nix' }, b: { nixFile: '<nixpkgs>' } },
      }),
    );
    assert.equal(config.stateDir, '/etc/nix-pgo/state');
    assert.equal(config.spoolDir, '/home/ada/spool');
    assert.equal(config.nixProfile, '/nix/var/nix/profiles/nix-pgo');
    assert.equal(config.notify.hook, '/etc/hooks/notify');
    assert.equal(config.packages[0]?.nixFile, '/etc/nix-pgo/sub/a.nix');
    assert.equal(config.packages[1]?.nixFile, '<nixpkgs>');
  });

  it('lists the files to check on disk, but not <lookup> paths', () => {
    const check = checkConfigText(
      source({ nixFile: 'p.nix', notify: { hook: '/bin/hook' }, packages: { a: {}, b: { nixFile: '<nixpkgs>' } } }),
    );
    assert.deepEqual(check.fileReferences, [
      { path: 'nixFile', file: '/etc/nix-pgo/p.nix', kind: 'nix' },
      { path: 'notify.hook', file: '/bin/hook', kind: 'executable' },
    ]);
  });

  it('cannot resolve a relative path without a config file', () => {
    assert.deepEqual(problemPaths({ stateDir: 'rel' }, { file: null }), ['stateDir']);
  });

  it('reports ~ without HOME', () => {
    assert.deepEqual(problemPaths({ stateDir: '/s', spoolDir: '~/spool' }, { env: {} }), ['spoolDir']);
  });
});

describe('the data threshold', () => {
  it('is counts; thresholdMB, as older configs give it, is read as billions of counts', () => {
    assert.equal(parseConfig(source({})).policy.thresholdCounts, 1e9);
    assert.equal(parseConfig(source({ policy: { thresholdMB: 0.5 } })).policy.thresholdCounts, 5e8);
    assert.equal(parseConfig(source({ policy: { thresholdCounts: 2e6 } })).policy.thresholdCounts, 2e6);
  });

  it("a layer's own threshold replaces the inherited one, in whichever key each gives it", () => {
    const config = parseConfig(
      source({
        nixFile: './pkgs.nix',
        policy: { thresholdMB: 5 },
        packages: {
          days: { policy: { thresholdCounts: 2e10 } },
          runs: {},
          bolted: { policy: { thresholdCounts: 7e6 }, bolt: { policy: { thresholdMB: 0.01 } } },
        },
      }),
    );
    assert.deepEqual(
      config.packages.map((p) => [p.name, p.policy.thresholdCounts, p.bolt?.policy.thresholdCounts ?? null]),
      [
        ['bolted', 7e6, 1e7],
        ['days', 2e10, null],
        ['runs', 5e9, null],
      ],
    );
  });

  it('in one policy, thresholdCounts wins (the NixOS module always writes thresholdMB; its settings may add counts)', () => {
    assert.equal(parseConfig(source({ policy: { thresholdMB: 1, thresholdCounts: 5 } })).policy.thresholdCounts, 5);
  });
});

describe('parseConfig packages and policy', () => {
  it('applies package overrides on top of the global policy, field by field', () => {
    const config = parseConfig(
      source({
        nixFile: './pkgs.nix',
        profileArg: 'profiles',
        policy: { thresholdMB: 4, onReady: 'notify', retry: { maxDelaySeconds: 600 } },
        packages: {
          lua: {
            attr: 'lua5_4',
            profileArg: 'luaProfiles',
            policy: { minRuns: 10, convergence: 0.99, retry: { initialDelaySeconds: 5 } },
          },
          hello: {},
        },
      }),
    );
    // refreshCounts follows the threshold unless given.
    const upgrades = { ...DEFAULT_POLICY.upgrades, refreshCounts: 4e8 };
    assert.deepEqual(config.policy, {
      ...DEFAULT_POLICY,
      thresholdCounts: 4e9,
      onReady: 'notify',
      retry: { initialDelaySeconds: 60, maxDelaySeconds: 600 },
      upgrades,
    });
    assert.deepEqual(
      config.packages.map((p) => p.name),
      ['hello', 'lua'],
      'packages are sorted by name',
    );
    const [hello, lua] = config.packages;
    assert.equal(hello?.profileArg, 'profiles');
    assert.deepEqual(hello?.policy, config.policy);
    assert.equal(lua?.attr, 'lua5_4');
    assert.equal(lua?.profileArg, 'luaProfiles');
    assert.deepEqual(lua?.policy, {
      ...DEFAULT_POLICY,
      thresholdCounts: 4e9,
      minRuns: 10,
      convergence: 0.99,
      onReady: 'notify',
      retry: { initialDelaySeconds: 5, maxDelaySeconds: 600 },
      upgrades,
    });
  });

  it('takes the upgrades policy field by field; refreshCounts is a tenth of the threshold unless given', () => {
    const config = parseConfig(
      source({
        nixFile: '/p.nix',
        policy: { thresholdCounts: 2e9, upgrades: { checkMinutes: 5 } },
        packages: {
          a: { policy: { upgrades: { refreshBelow: 0.5, refreshCounts: 5e7 } } },
          b: { policy: { thresholdMB: 0.5 } },
        },
      }),
    );
    assert.deepEqual(config.policy.upgrades, { ...DEFAULT_POLICY.upgrades, checkMinutes: 5, refreshCounts: 2e8 });
    const [a, b] = config.packages;
    assert.deepEqual(a!.policy.upgrades, {
      ...DEFAULT_POLICY.upgrades,
      checkMinutes: 5,
      refreshBelow: 0.5,
      refreshCounts: 5e7,
    });
    assert.deepEqual(b!.policy.upgrades, { ...DEFAULT_POLICY.upgrades, checkMinutes: 5, refreshCounts: 5e7 });
    assert.deepEqual(problemPaths({ policy: { upgrades: { refreshBelow: 2, checkMinutes: 0 } } }), [
      'policy.upgrades.checkMinutes',
      'policy.upgrades.refreshBelow',
    ]);
  });

  it('accepts dotted attribute paths and convergence at its bounds', () => {
    const config = parseConfig(
      source({
        nixFile: '/p.nix',
        policy: { convergence: 1 },
        packages: { numpy: { attr: 'python3Packages.numpy', policy: { convergence: null } } },
      }),
    );
    assert.equal(config.policy.convergence, 1);
    assert.equal(config.packages[0]?.attr, 'python3Packages.numpy');
    assert.equal(config.packages[0]?.policy.convergence, null);
  });

  it('needs a Nix file for every package, here or at the top level', () => {
    assert.deepEqual(problemPaths({ packages: { hello: {} } }), ['packages.hello.nixFile']);
  });

  it('reports an inconsistent retry range where it is written', () => {
    assert.deepEqual(problemPaths({ nixFile: '/p.nix', policy: { retry: { initialDelaySeconds: 7200 } } }), [
      'policy.retry',
    ]);
    assert.deepEqual(
      problemPaths({ nixFile: '/p.nix', packages: { a: { policy: { retry: { maxDelaySeconds: 30 } } } } }),
      ['packages.a.policy.retry'],
    );
  });
});

describe('notify', () => {
  it('shows desktop notifications unless notify.desktop is false, which must be a boolean', () => {
    assert.equal(parseConfig(source({ nixFile: '/p.nix', notify: { hook: '/bin/hook' } })).notify.desktop, true);
    assert.deepEqual(parseConfig(source({ nixFile: '/p.nix', notify: { desktop: false } })).notify, {
      hook: null,
      desktop: false,
    });
    assert.deepEqual(problemPaths({ nixFile: '/p.nix', notify: { desktop: 'yes' } }), ['notify.desktop']);
  });
});

describe('collector', () => {
  it('has the limits the collector had as constants when the config names none', () => {
    const config = parseConfig(source({ nixFile: '/p.nix' }));
    assert.deepEqual(config.collector, {
      spoolCapBytes: 2 * 1024 * 1024 * 1024,
      quarantineCapBytes: 256 * 1024 * 1024,
      maxFileBytes: 256 * 1024 * 1024,
      batchSize: 256,
      mergeConcurrency: 4,
      liveSnapshotMs: 30_000,
    });
    assert.deepEqual(config.collector, DEFAULT_COLLECTOR);
  });

  it('takes the live snapshot interval in seconds', () => {
    const config = parseConfig(source({ nixFile: '/p.nix', collector: { liveSnapshotSeconds: 2.5 } }));
    assert.equal(config.collector.liveSnapshotMs, 2500);
    assert.deepEqual(problemPaths({ nixFile: '/p.nix', collector: { liveSnapshotSeconds: 0.5 } }), [
      'collector.liveSnapshotSeconds',
    ]);
  });

  it('takes sizes in MB and counts as whole numbers, field by field', () => {
    const config = parseConfig(source({ nixFile: '/p.nix', collector: { spoolCapMB: 0.5, batchSize: 16 } }));
    assert.deepEqual(config.collector, { ...DEFAULT_COLLECTOR, spoolCapBytes: 512 * 1024, batchSize: 16 });
  });

  it('reports a limit out of its range, and an unknown key', () => {
    assert.deepEqual(
      problemPaths({
        nixFile: '/p.nix',
        collector: { batchSize: 0, mergeConcurrency: 1.5, quarantineCapMB: -1, cap: 1 },
      }),
      ['collector.batchSize', 'collector.cap', 'collector.mergeConcurrency', 'collector.quarantineCapMB'],
    );
  });
});

describe('parseConfig problems', () => {
  it('reports every problem of a config in one run', () => {
    const paths = problemPaths({
      version: 2,
      stateDri: '/x',
      stateDir: 42,
      policy: {
        thresholdMB: 0,
        minRuns: 1.5,
        convergence: 0,
        onReady: 'maybe',
        buildTimeoutMinutes: -1,
        retry: { initialDelaySeconds: '60', maxDelaySeconds: 0 },
      },
      notify: { hook: '' },
      packages: {
        'bad name': { nixFile: '/p.nix' },
        hello: { nixFile: '/p.nix', atr: 'hello', attr: 'hello world', profileArg: '1x', policy: [] },
        lua: 'lua',
      },
    });
    assert.deepEqual(paths, [
      'notify.hook',
      'packages.hello.atr',
      'packages.hello.attr',
      'packages.hello.policy',
      'packages.hello.profileArg',
      'packages.lua',
      'packages["bad name"]',
      'policy.buildTimeoutMinutes',
      'policy.convergence',
      'policy.minRuns',
      'policy.onReady',
      'policy.retry.initialDelaySeconds',
      'policy.retry.maxDelaySeconds',
      'policy.thresholdMB',
      'stateDir',
      'stateDri',
      'version',
    ]);
  });

  it('suggests the key a typo meant', () => {
    const check = checkConfigText(source({ nixFile: '/p.nix', policy: { thresholdmb: 2, minRun: 3 } }));
    const fixes = Object.fromEntries(check.problems.map((p) => [p.path, p.fix]));
    assert.match(fixes['policy.thresholdmb'] ?? '', /did you mean "thresholdMB"/);
    assert.match(fixes['policy.minRun'] ?? '', /did you mean "minRuns"/);
  });

  it('rejects a document that is not an object', () => {
    for (const document of ['[]', '"x"', 'null', '3']) {
      assert.deepEqual(problemPaths(document), [''], document);
    }
  });

  it('locates a JSON syntax error by line and column', () => {
    const check = checkConfigText(source('{\n  "packages": {,\n}'));
    assert.equal(check.problems.length, 1);
    assert.match(check.problems[0]?.message ?? '', /line 2, column 16/);
    assert.match(check.problems[0]?.fix ?? '', /no comments and no trailing commas/);
  });

  it('throws one ConfigInvalidError naming the file, each problem and its fix', () => {
    const error = (() => {
      try {
        parseConfig(source({ policy: { thresholdMB: 'lots' }, packages: { hello: { atr: 'x' } } }));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigInvalidError);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(exitCodeFor(error), 65);
    assert.equal(error.file, FILE);
    assert.deepEqual(error.problems.map((p) => p.path).sort(), [
      'packages.hello.atr',
      'packages.hello.nixFile',
      'policy.thresholdMB',
    ]);
    assert.match(error.message, /^\/etc\/nix-pgo\/config\.json: 3 problems\n/);
    for (const problem of error.problems) {
      assert.ok(error.message.includes(`${problem.path}: ${problem.message}\n    fix: ${problem.fix}`), problem.path);
    }
  });
});

describe('fleet', () => {
  const member = {
    role: 'member',
    cache: 'http://cache:8080/',
    secretKeyFile: '/etc/nix-pgo/m1.sec',
    aggregatorKey: 'agg:oQO4wckxmAq0Fv8VS0Ed7jhGIcUxObnLzaCjrBM1sTo=',
  };

  it('reads a member and an aggregator with the defaults filled in', () => {
    const config = parseConfig(source({ nixFile: './p.nix', fleet: member, packages: { a: {} } }));
    assert.deepEqual(config.fleet, {
      role: 'member',
      cache: 'http://cache:8080',
      secretKeyFile: '/etc/nix-pgo/m1.sec',
      aggregatorKey: { key: member.aggregatorKey },
      machineKeys: [],
      intervalMs: 300_000,
      profilingDuty: 0.1,
      fallback: 'build',
    });
    const agg = parseConfig(
      source({
        nixFile: './p.nix',
        fleet: {
          role: 'aggregator',
          cache: 'file:///srv/cache',
          secretKeyFile: 'agg.sec',
          machineKeys: ['machines/m1.pub', 'm2:oQO4wckxmAq0Fv8VS0Ed7jhGIcUxObnLzaCjrBM1sTo='],
          profilingDuty: 0.25,
          intervalSeconds: 2,
        },
      }),
    );
    assert.equal(agg.fleet?.secretKeyFile, '/etc/nix-pgo/agg.sec', 'relative to the config file');
    assert.deepEqual(agg.fleet?.machineKeys, [
      { file: '/etc/nix-pgo/machines/m1.pub' },
      { key: 'm2:oQO4wckxmAq0Fv8VS0Ed7jhGIcUxObnLzaCjrBM1sTo=' },
    ]);
    assert.equal(agg.fleet?.aggregatorKey, null);
    assert.equal(agg.fleet?.intervalMs, 2000);
    assert.equal(parseConfig(source({ nixFile: './p.nix' })).fleet, null);
  });

  it('says what a member lacks and what is the aggregator’s only, each with its fix', () => {
    const check = checkConfigText(
      source({
        nixFile: './p.nix',
        fleet: { ...member, aggregatorKey: undefined, machineKeys: ['m2.pub'] },
        packages: { a: { bolt: true } },
      }),
    );
    const byPath = new Map(check.problems.map((p) => [p.path, p]));
    assert.deepEqual([...byPath.keys()].sort(), ['fleet.aggregatorKey', 'fleet.machineKeys', 'packages.a.bolt']);
    assert.match(byPath.get('fleet.aggregatorKey')!.message, /required on a member/);
    assert.match(byPath.get('fleet.aggregatorKey')!.fix, /public key/);
    assert.match(byPath.get('fleet.machineKeys')!.fix, /"role": "aggregator"/);
    assert.match(byPath.get('packages.a.bolt')!.message, /BOLT is not shared by a fleet yet/);
  });

  it('refuses a cache it cannot write to and a role it does not know', () => {
    assert.deepEqual(problemPaths({ nixFile: './p.nix', fleet: { ...member, cache: 's3://bucket', role: 'leader' } }), [
      'fleet.cache',
      'fleet.role',
    ]);
  });
});
