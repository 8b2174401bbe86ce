// What the Emacs workloads print, and what makes an output well-formed: all
// variants printing the same error message must not count as a pass. Pure.

const SHA1 = /^[0-9a-f]{40}$/;

/** The workload a script is: its file name without `.el` (`byte-compile`, `regex`, `json`, `org-export`). */
export type EmacsWorkloadKind = 'byte-compile' | 'regex' | 'json' | 'org-export';

export const EMACS_WORKLOAD_KINDS: readonly EmacsWorkloadKind[] = ['byte-compile', 'regex', 'json', 'org-export'];

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.length > 0);
}

/** `FILE SHA1` per compiled file. */
function validateByteCompile(stdout: string): string[] {
  const all = lines(stdout);
  if (all.length === 0) return ['no file was compiled'];
  return all.flatMap((line) => {
    const [file, sha1, ...rest] = line.split(' ');
    if (!file?.endsWith('.el') || !SHA1.test(sha1 ?? '') || rest.length > 0)
      return [`not "FILE.el SHA1": ${JSON.stringify(line)}`];
    return [];
  });
}

/** `LABEL: COUNT` lines, then `rewritten N chars sha1 SHA1`; every count found something. */
function validateRegex(stdout: string): string[] {
  const all = lines(stdout);
  const last = all.pop() ?? '';
  const problems: string[] = [];
  const summary = /^rewritten (\d+) chars sha1 ([0-9a-f]{40})$/.exec(last);
  if (!summary || Number(summary[1]) === 0)
    problems.push(`no "rewritten N chars sha1 SHA1" line at the end: ${JSON.stringify(last)}`);
  if (all.length === 0) problems.push('no match counts');
  for (const line of all) {
    const count = /^(.+): (\d+)$/.exec(line);
    if (!count) problems.push(`not "LABEL: COUNT": ${JSON.stringify(line)}`);
    else if (Number(count[2]) === 0) problems.push(`${count[1]} matched nothing`);
  }
  return problems;
}

/** The measuring json.el run: encoded text, an exact round trip, records and their lines. */
function validateJson(stdout: string): string[] {
  const text = stdout;
  const problems: string[] = [];
  const encoded = /^encoded (\d+) chars sha1 ([0-9a-f]{40})$/m.exec(text);
  if (!encoded || Number(encoded[1]) === 0) problems.push('no "encoded N chars sha1 SHA1" line');
  if (!/^round trip identical: t$/m.test(text))
    problems.push('the round trip through json-read and json-encode changed the text');
  const records = /^records (\d+) lines (\d+)$/m.exec(text);
  if (!records || Number(records[1]) === 0 || Number(records[2]) < Number(records[1]))
    problems.push('no "records N lines M" line with M >= N > 0');
  return problems;
}

/** `html N chars sha1 SHA1`. */
function validateOrgExport(stdout: string): string[] {
  const match = /^html (\d+) chars sha1 ([0-9a-f]{40})$/m.exec(stdout);
  return match && Number(match[1]) > 0
    ? []
    : [`no "html N chars sha1 SHA1" line: ${JSON.stringify(stdout.slice(0, 200))}`];
}

export function validateEmacsOutput(kind: EmacsWorkloadKind, stdout: string): string[] {
  switch (kind) {
    case 'byte-compile':
      return validateByteCompile(stdout);
    case 'regex':
      return validateRegex(stdout);
    case 'json':
      return validateJson(stdout);
    case 'org-export':
      return validateOrgExport(stdout);
  }
}

/** The kind of an Emacs workload from its script (the last argument, `.../measure/regex.el`), or null. */
export function workloadKind(args: readonly string[]): EmacsWorkloadKind | null {
  const script = args.at(-1) ?? '';
  const base = script.slice(script.lastIndexOf('/') + 1).replace(/\.el$/, '');
  return (EMACS_WORKLOAD_KINDS as readonly string[]).includes(base) ? (base as EmacsWorkloadKind) : null;
}

/** One answer of the long-running Emacs to `(nix-pgo-bench-edit FILE)`, as emacsclient prints it (a Lisp string). */
export interface EditAnswer {
  file: string;
  faces: number;
  sexps: number;
  sha1: string;
}

export function parseEditAnswer(answer: string): EditAnswer | null {
  const match = /^"(\S+) faces=(\d+) sexps=(\d+) ([0-9a-f]{40})"$/.exec(answer.trim());
  if (!match) return null;
  return { file: match[1]!, faces: Number(match[2]), sexps: Number(match[3]), sha1: match[4]! };
}

/**
 * `system-configuration-options` as Emacs prints it, split into its options
 * (configure quotes a word with spaces in single quotes).
 */
export function splitConfigureOptions(text: string): string[] {
  const words: string[] = [];
  const pattern = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (const match of text.trim().matchAll(pattern))
    words.push(match[1] !== undefined ? match[1].replace(/'\\''/g, "'") : match[2]!);
  return words;
}

/** Options that name a profile or a profiling flag: what an optimized Emacs must not have recorded. */
export function profileOptions(options: readonly string[], profilePath: string | null): string[] {
  return options.filter(
    (option) => /-fprofile-/.test(option) || (profilePath !== null && option.includes(profilePath)),
  );
}
