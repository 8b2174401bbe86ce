// Root's check of the daemon's proposal: only the forms nix-pgo writes pass; each rejection says why.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkProposal, type ProposalRules } from '../../src/system-profile/check-proposal.js';

const rules: ProposalRules = {
  packages: [
    { name: 'calc', bolt: false },
    { name: 'wordfreq', bolt: false },
    { name: 'sqlite', bolt: true },
  ],
  storeDir: '/nix/store',
  system: 'x86_64-linux',
};

const HASH32 = 'dhfbs2mk1jvj1i9j6z1ngwyjmw6p0rzp';
const calc = {
  storePath: `/nix/store/${HASH32}-pgo-calc.profdata`,
  hashMode: 'flat',
  hash: `sha256:${'0'.repeat(63)}1`,
  generation: 3,
  lockedAt: '2026-11-26T05:27:45.176Z',
  system: 'x86_64-linux',
};
const wordfreq = {
  ...calc,
  storePath: `/nix/store/${HASH32}-pgo-wordfreq-gcda`,
  hashMode: 'recursive',
  hash: `sha256:${'0'.repeat(51)}1`,
};
/** What the daemon records of an entry since upgrades are followed: the build the profile came from, and its match. */
const source = { name: 'calc', version: '1.0', drvPath: `/nix/store/${HASH32}-calc-1.0.drv` };
const match = {
  drvPath: `/nix/store/${HASH32}-calc-1.0.drv`,
  share: 0.97,
  functions: 12,
  matched: 11,
  measuredAt: '2026-11-26T05:30:00.000Z',
};
const sqlite = { ...calc, storePath: `/nix/store/${HASH32}-pgo-sqlite.profdata` };
const sqliteBolt = { ...wordfreq, storePath: `/nix/store/${HASH32}-bolt-sqlite-fdata` };

function check(lock: unknown, variants?: unknown) {
  return checkProposal(
    {
      lockText: lock === undefined ? null : JSON.stringify(lock),
      variantsText: variants === undefined ? null : JSON.stringify(variants),
    },
    rules,
  );
}

const variantOf = (result: ReturnType<typeof check>, name: string) =>
  result.packages.find((p) => p.name === name)?.variant ?? null;

