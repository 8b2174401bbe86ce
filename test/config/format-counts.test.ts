import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countUnit, formatCounts, formatDecimal, formatSetting } from '../../src/config/format-counts.js';

describe('formatDecimal', () => {
  it('shows one decimal, or two significant digits for small amounts', () => {
    assert.equal(formatDecimal(0), '0');
    assert.equal(formatDecimal(1), '1.0');
    assert.equal(formatDecimal(12.34), '12.3');
    assert.equal(formatDecimal(0.05), '0.050');
    assert.equal(formatDecimal(0.0123), '0.012');
  });

  it('rounds down on request without floating point slips', () => {
    assert.equal(formatDecimal(0.99, 'down'), '0.9');
    assert.equal(formatDecimal(0.99), '1.0');
    assert.equal(formatDecimal(0.3, 'down'), '0.3');
    assert.equal(formatDecimal(0.0499, 'down'), '0.049');
    assert.equal(formatDecimal(0.11, 'up'), '0.2');
  });
});

describe('formatCounts', () => {
  it('picks k, M or G by size, whole numbers below a thousand', () => {
    assert.deepEqual(countUnit(999), { size: 1, suffix: '' });
    assert.equal(formatCounts(0), '0');
    assert.equal(formatCounts(999.4), '999');
    assert.equal(formatCounts(1500), '1.5k');
    assert.equal(formatCounts(2_340_000), '2.3M');
    assert.equal(formatCounts(7e9), '7.0G');
  });

  it("shows an amount in another number's unit, rounding as asked", () => {
    const million = countUnit(1e6);
    assert.equal(formatCounts(860_000, million), '0.9M');
    assert.equal(formatCounts(999_999, million, 'down'), '0.9M');
    assert.equal(formatCounts(12_000, million), '0.012M');
    assert.equal(formatCounts(100.5, countUnit(500), 'down'), '100');
    assert.equal(formatCounts(100.5, countUnit(500), 'up'), '101');
  });

  it('writes a setting as given', () => {
    assert.equal(formatSetting(2_000_000), '2M');
    assert.equal(formatSetting(1500), '1.5k');
    assert.equal(formatSetting(100), '100');
    assert.equal(formatSetting(1e9), '1G');
  });
});
