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

/** One function of a text profile: its name, hash and block counters, and its lines as written. */
export interface TextProfileRecord {
  name: string;
  hash: bigint;
  counters: bigint[];
  lines: string[];
}

/** The header lines (`:ir` and its comments) and the function records of a text profile (pure). */
export function splitTextProfile(text: string): { header: string[]; records: TextProfileRecord[] } {
  const header: string[] = [];
  const records: TextProfileRecord[] = [];
  let block: string[] = [];
  const flush = () => {
    const start = block.findIndex((line, i) => block[i + 1] === '# Func Hash:' && !line.startsWith('#'));
    if (start < 0) {
      if (records.length === 0) header.push(...block.filter((l) => l !== ''));
    } else {
      if (records.length === 0) header.push(...block.slice(0, start));
      const lines = block.slice(start);
      const count = Number(lines[4]);
      records.push({
        name: lines[0]!,
        hash: BigInt(lines[2]!.trim()),
        counters: lines.slice(6, 6 + count).map((v) => BigInt(v.trim())),
        lines,
      });
    }
    block = [];
  };
  for (const line of text.split('\n')) {
    if (line === '') flush();
    else block.push(line);
  }
  flush();
  return { header, records };
}

/** The text profile with only the records `keep` accepts (pure). */
export function filterTextProfile(text: string, keep: (record: TextProfileRecord) => boolean): string {
  const { header, records } = splitTextProfile(text);
  return `${[header.join('\n'), ...records.filter(keep).map((r) => r.lines.join('\n'))].join('\n\n')}\n`;
}
