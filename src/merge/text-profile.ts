/**
 * An LLVM profile in its text form (`llvm-profdata merge --text`), read and
 * rewritten (pure). llvm-profdata can only weigh inputs up by whole numbers, so
 * scaling a contributor down goes through the text form and back.
 */

/** `factor` in (0, 1]; counts are rounded to the nearest whole number. */
export function scaleTextProfile(text: string, factor: number): string {
  if (!(factor > 0 && factor <= 1)) throw new RangeError(`scale factor must be in (0, 1], not ${factor}`);
  // The factor as an exact fraction of its 17 significant digits, so a tiny factor keeps its precision.
  const [mantissa, exponent] = factor.toExponential(16).split('e') as [string, string];
  const digits = BigInt(mantissa.replace('.', ''));
  const shift = 16 - Number(exponent);
  const num = shift >= 0 ? digits : digits * 10n ** BigInt(-shift);
  const den = shift >= 0 ? 10n ** BigInt(shift) : 1n;
  const scale = (value: string) => ((BigInt(value) * num + den / 2n) / den).toString();
  const lines = text.split('\n');
  const out: string[] = [];
  let i = 0;
  const take = () => lines[i++]!;
  const expectCount = (count: number, map: (line: string) => string) => {
    for (let k = 0; k < count && i < lines.length; k++) out.push(map(take()));
  };
  while (i < lines.length) {
    const line = take();
    out.push(line);
    if (line === '# Counter Values:') {
      const numCounters = Number(out[out.length - 2]);
      expectCount(numCounters, (v) => (/^\d+$/.test(v.trim()) ? scale(v.trim()) : v));
    } else if (line === '# NumValueSites:') {
      const sites = Number(take());
      out.push(String(sites));
      for (let site = 0; site < sites && i < lines.length; site++) {
        const targets = Number(take());
        out.push(String(targets));
        // "name:count", the name may itself hold colons: the count is after the last one.
        expectCount(targets, (entry) => {
          const cut = entry.lastIndexOf(':');
          return cut < 0 ? entry : `${entry.slice(0, cut)}:${scale(entry.slice(cut + 1))}`;
        });
      }
    }
  }
  return out.join('\n');
}

/** The sum of every block counter (value-profile counts are not counters). */
export function sumTextProfileCounters(text: string): number {
  const lines = text.split('\n');
  let total = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '# Counter Values:') continue;
    const count = Number(lines[i - 1]);
    for (let k = 1; k <= count; k++) total += Number(lines[i + k]);
    i += count;
  }
  return total;
}
