// The fenced code blocks of a page under docs/ that a test follows literally, each with the
// `<!-- test: run | file PATH | skip REASON -->` line before it (a block without one is an error).

export interface PageBlock {
  directive: 'run' | 'file' | 'skip';
  /** The path of a `file` block, the reason of a `skip` block. */
  argument: string;
  language: string;
  code: string;
  line: number;
}

/** The fenced code blocks of a Markdown page with the `<!-- test: … -->` marker before each. */
export function pageBlocks(markdown: string): PageBlock[] {
  const lines = markdown.split('\n');
  const blocks: PageBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l === '```');
    if (end < 0) throw new Error(`line ${i + 1}: unterminated code block`);
    const marker = /^<!-- test: (run|file|skip)\s*(.*?)\s*-->$/.exec(lines[i - 1] ?? '');
    if (!marker)
      throw new Error(
        `line ${i + 1}: a code block without a <!-- test: run | file PATH | skip REASON --> line before it`,
      );
    blocks.push({
      directive: marker[1] as PageBlock['directive'],
      argument: marker[2]!,
      language: fence[1]!,
      code: lines.slice(i + 1, end).join('\n'),
      line: i + 1,
    });
    i = end;
  }
  return blocks;
}