describe('checkProposal', () => {
  it('without a variants file, the lock alone decides, as the overlay reads it', () => {
    const result = check({ version: 1, packages: { calc, sqlite }, boltProfiles: { sqlite: sqliteBolt } });
    assert.deepEqual(result.rejected, []);
    assert.deepEqual(
      result.packages.map((p) => [p.name, p.variant, p.profile?.storePath ?? null, p.boltProfile?.storePath ?? null]),
      [
        ['calc', 'optimized', calc.storePath, null],
        ['wordfreq', 'profile', null, null],
        ['sqlite', 'bolt-optimized', sqlite.storePath, sqliteBolt.storePath],
      ],
    );
  });

  it('no proposal at all: every package on the system variant', () => {
    const result = check(undefined);
    assert.deepEqual(
      result.packages.map((p) => p.variant),
      ['profile', 'profile', 'profile'],
    );
  });

  it('the variants file chooses among the variants the lock can build, BOLT only where the config has it', () => {
    const result = check(
      { version: 1, packages: { calc, wordfreq, sqlite } },
      { version: 1, variants: { calc: 'bolt-profile', wordfreq: 'optimized', sqlite: 'bolt-profile' } },
    );
    assert.equal(variantOf(result, 'sqlite'), 'bolt-profile');
    assert.equal(variantOf(result, 'wordfreq'), 'optimized');
    assert.equal(variantOf(result, 'calc'), null);
    assert.deepEqual(result.rejected, [
      { name: 'calc', why: 'bolt-profile is proposed, but the config does not turn BOLT on for it' },
    ]);
  });

  it('a variant without its profile in the lock, or BOLT-optimized without a BOLT profile, is rejected', () => {
    const result = check(
      { version: 1, packages: { sqlite } },
      { version: 1, variants: { calc: 'optimized', sqlite: 'bolt-optimized' } },
    );
    assert.deepEqual(
      result.rejected.map((r) => r.name),
      ['calc', 'sqlite'],
    );
  });

  it('profiles that are not exactly the store path Nix gives nix-pgo profile data are rejected', () => {
    // Nix's interpolation, written out of JavaScript's.
    const nix = (code: string) => `$${'{'}${code}}`;
    const cases: [string, Record<string, unknown>][] = [
      ['a quote for a shell', { storePath: `/nix/store/${HASH32}-pgo-calc.profdata'; touch /tmp/x; '` }],
      ['Nix code in the path', { storePath: `/nix/store/${HASH32}-pgo-calc.profdata${nix('builtins.exec')}` }],
      ['another program', { storePath: `/nix/store/${HASH32}-evil` }],
      ["another package's profile", { storePath: `/nix/store/${HASH32}-pgo-wordfreq.profdata` }],
      ['another store', { storePath: `/tmp/store/${HASH32}-pgo-calc.profdata` }],
      ['a short hash part', { storePath: '/nix/store/abc-pgo-calc.profdata' }],
      ['a path below a store path', { storePath: `/nix/store/${HASH32}-pgo-calc.profdata/../evil` }],
      ['Nix code in the hash', { hash: `sha256:${nix('import /tmp/evil.nix')}` }],
      ['another hash', { hash: `md5:${'0'.repeat(32)}` }],
      ['another mode', { hashMode: 'text' }],
      ['another system', { system: 'aarch64-linux' }],
      ['Nix code in the system', { system: nix('builtins.exec') }],
      ['a member nix-pgo does not write', { outPath: '/nix/store/x' }],
      ['no generation', { generation: -1 }],
      ['no time', { lockedAt: 'now' }],
      ['a source with more members', { source: { ...source, run: 'sh' } }],
      ['a source naming no derivation', { source: { ...source, drvPath: '/tmp/x.drv' } }],
      ['a match with a share over 1', { match: { ...match, share: 2 } }],
      ['a match that is text', { match: 'all of it' }],
    ];
    for (const [what, change] of cases) {
      const result = check({ version: 1, packages: { calc: { ...calc, ...change } } });
      assert.equal(variantOf(result, 'calc'), null, what);
      assert.equal(result.rejected.length, 1, what);
      assert.equal(result.rejected[0]!.name, 'calc', what);
    }
  });

  it("the daemon's own bookkeeping of an entry passes in the forms it writes, and stays out of root's profile", () => {
    const result = check({ version: 1, packages: { calc: { ...calc, source, match } } });
    assert.deepEqual(result.rejected, []);
    assert.deepEqual(result.packages.find((p) => p.name === 'calc')?.profile, calc);
  });

  it("a proposal that is not nix-pgo's files is rejected as a whole; names the config does not manage are reported", () => {
    for (const lockText of ['{', '[]', '{"version":2,"packages":{}}', '{"version":1,"packages":{},"extra":1}']) {
      const result = checkProposal({ lockText, variantsText: null }, rules);
      assert.deepEqual(result.packages, []);
      assert.equal(result.rejected.length, 1);
      assert.equal(result.rejected[0]!.name, null);
    }
    const bad = checkProposal({ lockText: null, variantsText: '{"version":1,"variants":{},"more":{}}' }, rules);
    assert.deepEqual(bad.packages, []);
    const other = check({ version: 1, packages: { calc, bash: { ...calc } } });
    assert.equal(variantOf(other, 'calc'), 'optimized');
    assert.match(other.rejected[0]!.why, /names "bash", which the config does not manage/);
    const unknown = check({ version: 1, packages: { calc } }, { version: 1, variants: { calc: 'root-shell' } });
    assert.equal(variantOf(unknown, 'calc'), null);
  });
});
