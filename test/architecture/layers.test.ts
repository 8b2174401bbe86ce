/**
 * The shape of src/, checked: every import goes to the module's own folder or
 * to a lower layer (the table in docs/architecture.md, read here, is the one
 * place the order is written), no module imports itself around a cycle, and
 * only src/state/ runs SQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { repoRoot } from '../support/nix.js';

const srcDir = join(repoRoot, 'src');

/** Folder → layer number, from the rows `| N | `a`, `b` | ... |` of the architecture page. */
function readLayers(): Map<string, number> {
  const text = readFileSync(join(repoRoot, 'docs/architecture.md'), 'utf8');
  const layers = new Map<string, number>();
  for (const line of text.split('\n')) {
    const row = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (!row) continue;
    for (const folder of row[2]!.matchAll(/`([a-z-]+)`/g)) {
      assert.ok(!layers.has(folder[1]!), `${folder[1]} is listed twice in docs/architecture.md`);
      layers.set(folder[1]!, Number(row[1]));
    }
  }
  return layers;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file, resolved to source paths (type-only imports count too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
    normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
  );
}

const folderOf = (file: string) => relative(srcDir, file).split('/')[0]!;
const files = sourceFiles(srcDir);

test('every folder of src/ has a layer, and every import goes down the layers', () => {
  const layers = readLayers();
  const folders = new Set(files.map(folderOf));
  for (const folder of folders) assert.ok(layers.has(folder), `src/${folder} has no layer in docs/architecture.md`);
  for (const folder of layers.keys())
    assert.ok(folders.has(folder), `docs/architecture.md lists ${folder}, which is not a folder of src/`);
  const wrong: string[] = [];
  for (const file of files) {
    for (const target of importsOf(file)) {
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to && layers.get(to)! >= layers.get(from)!)
        wrong.push(
          `${relative(repoRoot, file)} imports ${relative(repoRoot, target)} (layer ${layers.get(from)} → ${layers.get(to)})`,
        );
    }
  }
  assert.deepEqual(wrong, []);
});

test('no import cycles between modules', () => {
  const graph = new Map(files.map((f) => [f, importsOf(f)] as const));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(srcDir, f)).join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('SQL runs only in src/state/', () => {
  const outside = files
    .filter((f) => folderOf(f) !== 'state')
    .filter((f) =>
      /\.(prepare|pragma|transaction)\(|\bdb\.exec\(|['"`]\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\s/.test(
        readFileSync(f, 'utf8'),
      ),
    )
    .map((f) => relative(repoRoot, f));
  assert.deepEqual(outside, []);
});
