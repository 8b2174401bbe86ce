/**
 * Counts (the sum of profile counters, the measure of the data threshold) in
 * words: a number with k, M, G or T (thousands, millions, billions,
 * trillions), e.g. "0.86M".
 */

export interface CountUnit {
  size: number;
  suffix: '' | 'k' | 'M' | 'G' | 'T';
}

const UNITS: readonly CountUnit[] = [
  { size: 1e12, suffix: 'T' },
  { size: 1e9, suffix: 'G' },
  { size: 1e6, suffix: 'M' },
  { size: 1e3, suffix: 'k' },
];

/** The largest unit not above `count`: a threshold and the amounts measured against it are shown in its unit. */
export function countUnit(count: number): CountUnit {
  return UNITS.find((u) => count >= u.size) ?? { size: 1, suffix: '' };
}

/**
 * One decimal (two significant digits below 0.1). `down` rounds down, so an
 * amount still short of a target never shows as reaching it; `up` rounds what
 * is missing up, so it never shows as less than it is.
 */
export function formatDecimal(value: number, rounding: 'nearest' | 'down' | 'up' = 'nearest'): string {
  if (value <= 0) return '0';
  const decimals = value >= 0.1 ? 1 : 1 - Math.floor(Math.log10(value));
  const scaled = value * 10 ** decimals;
  // The small epsilons keep 0.3 * 10 = 2.9999... from rounding down to 2 (or 3.0000...1 up to 4).
  const rounded =
    rounding === 'down' ? Math.floor(scaled + 1e-9) : rounding === 'up' ? Math.ceil(scaled - 1e-9) : Math.round(scaled);
  return (rounded / 10 ** decimals).toFixed(decimals);
}

/** `count` in `unit` (by default its own), e.g. "0.86M"; whole numbers below a thousand. */
export function formatCounts(
  count: number,
  unit: CountUnit = countUnit(count),
  rounding: 'nearest' | 'down' | 'up' = 'nearest',
): string {
  if (count <= 0) return '0';
  if (unit.size === 1) {
    const whole = rounding === 'down' ? Math.floor(count) : rounding === 'up' ? Math.ceil(count) : Math.round(count);
    return String(whole);
  }
  return `${formatDecimal(count / unit.size, rounding)}${unit.suffix}`;
}

/** A configured number as written, in its unit: 2000000 is "2M", 1500 is "1.5k". */
export function formatSetting(count: number): string {
  const unit = countUnit(count);
  return `${Number((count / unit.size).toPrecision(6))}${unit.suffix}`;
}
