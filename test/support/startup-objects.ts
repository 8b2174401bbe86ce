/**
 * nix-pgo's startup objects (nix/runtime/) compiled for programs the tests
 * build with the host compilers, by the same shell function the library's
 * builds use (pgoAddStartupObject of nix/scripts/pgo.sh).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from '../../src/process/run.js';

export type StartupObject = 'llvm-start' | 'gcov-start' | 'bolt-start';

const repoRoot = resolve(import.meta.dirname, '../../..');
const compiled = new Map<string, Promise<string>>();
const dirs: string[] = [];
process.on('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The object `name` compiled with `compiler` (clang-16 or gcc), with `defaultSpool` as the spool
 * the library baked in (its defaultProfileDir), as a profiling build of the library makes it.
 */
export function startupObject(compiler: string, name: StartupObject, defaultSpool = '/tmp/nix-pgo'): Promise<string> {
  const key = `${compiler}\0${name}\0${defaultSpool}`;
  let object = compiled.get(key);
  if (!object) {
    object = compileIn(compiler, name, defaultSpool);
    compiled.set(key, object);
  }
  return object;
}

async function compileIn(compiler: string, name: StartupObject, defaultSpool: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nix-pgo-startup-'));
  dirs.push(dir);
  await run(
    'bash',
    ['-c', 'source "$1/nix/scripts/pgo.sh" && pgoAddStartupObject "$1/nix/runtime" "$2"', 'bash', repoRoot, name],
    { env: { ...process.env, CC: compiler, pgoScratch: dir, pgoDefaultProfileDir: defaultSpool } },
  );
  return join(dir, `${name}.o`);
}
