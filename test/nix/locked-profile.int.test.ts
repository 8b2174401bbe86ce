// A lock entry names the Nix system of its profile's derivation, so the daemon
// (impure), a plain evaluation from the lock and a flake (pure, no
// builtins.currentSystem) all make the same derivation; older entries without
// `system` make the one they always made.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { currentNixSystem } from '../../src/store/nix-system.js';
import { emptyLockFile, renderLockFile, withLockedProfile, type LockedProfile } from '../../src/store/lock-file.js';
import { planBuild } from '../../src/variants/plan-build.js';
import { makeTempDir, repoRoot } from '../support/nix.js';

const old: LockedProfile = {
  storePath: '/nix/store/dhfbs2mk1jvj1i9j6z1ngwyjmw6p0rzp-pgo-calc.profdata',
  hashMode: 'flat',
  hash: 'sha256:0000000000000000000000000000000000000000000000000000000000000001',
  generation: 3,
  lockedAt: '2026-11-26T05:27:45.176Z',
};
const system = currentNixSystem()!;
const current: LockedProfile = { ...old, system };
const nixEntry = (e: LockedProfile) => `builtins.fromJSON ${JSON.stringify(JSON.stringify(e))}`;

async function evalString(expr: string): Promise<string> {
  return JSON.parse((await run('nix-instantiate', ['--eval', '--strict', '--json', '-E', expr])).stdout) as string;
}

const drvOf = (e: LockedProfile) =>
  evalString(`(import ${repoRoot}/nix/locked-profile.nix "calc" (${nixEntry(e)})).drvPath`);

describe('nix/locked-profile.nix and the system of a lock entry', () => {
  it('gives the same derivation with this machine’s system in the entry as without it', async () => {
    assert.equal(system, await evalString('builtins.currentSystem'));
    assert.equal(await drvOf(current), await drvOf(old));
  });

  it('uses the system of the entry', async () => {
    const other = system === 'riscv64-linux' ? 'aarch64-linux' : 'riscv64-linux';
    assert.equal(
      await evalString(
        `(import ${repoRoot}/nix/locked-profile.nix "calc" (${nixEntry({ ...old, system: other })})).system`,
      ),
      other,
    );
    assert.notEqual(await drvOf({ ...old, system: other }), await drvOf(old));
  });

  it('makes the derivation the daemon builds with: planBuild’s profile argument equals nix/lock.nix of the lock file', async () => {
    const lockFile = join(makeTempDir('locked-profile'), 'pgo-lock.json');
    writeFileSync(lockFile, renderLockFile(withLockedProfile(emptyLockFile(), 'calc', current)));
    const plan = planBuild(
      { name: 'calc', nixFile: '/unused.nix', attr: 'calc', profileArg: 'pgoProfiles', bolt: null },
      'optimized',
      { profile: current, logDir: '/l', timeoutMs: 1, now: new Date() },
    );
    const daemon = await evalString(`(${plan.request.args!.pgoProfiles}).calc.drvPath`);
    assert.equal(
      daemon,
      await evalString(`(import ${repoRoot}/nix/lock.nix { lockFile = ${lockFile}; }).calc.drvPath`),
    );
    assert.equal(daemon, await drvOf(old));
  });

  it('a flake (pure evaluation) makes the same derivation from an entry with a system, and through the module’s wrapper from an old one', async () => {
    const flake = makeTempDir('locked-profile-flake');
    mkdirSync(join(flake, 'nix/nixos'), { recursive: true });
    cpSync(join(repoRoot, 'nix/locked-profile.nix'), join(flake, 'nix/locked-profile.nix'));
    cpSync(join(repoRoot, 'nix/nixos/locked-profile.nix'), join(flake, 'nix/nixos/locked-profile.nix'));
    writeFileSync(
      join(flake, 'flake.nix'),
      `{
  outputs = { self }: {
    pure = !(builtins ? currentSystem);
    current = (import ./nix/locked-profile.nix "calc" (${nixEntry(current)})).drvPath;
    viaModule = ((import ./nix/nixos/locked-profile.nix { }) "calc" (${nixEntry(current)})).drvPath;
    oldViaModule = ((import ./nix/nixos/locked-profile.nix { system = "${system}"; }) "calc" (${nixEntry(old)})).drvPath;
  };
}
`,
    );
    const evalFlake = async (attr: string) =>
      JSON.parse(
        (
          await run('nix', [
            '--extra-experimental-features',
            'nix-command flakes',
            'eval',
            '--json',
            `path:${flake}#${attr}`,
          ])
        ).stdout,
      ) as unknown;
    assert.equal(await evalFlake('pure'), true);
    const daemon = await drvOf(current);
    assert.equal(await evalFlake('current'), daemon);
    assert.equal(await evalFlake('viaModule'), daemon);
    assert.equal(await evalFlake('oldViaModule'), daemon);
  });
});
