// docs/getting-started.md, followed literally: every code block marked
// `<!-- test: run -->` runs, in order, in one bash (so `export`, `eval` and
// the daemon started with `&` carry on as in the reader's shell), and every
// `<!-- test: file PATH -->` block is written to PATH where it stands.
// A block without a marker fails the test, so no block goes untested silently.
//
// The reader's world is made here: a fresh HOME with ~/nix-pgo linked to this
// checkout, the checkout's compiled CLI on PATH as `nix-pgo`, no variables of
// nix-pgo's or XDG's, and the example package set as <nixpkgs> (it has
// clangStdenv; this machine has no nixpkgs). The page never names the spool or
// the variables `nix-pgo env` prints: it evaluates that command's output.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, repoRoot } from '../support/nix.js';
import { type PageBlock, pageBlocks } from '../support/page-blocks.js';

const page = join(repoRoot, 'docs/getting-started.md');

/** One bash script: the blocks in page order, each announced on stdout so the output can be split per block. */
function pageScript(blocks: readonly PageBlock[]): string {
  // -e: a command of the page that fails stops the test (a reader's shell would just go on).
  const parts = ['set -e'];
  blocks.forEach((block, index) => {
    if (block.directive === 'skip') return;
    parts.push(`echo '@@ block ${index} (line ${block.line})'`);
    if (block.directive === 'run') {
      parts.push(block.code);
    } else {
      const path = block.argument.replace(/^~\//, '$HOME/');
      parts.push(
        `mkdir -p "$(dirname "${path}")"`,
        `cat > "${path}" <<'NIX_PGO_PAGE_EOF'`,
        block.code,
        'NIX_PGO_PAGE_EOF',
      );
    }
  });
  parts.push(`echo '@@ end'`);
  return `${parts.join('\n')}\n`;
}

/** The output of block `index`, between its announcement and the next one. */
function outputOf(output: string, index: number): string {
  const start = output.indexOf(`@@ block ${index} `);
  if (start < 0) return '';
  const from = output.indexOf('\n', start) + 1;
  const next = output.indexOf('\n@@ ', from);
  return output.slice(from, next < 0 ? undefined : next + 1);
}

describe('docs/getting-started.md', { timeout: 1_200_000 }, () => {
  const blocks = pageBlocks(readFileSync(page, 'utf8'));
  const home = makeTempDir('getting-started');
  let output = '';
  let exitCode: number | null = null;
  let pgid = 0;

  before(async () => {
    symlinkSync(repoRoot, join(home, 'nix-pgo'));
    const shims = join(home, '.test-bin');
    mkdirSync(shims);
    writeFileSync(
      join(shims, 'nix-pgo'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(repoRoot, 'dist/src/cli/main.js'))} "$@"\n`,
    );
    chmodSync(join(shims, 'nix-pgo'), 0o755);
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!/^(XDG_|NIX_PGO|LLVM_PROFILE|GCOV_)/.test(name) && name !== 'NIX_PATH') env[name] = value;
    }
    Object.assign(env, {
      HOME: home,
      PATH: `${shims}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      NIX_PATH: `nixpkgs=${join(repoRoot, 'examples')}`,
      // The binary cache is unreachable here; the daemon passes the same to its own builds.
      NIX_CONFIG: 'substituters =',
    });
    const script = join(home, '.test-page.sh');
    writeFileSync(script, pageScript(blocks));
    // Its own process group, so the daemon the page starts is stopped with the rest, even on failure.
    const child = spawn('bash', [script], { cwd: home, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    pgid = child.pid!;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => process.kill(-pgid, 'SIGKILL'), 900_000);
    exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    clearTimeout(timer);
    writeFileSync(join(home, '.test-page.log'), output);
  });

  after(() => {
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      // already gone
    }
  });

  it('marks every code block, and runs or writes all but the example output', () => {
    assert.ok(blocks.length >= 10);
    const skipped = blocks.filter((b) => b.directive === 'skip');
    assert.ok(
      skipped.every((b) => b.argument.length > 0),
      'a skipped block says why',
    );
    assert.ok(
      skipped.length <= 2,
      `only the install line and the example output are skipped: ${skipped.map((b) => b.line).join(', ')}`,
    );
  });

  it('runs from start to end', () => {
    assert.equal(exitCode, 0, output);
    assert.match(output, /^@@ end$/m, output);
  });

  it('carries the profile over to the new version, measures it, refreshes it, and optimizes again', () => {
    const checkIndex = blocks.findIndex((b) => b.code.trim() === 'nix-pgo check minivm');
    assert.match(outputOf(output, checkIndex), /^minivm: changed: minivm-1\.0 → minivm-1\.1; /m, output);
    const refreshIndex = blocks.findIndex((b) => b.code.includes("grep -q '^minivm: refreshing'"));
    const refresh = outputOf(output, refreshIndex);
    assert.match(refresh, /^minivm: refreshing$/m, output);
    assert.match(
      refresh,
      /^ {2}match: {4}3\d\.\d % of the profile's counts apply \(2 of 3 functions; 1 changed, 0 gone\)/m,
      output,
    );
    assert.match(refresh, /^ {2}lost: {5}minivm\.c:step 6\d\.\d %$/m, output);
    assert.match(refresh, /^ {2}active: {3}profile of minivm-1\.1 /m, output);
    assert.match(refresh, /^ {4}\S+ {2}refreshed minivm-1\.1 /m, output);
    assert.match(refresh, /^minivm: optimized$/m, output);
    assert.match(refresh, /^ {2}match: {4}100 % of the profile's counts apply/m, output);
    // The second status: every step, the carry-over before the refresh (never the instrumented build because of the upgrade).
    const last = refresh.slice(refresh.lastIndexOf('minivm: optimized'));
    assert.deepEqual(
      [...last.matchAll(/^ {4}\S+ {2}([a-z-]+) /gm)].map((m) => m[1]),
      ['trained', 'upgraded', 'carried-over', 'measured', 'refresh-started', 'refreshed', 'measured'],
      output,
    );
  });

  it('ends with the package optimized, then rolled back to its profiling variant', () => {
    const waitIndex = blocks.findIndex((b) => b.code.includes("grep -q '^minivm: optimized'"));
    const optimized = outputOf(output, waitIndex);
    assert.match(optimized, /^minivm: optimized$/m, output);
    assert.match(optimized, /^ {2}active: {3}optimized/m, output);
    const rolledBack = outputOf(
      output,
      blocks.length -
        blocks
          .slice()
          .reverse()
          .findIndex((b) => b.directive === 'run') -
        1,
    );
    assert.match(rolledBack, /^minivm: \w+ \(held by a rollback\)$/m, output);
    assert.match(rolledBack, /^ {2}active: {3}profile/m, output);
  });
});
