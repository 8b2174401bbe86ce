// The Emacs benchmark program's pure parts: what its workloads print and when
// an output is well-formed, the answers of the long-running Emacs, and the
// configure options an optimized Emacs records (it must name no profile).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseEditAnswer,
  profileOptions,
  splitConfigureOptions,
  validateEmacsOutput,
  workloadKind,
} from '../../bench/real/programs/emacs/outputs.js';
import { isGone, lispString } from '../../bench/real/programs/emacs/live.js';
import { LIVE_FILES, makeEmacsSpec } from '../../bench/real/programs/emacs/spec.js';
import { logShowsBuild } from '../../bench/real/nix-variants.js';
import { findRawProfiles, rawProfileBuildIds } from '../../bench/real/profile-checks.js';
import { checkSpool, listSpool } from '../../bench/real/optimized-source.js';

const SHA = '8e828ec2e4b2f801b6d3b6e055a222ee74362745';

describe('Emacs workload outputs', () => {
  it('accepts what the workloads print', () => {
    assert.deepEqual(validateEmacsOutput('byte-compile', `progmodes/python.el ${SHA}\nsimple.el ${SHA}\n`), []);
    assert.deepEqual(
      validateEmacsOutput(
        'regex',
        `status=5[0-9][0-9]: 2574\ncase-folded: 1218\nrewritten 1823679 chars sha1 ${SHA}\n`,
      ),
      [],
    );
    assert.deepEqual(
      validateEmacsOutput(
        'json',
        `encoded 775229 chars sha1 ${SHA}\nround trip identical: t\nrecords 2200 lines 7590\n`,
      ),
      [],
    );
    assert.deepEqual(validateEmacsOutput('org-export', `html 71251 chars sha1 ${SHA}\n`), []);
  });

  it('rejects outputs that every variant could print alike and that show a broken run', () => {
    assert.match(validateEmacsOutput('byte-compile', '').join(), /no file was compiled/);
    assert.match(
      validateEmacsOutput('byte-compile', 'Symbol’s value as variable is void: x\n').join(),
      /not "FILE.el SHA1"/,
    );
    assert.match(
      validateEmacsOutput('regex', `case-folded: 0\nrewritten 10 chars sha1 ${SHA}\n`).join(),
      /case-folded matched nothing/,
    );
    assert.match(validateEmacsOutput('regex', 'case-folded: 3\n').join(), /no "rewritten N chars/);
    assert.match(
      validateEmacsOutput(
        'json',
        `encoded 10 chars sha1 ${SHA}\nround trip identical: nil\nrecords 2 lines 3\n`,
      ).join(),
      /round trip/,
    );
    assert.match(
      validateEmacsOutput('json', `encoded 10 chars sha1 ${SHA}\nround trip identical: t\n`).join(),
      /records N lines M/,
    );
    assert.match(validateEmacsOutput('org-export', 'html 0 chars sha1 x\n').join(), /no "html N chars/);
  });

  it('knows a workload by its script', () => {
    assert.equal(workloadKind(['-Q', '--batch', '-l', '/bench/workloads/emacs/measure/org-export.el']), 'org-export');
    assert.equal(workloadKind(['-Q', '--batch', '-l', '/bench/workloads/emacs/train/live.el']), null);
    assert.equal(workloadKind([]), null);
  });

  it('validates the measuring workloads of the spec by their scripts', () => {
    const spec = makeEmacsSpec({ dir: '/src/emacs-28.2+1', version: '28.2+1' });
    assert.deepEqual(
      spec.measure.map((w) => workloadKind(w.args)),
      ['byte-compile', 'regex', 'json', 'org-export'],
    );
    const regex = spec.measure.find((w) => w.name === 'regex')!;
    assert.deepEqual(spec.validateOutput!(regex, `a: 1\nrewritten 5 chars sha1 ${SHA}\n`), []);
    assert.match(spec.validateOutput!({ name: 'x', args: ['-l', 'x.el'] }, '').join(), /no Emacs workload/);
    assert.ok(spec.trainLive && spec.defaultRepetitions! < 20);
    // The long-running Emacs edits no file a measuring run byte-compiles.
    const measured = ['progmodes/python.el', 'simple.el', 'files.el', 'minibuffer.el'];
    for (const file of measured) assert.ok(!LIVE_FILES.includes(file), file);
  });
});

describe('the long-running Emacs', () => {
  it('parses its answers to nix-pgo-bench-edit as emacsclient prints them', () => {
    assert.deepEqual(parseEditAnswer(`"simple.el faces=15771 sexps=543 ${SHA}"\n`), {
      file: 'simple.el',
      faces: 15771,
      sexps: 543,
      sha1: SHA,
    });
    assert.equal(parseEditAnswer('*ERROR*: Opening input file: No such file or directory'), null);
  });

  it('quotes Lisp strings', () => {
    assert.equal(lispString('/a "b"\\c'), '"/a \\"b\\"\\\\c"');
  });

  it('sees a process that has exited as gone', () => {
    assert.equal(isGone(process.pid), false);
    assert.equal(isGone(2 ** 22 + 1), true);
  });
});

describe('the profile an optimized Emacs records', () => {
  it('splits system-configuration-options as configure quoted them', () => {
    assert.deepEqual(
      splitConfigureOptions("--prefix=/nix/store/abc-emacs --without-all 'CFLAGS=-O2 -fprofile-use=/p q' CFLAGS=-O2\n"),
      ['--prefix=/nix/store/abc-emacs', '--without-all', 'CFLAGS=-O2 -fprofile-use=/p q', 'CFLAGS=-O2'],
    );
    assert.deepEqual(splitConfigureOptions("'CC=it'\\''s'"), ["CC=it's"]);
  });

  it('finds options that name a profile or a profiling flag', () => {
    const profile = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-emacs.profdata';
    assert.deepEqual(profileOptions(['--prefix=/nix/store/x-emacs', 'CFLAGS=-O2'], profile), []);
    assert.deepEqual(profileOptions(['--prefix=/nix/store/x-emacs', `CFLAGS=-O2 -fprofile-use=${profile}`], profile), [
      `CFLAGS=-O2 -fprofile-use=${profile}`,
    ]);
    assert.deepEqual(profileOptions([`--with-profile=${profile}`], profile), [`--with-profile=${profile}`]);
    assert.deepEqual(profileOptions(['CFLAGS=-fprofile-generate'], null), ['CFLAGS=-fprofile-generate']);
  });
});

describe('build times and leftovers', () => {
  it('tells a nix-build that built from one that found the output in the store', () => {
    assert.equal(
      logShowsBuild("this derivation will be built:\n  /nix/store/q-emacs.drv\nbuilding '/nix/store/q-emacs.drv'...\n"),
      true,
    );
    assert.equal(logShowsBuild('these 2 derivations will be built:\n'), true);
    assert.equal(logShowsBuild(''), false);
    assert.equal(logShowsBuild('warning: something\n'), false);
  });

  it('finds raw profiles below outputs, and lists the spool with sizes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nix-pgo-bench-leftovers-'));
    mkdirSync(join(dir, 'out', 'share', 'src'), { recursive: true });
    writeFileSync(join(dir, 'out', 'share', 'src', 'default_123_0.profraw'), 'x');
    writeFileSync(join(dir, 'out', 'emacs.pdmp'), 'x');
    assert.deepEqual(findRawProfiles([join(dir, 'out')]), [join(dir, 'out', 'share', 'src', 'default_123_0.profraw')]);
    mkdirSync(join(dir, 'spool', 'llvm'), { recursive: true });
    writeFileSync(join(dir, 'spool', 'llvm', 'live-1-2_0.profraw'), '');
    writeFileSync(join(dir, 'spool', 'llvm', '7-2.profraw'), 'data');
    assert.deepEqual(
      listSpool(join(dir, 'spool')).sort((a, b) => a.path.localeCompare(b.path)),
      [
        { path: join(dir, 'spool', 'llvm', '7-2.profraw'), bytes: 4 },
        { path: join(dir, 'spool', 'llvm', 'live-1-2_0.profraw'), bytes: 0 },
      ],
    );
    assert.deepEqual(listSpool(join(dir, 'absent')), []);
  });

  it('reads no build ID from a file that is not a raw profile', () => {
    assert.equal(rawProfileBuildIds(Buffer.alloc(0)), null);
    assert.equal(
      rawProfileBuildIds(Buffer.from('not a profile, but long enough to hold a header of a raw profile.....')),
      null,
    );
  });
});

describe('checkSpool', () => {
  const training = new Set(['/s/llvm/live-1-9_0.profraw', '/s/llvm/7-9.profraw']);

  it('passes when only the training wrote and exit profiles were taken; live profiles may keep their bytes', () => {
    const check = checkSpool([{ path: '/s/llvm/live-1-9_0.profraw', bytes: 4096 }], training, true);
    assert.equal(check.ok, true);
    assert.match(check.detail, /1 live profile\(s\) of ended programs keep their bytes/);
    assert.equal(checkSpool([], training, true).ok, true);
  });

  it('fails on a file written after the training, on an exit profile not taken, and on data not merged', () => {
    assert.match(
      checkSpool([{ path: '/s/llvm/8-9.profraw', bytes: 0 }], training, true).detail,
      /written after the training: \/s\/llvm\/8-9.profraw/,
    );
    assert.match(
      checkSpool([{ path: '/s/llvm/7-9.profraw', bytes: 10 }], training, true).detail,
      /not taken: \/s\/llvm\/7-9.profraw/,
    );
    assert.equal(checkSpool([], training, false).ok, false);
  });
});
