// The module's promise to the daemon, end to end with real builds: the daemon
// builds from the Nix file the module writes (nix/nixos/system-file.nix, here
// evaluating a test system instead of <nixpkgs/nixos>), with the daemon's own
// functions (planBuild, nixBuild, storeProfile, lockProfile), and then the
// system evaluated the way the next rebuild evaluates it (the lock file read
// from the daemon's state, as without flakes) resolves the package to that
// very store path, already built. Only the named packages change.
//
// The system is the example programs with the module's overlay, evaluated
// with the real module system (<nixpkgs/lib> on the Nix search path); without
// one the test is skipped and says what is missing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { mergeProfiles } from '../../src/tools/llvm-profdata.js';
import { nixBuild } from '../../src/tools/nix-build.js';
import { planBuild, type BuildTarget } from '../../src/variants/plan-build.js';
import { lockProfile, storeProfile } from '../../src/store/store-profile.js';
import { makeTempDir, readManifest } from '../support/nix.js';
import { evalJson, findNixpkgsLib, harness, nixDir } from './nixos-support.js';

const found = await findNixpkgsLib();
const skip = 'missing' in found ? found.missing : false;

describe('what the daemon builds is what the next rebuild uses', { skip }, () => {
  let dir: string;
  let lockFile: string;
  let systemNix: string;
  let configNix: string;

  /** The test system's packages, evaluated now (the lock file as it is now). */
  const system = (attrs: string) =>
    `(${harness()}.nixos [ (import ${JSON.stringify(configNix)}) ])._module.args.pkgs.${attrs}`;

  before(async () => {
    dir = makeTempDir('nixos-daemon');
    lockFile = join(dir, 'state', 'pgo-lock.json');
    configNix = join(dir, 'configuration.nix');
    systemNix = join(dir, 'system.nix');
    // The lock file where the daemon keeps it (its state directory); it does not exist yet.
    mkdirSync(join(dir, 'state'));
    writeFileSync(
      configNix,
      `{ services.nix-pgo = { packages = [ "calc" "wordfreq" ]; lockFile = ${JSON.stringify(lockFile)}; }; }\n`,
    );
    // The module's file for the daemon, evaluating this system as <nixpkgs/nixos> evaluates /etc/nixos.
    // Read-write: the text names system.nix in the store, which a read-only evaluation does not add.
    const text = await evalJson<string>(
      `(import ${JSON.stringify(join(nixDir, 'nixos/system-file.nix'))}).text { how = "the test system"; evaluated = ${JSON.stringify(`${harness()}.nixos [ (import ${JSON.stringify(configNix)}) ]`)}; }`,
      ['--read-write-mode'],
    );
    writeFileSync(systemNix, text);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("profiling variant, profile, optimized variant, lock: the rebuild finds the daemon's build", async () => {
    const target: BuildTarget = {
      name: 'calc',
      nixFile: systemNix,
      attr: 'calc',
      profileArg: 'pgoProfiles',
      bolt: null,
    };
    const plan = (variant: 'profile' | 'optimized', profile?: Parameters<typeof planBuild>[2]['profile']) =>
      planBuild(target, variant, { profile, logDir: join(dir, 'logs'), timeoutMs: 600_000, now: new Date() }).request;
    const offline = { useSubstitutes: false };

    // 1. The profiling variant the daemon builds is the one the system uses.
    const profiling = await nixBuild({ ...plan('profile'), ...offline });
    assert.equal(await evalJson<string>(`${system('calc.outPath')}`), profiling.storePath);

    // 2. Programs run; the daemon merges and stores the profile.
    const raw = join(dir, 'raw');
    for (const n of ['3', '5', '7']) {
      await run(join(profiling.storePath, 'bin/calc'), [n], {
        env: { ...process.env, LLVM_PROFILE_FILE: join(raw, '%p-%m.profraw') },
      });
    }
    const merged = join(dir, 'calc.profdata');
    const manifest = readManifest(profiling.storePath);
    assert.ok(manifest.mergeTool);
    await mergeProfiles(
      manifest.mergeTool,
      merged,
      readdirSync(raw).map((f) => join(raw, f)),
      join(dir, 'inputs.txt'),
    );
    const entry = await storeProfile({
      name: 'calc',
      mergedPath: merged,
      generation: 1,
      gcRootDir: join(dir, 'gcroots'),
      workDir: join(dir, 'work'),
    });

    // 3. The daemon builds the optimized variant from the system as it is (no lock yet) ...
    const optimized = await nixBuild({ ...plan('optimized', entry), ...offline });
    assert.notEqual(optimized.storePath, profiling.storePath);
    // ... and records the lock.
    lockProfile(lockFile, 'calc', entry);

    // 4. The next rebuild reads the lock: calc is that optimized build, already valid, nothing to build.
    // (Not outPath as a key: toJSON prints a set with one as that string.)
    const next = await evalJson<{ out: string; drvPath: string; kind: string }>(
      `let p = ${system('calc')}; in { out = p.outPath; inherit (p) drvPath; kind = p.pgoKind; }`,
    );
    assert.equal(next.kind, 'optimized');
    assert.equal(next.out, optimized.storePath);
    await run('nix-store', ['--check-validity', next.out]);
    const dryRun = await run('nix-store', ['--realise', '--dry-run', next.drvPath]);
    assert.doesNotMatch(dryRun.stderr, /will be built/, dryRun.stderr);
  });

  it('only the named packages and what depends on them change', async () => {
    const changed = await evalJson<string[]>(`
      let
        t = ${harness()};
        plain = t.plainPkgs;
        pkgs = (t.nixos [ (import ${JSON.stringify(configNix)}) ])._module.args.pkgs;
        isDerivation = n: (builtins.tryEval (plain.\${n}.type or null == "derivation")).value or false;
      in
      builtins.filter (n: isDerivation n && pkgs.\${n}.drvPath != plain.\${n}.drvPath) (builtins.attrNames plain)`);
    assert.deepEqual(changed.sort(), ['calc', 'calcUser', 'wordfreq']);
  });
});
