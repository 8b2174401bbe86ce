/** BOLT's fdata text: what is refused, how counts add and scale, and the one order files are written in. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addFdata,
  FdataReader,
  fdataMass,
  parseFdata,
  parseFdataName,
  renderFdata,
  scaleFdata,
} from '../../src/formats/fdata.js';

const RUN = '1 main 1a 1 square/1 0 0 7\n0 [unknown] 0 1 main 0 0 1\n1 main 2f 1 main 40 2 30\n';

function parse(text: string) {
  const parsed = parseFdata(Buffer.from(text, 'latin1'));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  return parsed;
}

test('a whole file parses into counts per branch, and its mass is the sum of the counts', () => {
  const parsed = parse(RUN);
  assert.equal(parsed.profile.size, 3);
  assert.deepEqual(parsed.profile.get('1 main 2f 1 main 40'), { mispredicts: 2n, count: 30n });
  assert.equal(parsed.mass, 38);
});

test('a branch listed twice counts twice', () => {
  const parsed = parse('1 f 0 1 g 0 0 3\n1 f 0 1 g 0 1 4\n');
  assert.deepEqual([...parsed.profile.values()], [{ mispredicts: 1n, count: 7n }]);
});

test('files cut short or broken are refused with the line that is wrong', () => {
  const cases: [string, string, RegExp][] = [
    ['', 'truncated', /empty/],
    [RUN.slice(0, -4), 'truncated', /inside a line/],
    ['1 main 1a 1 square/1 0 0\n', 'corrupt', /line 1: 7 fields/],
    ['1 main 1a 1 square/1 0 0 7\n1 main zz 1 f 0 0 1\n', 'corrupt', /line 2: an offset/],
    ['1 main 1a 1 f 0 0 -3\n', 'corrupt', /a count/],
    ['x main 1a 1 f 0 0 3\n', 'corrupt', /kind/],
    ['1 main 1a 1 f 0 0 3\n\n', 'corrupt', /line 2: 1 fields/],
    ['1 ma\tin 1a 1 f 0 0 3\n', 'corrupt', /symbol/],
  ];
  for (const [text, problem, detail] of cases) {
    const parsed = parseFdata(Buffer.from(text));
    assert.equal(parsed.ok, false, JSON.stringify(text));
    if (!parsed.ok) {
      assert.equal(parsed.problem, problem, JSON.stringify(text));
      assert.match(parsed.detail, detail);
    }
  }
});

test('adding two runs doubles every count; rendering sorts the lines bytewise, whatever the order they came in', () => {
  const one = parse(RUN).profile;
  const two = addFdata(new Map(one), parse(`${RUN.split('\n').reverse().join('\n').slice(1)}\n`).profile);
  assert.equal(
    renderFdata(two).toString(),
    '0 [unknown] 0 1 main 0 0 2\n1 main 1a 1 square/1 0 0 14\n1 main 2f 1 main 40 4 60\n',
  );
  assert.equal(fdataMass(two), 76);
});

test('scaling rounds to the nearest count and drops branches that become zero', () => {
  const scaled = scaleFdata(parse(RUN).profile, 0.1);
  assert.equal(renderFdata(scaled).toString(), '1 main 1a 1 square/1 0 0 1\n1 main 2f 1 main 40 0 3\n');
  assert.throws(() => scaleFdata(new Map(), 0), RangeError);
});

test('a profile is named <build id>.<pid>.fdata', () => {
  assert.deepEqual(parseFdataName(`${'ab'.repeat(20)}.4242.fdata`), { buildId: 'ab'.repeat(20), pid: 4242 });
  for (const bad of [
    'ab.1.fdata',
    `${'AB'.repeat(20)}.1.fdata`,
    `${'ab'.repeat(20)}.0.fdata`,
    `${'ab'.repeat(20)}.1.fdata.tmp`,
    `${'ab'.repeat(20)}.fdata`,
  ]) {
    assert.equal(parseFdataName(bad), null, bad);
  }
});

test('the streamed check agrees with the whole-file parse, however the file is cut into chunks', () => {
  const files = [
    '1 main 0 1 main 1a 0 5\n1 main 4 1 square 0 2 7\n',
    '1 main 0 1 main 1a 0 5\n1 main x\n',
    '1 main 0 1 main 1a 0 5',
    '',
    '1 main 0 1 main 1a 0 9223372036854775807\n',
    '1 main 0 1 main 1a 0 9223372036854775808\n',
  ];
  for (const text of files) {
    const bytes = Buffer.from(text, 'latin1');
    const whole = parseFdata(bytes);
    for (const size of [1, 3, 7, 64]) {
      const check = new FdataReader();
      for (let at = 0; at < bytes.length; at += size) check.feed(bytes.subarray(at, at + size));
      const streamed = check.end();
      assert.equal(streamed.ok, whole.ok, `${JSON.stringify(text)} in chunks of ${size}`);
      if (streamed.ok && whole.ok) assert.equal(streamed.mass, whole.mass);
      if (!streamed.ok && !whole.ok)
        assert.deepEqual([streamed.problem, streamed.detail], [whole.problem, whole.detail]);
    }
  }
  const huge = parseFdata(Buffer.from('1 main 0 1 main 1a 0 9223372036854775808\n'));
  assert.ok(!huge.ok && huge.problem === 'corrupt' && /int64/.test(huge.detail));
});
