/** Store derivations as nix-instantiate writes them: outputs, environment, name and version. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeDerivation, parseDerivation } from '../../src/formats/derivation.js';
import { NixPgoError } from '../../src/errors/errors.js';
import { run } from '../../src/process/run.js';
import { examples } from '../support/nix.js';

describe('parseDerivation', () => {
  it('reads a real derivation of the example set', async () => {
    const drvPath = (await run('nix-instantiate', [examples, '-A', 'minivm'])).stdout.trim();
    const drv = parseDerivation(readFileSync(drvPath, 'utf8'), drvPath);
    assert.match(drv.outputs.out!, /^\/nix\/store\/[a-z0-9]{32}-minivm-1\.0$/);
    assert.deepEqual(describeDerivation(drv), { name: 'minivm', version: '1.0' });
  });

  it('reads escapes in strings, and takes name when there is no pname', () => {
    const text =
      'Derive([("out","/nix/store/x-a","","")],[],[],"x86_64-linux","/bin/sh",["-c","echo \\"hi\\"\\n"],[("name","a-b"),("script","a\\\\b\\tc")])';
    const drv = parseDerivation(text, 'a.drv');
    assert.equal(drv.env.script, 'a\\b\tc');
    assert.deepEqual(describeDerivation(drv), { name: 'a-b', version: null });
  });

  it('refuses what is not one', () => {
    assert.throws(() => parseDerivation('Derive([', 'x.drv'), NixPgoError);
    assert.throws(() => parseDerivation('{"not": "aterm"}', 'x.drv'), /x\.drv: not a store derivation/);
  });
});
