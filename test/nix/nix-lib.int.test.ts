// Runs the Nix-level unit tests (nix/tests: expr/expected pairs) and reports each failure by name,
// and checks the messages that only the evaluator shows: option errors and deprecation warnings.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import { repoRoot } from '../support/nix.js';

const lib = `import ${JSON.stringify(join(repoRoot, 'nix'))} { }`;
const calc = `(import ${JSON.stringify(join(repoRoot, 'examples/pkgs/calc'))} { stdenv = (import ${JSON.stringify(join(repoRoot, 'examples/stdenv'))} { }).clangStdenv; })`;

/** Evaluates an expression that must fail and returns its stderr. */
async function evalFailure(expr: string): Promise<string> {
  try {
    const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '-E', expr]);
    throw new Error(`${expr} evaluated to ${stdout} but should have failed`);
  } catch (error) {
    if (error instanceof ToolError) return error.stderr;
    throw error;
  }
}

it('nix/tests: every expr equals its expected value', async () => {
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', join(repoRoot, 'nix/tests')]);
  const result = JSON.parse(stdout) as {
    total: number;
    failures: { name: string; expr: unknown; expected: unknown }[];
  };
  assert.ok(result.total >= 38, `found ${result.total} cases`);
  assert.deepEqual(result.failures, []);
});

it('enableWith: a misspelt option is an error naming it, the closest option and the valid ones', async () => {
  const stderr = await evalFailure(`((${lib}).enableWith { defaultProfileDirr = "/x"; } ${calc}).pgo.toolchain`);
  assert.match(
    stderr,
    /nix-pgo: enableWith has no option 'defaultProfileDirr' \(did you mean 'defaultProfileDir'\?\); the options are bolt, boltDumpInterval, boltProfile, boltTools, collection, compilerVersion, defaultProfileDir, mergeTool, profile, smokeTest, toolchain/,
  );
});

it('a misspelt option gets the closest valid name, ignoring case, preferring prefixes; none when nothing is close', async () => {
  const cases: [string, string | null][] = [
    ['profil', 'profile'],
    ['DefaultProfileDir', 'defaultProfileDir'],
    ['tool', 'toolchain'],
    ['mergetools', 'mergeTool'],
    ['compilerVersions', 'compilerVersion'],
    ['toolchian', 'toolchain'],
    ['colection', 'collection'],
    ['Collection', 'collection'],
    ['collect', 'collection'],
    ['jobs', null],
    ['x', null],
  ];
  for (const [given, closest] of cases) {
    const stderr = await evalFailure(`((${lib}).enableWith { ${given} = 1; } ${calc}).pgo.toolchain`);
    const suggestion = closest === null ? '' : ` \\(did you mean '${closest}'\\?\\)`;
    assert.match(stderr, new RegExp(`enableWith has no option '${given}'${suggestion};`), given);
  }
  const two = await evalFailure(`((${lib}).enableWith { jobs = 1; profil = 1; } ${calc}).pgo.toolchain`);
  assert.match(two, /enableWith has no options 'jobs', 'profil' \(did you mean 'profile'\?\); the options are bolt,/);
});

it('bolt.instrument and bolt.optimize take their options the same way: a misspelt one gets a suggestion', async () => {
  const bolt = `import ${JSON.stringify(join(repoRoot, 'nix/bolt.nix'))}`;
  const args = `optimized = (${lib}).enable ${calc}; tools = { llvmBolt = "/b/llvm-bolt"; mergeFdata = "/b/merge-fdata"; }`;
  const instrument = await evalFailure(`((${bolt}).instrument { ${args}; boltDri = "/x"; }).drvPath`);
  assert.match(
    instrument,
    /nix-pgo: bolt.instrument has no option 'boltDri' \(did you mean 'boltDir'\?\); the options are boltDir, dumpInterval, extraFlags, optimized, smokeTest, smokeTimeout, stdenv, tools/,
  );
  const missing = await evalFailure(`((${bolt}).optimize { ${args}; }).drvPath`);
  assert.match(missing, /nix-pgo: no BOLT profile was selected for calc/);
  const type = await evalFailure(`((${bolt}).instrument { ${args}; boltDir = "/x"; dumpInterval = 0; }).drvPath`);
  assert.match(type, /nix-pgo: bolt.instrument: option dumpInterval must be a positive number of seconds, not a int/);
});

it('enableWith: a value of the wrong type is an error naming the option', async () => {
  const stderr = await evalFailure(`((${lib}).enableWith { toolchain = "msvc"; } ${calc}).pgo.toolchain`);
  assert.match(stderr, /nix-pgo: enableWith: option toolchain must be "clang" or "gcc", not "msvc"/);
});

it('enableWith: continuous collection on a GCC package is an error naming the package and the fix', async () => {
  const wordfreq = `(import ${JSON.stringify(join(repoRoot, 'examples/pkgs/wordfreq'))} { stdenv = (import ${JSON.stringify(join(repoRoot, 'examples/stdenv'))} { }).gccStdenv; })`;
  const stderr = await evalFailure(
    `((${lib}).enableWith { collection = "continuous"; } ${wordfreq}).pgo.profile.drvPath`,
  );
  assert.match(
    stderr,
    /nix-pgo: wordfreq is built with GCC, and collection = "continuous" needs clang \(libgcov writes profiles only when a program exits\); remove collection = "continuous" from the options of wordfreq \(its programs then contribute when they exit\), or build wordfreq with clang/,
  );
  const typo = await evalFailure(`((${lib}).enableWith { collection = "live"; } ${calc}).pgo.profile.drvPath`);
  assert.match(typo, /nix-pgo: enableWith: option collection must be "exit" or "continuous", not "live"/);
});

it('the old adapter names still work and warn with the new name', async () => {
  for (const [old, current] of [
    ['profile', 'withProfileGenerate'],
    ['optimize', 'withProfileUse'],
  ] as const) {
    const { stdout, stderr } = await run('nix-instantiate', [
      '--eval',
      '--strict',
      '-E',
      `builtins.isFunction (${lib}).adapters.${old}`,
    ]);
    assert.equal(stdout.trim(), 'true');
    assert.match(stderr, new RegExp(`warning: nix-pgo: adapters\\.${old} is deprecated .*; use adapters\\.${current}`));
    const fresh = await run('nix-instantiate', [
      '--eval',
      '--strict',
      '-E',
      `builtins.isFunction (${lib}).adapters.${current}`,
    ]);
    assert.doesNotMatch(fresh.stderr, /deprecated/);
  }
});
