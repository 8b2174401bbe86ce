/**
 * BOLT profiles merged by nix-pgo are what BOLT's own merge-fdata makes of
 * the same real files (the sums of the counts), in one canonical order; a
 * contributor's tree is scaled before it is combined.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFdata, renderFdata } from '../../src/formats/fdata.js';
import {
  addFdataTrees,
  combineFdataTrees,
  readFdataTree,
  writeFdataTree,
  type FdataTree,
} from '../../src/merge/fdata-tree.js';
import { run } from '../../src/process/run.js';
import { MERGE_FDATA, buildBoltExample, tempDir } from '../support/spool-fixture.js';

function treeOf(files: readonly string[], dir: string): FdataTree {
  const tree: FdataTree = new Map();
  for (const file of files) {
    const parsed = parseFdata(readFileSync(join(dir, file)));
    assert.ok(parsed.ok);
    addFdataTrees(tree, new Map([[`${file.split('.')[0]}.fdata`, parsed.profile]]));
  }
  return tree;
}

test("the sum of real runs equals merge-fdata's merge of them, per instrumented file; the file written is canonical", async () => {
  const root = tempDir('fdata-merge');
  const example = await buildBoltExample(root, 'fmerge', join(root, 'bolt'));
  const boltDir = join(root, 'bolt', String(process.getuid!()));
  for (let i = 0; i < 3; i++) await run(example.exe, [`arg${i}`]);
  const files = readdirSync(boltDir);
  assert.equal(files.length, 6, 'three runs of a program and its library');
  const tree = treeOf(files, boltDir);
  const out = join(root, 'merged.fdata.d');
  await writeFdataTree(tree, out);
  for (const name of readdirSync(out)) {
    const id = name.split('.')[0]!;
    const inputs = files.filter((f) => f.startsWith(`${id}.`)).map((f) => join(boltDir, f));
    const { stdout } = await run(MERGE_FDATA, inputs);
    const theirs = parseFdata(Buffer.from(stdout, 'latin1'));
    assert.ok(theirs.ok);
    assert.deepEqual(readFileSync(join(out, name)), renderFdata(theirs.profile), `${name}: same counts as merge-fdata`);
  }
  // Merging the stored tree with more runs later gives the same bytes as merging everything at once.
  const later = treeOf(files.slice(0, 4), boltDir);
  addFdataTrees(later, treeOf(files.slice(4), boltDir));
  const again = join(root, 'again.fdata.d');
  await writeFdataTree(later, again);
  for (const name of readdirSync(out)) assert.deepEqual(readFileSync(join(again, name)), readFileSync(join(out, name)));
});

test('combining contributors scales each tree by its weight before adding', async () => {
  const root = tempDir('fdata-combine');
  const a: FdataTree = new Map([['x.fdata', new Map([['1 f 0 1 g 0', { mispredicts: 0n, count: 100n }]])]]);
  const b: FdataTree = new Map([
    ['x.fdata', new Map([['1 f 0 1 g 0', { mispredicts: 0n, count: 10n }]])],
    ['y.fdata', new Map([['1 h 0 1 h 4', { mispredicts: 1n, count: 4n }]])],
  ]);
  const combined = combineFdataTrees([
    { tree: a, weight: 0.1 },
    { tree: b, weight: 1 },
  ]);
  mkdirSync(root, { recursive: true });
  await writeFdataTree(combined, join(root, 'c'));
  const back = readFdataTree(join(root, 'c'));
  assert.deepEqual(back.get('x.fdata')?.get('1 f 0 1 g 0'), { mispredicts: 0n, count: 20n });
  assert.deepEqual(back.get('y.fdata')?.get('1 h 0 1 h 4'), { mispredicts: 1n, count: 4n });
});
