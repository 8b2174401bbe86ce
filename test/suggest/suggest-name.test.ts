import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureEditDistance, suggestName } from '../../src/suggest/suggest-name.js';

describe('suggestName', () => {
  it('counts edits, with a swap of neighbours as one', () => {
    assert.equal(measureEditDistance('kitten', 'sitting'), 3);
    assert.equal(measureEditDistance('attr', 'atr'), 1);
    assert.equal(measureEditDistance('policy', 'ploicy'), 1);
    assert.equal(measureEditDistance('', 'abc'), 3);
  });

  it('suggests the closest candidate, ignoring case', () => {
    assert.equal(suggestName('thresholdmb', ['minRuns', 'thresholdMB']), 'thresholdMB');
    assert.equal(suggestName('stateDri', ['stateDir', 'spoolDir']), 'stateDir');
  });

  it('suggests nothing for a name far from every candidate', () => {
    assert.equal(suggestName('banana', ['attr', 'nixFile']), undefined);
    assert.equal(suggestName('x', []), undefined);
  });
});
