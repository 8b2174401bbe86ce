// What makes two builds "the same code": the SHA-256 of their .text section
// (the machine code, whatever paths or notes differ around it), the SHA-256
// of its instructions with the displacements of data references masked
// (a run path of another length moves .data by a few bytes and changes every
// RIP-relative displacement, not one instruction), and the GNU build ID.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { run } from '../../src/process/run.js';

export interface CodeIdentity {
  /** The GNU build ID (hex), or null when the file has none. */
  buildId: string | null;
  /** SHA-256 of the .text section's bytes. */
  textSha256: string;
  textBytes: number;
  /** SHA-256 of the disassembled .text with RIP-relative displacements and symbol names masked. */
  instructionsSha256: string;
}

interface Section {
  name: string;
  type: number;
  offset: number;
  size: number;
}

const SHT_NOTE = 7;
const NT_GNU_BUILD_ID = 3;

/** The sections of a 64-bit little-endian ELF file, by name. */
function readSections(elf: Buffer, what: string): Section[] {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${what} is not an ELF file`);
  if (elf[4] !== 2 || elf[5] !== 1) throw new Error(`${what}: only 64-bit little-endian ELF files are read`);
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return {
      nameOffset: elf.readUInt32LE(at),
      type: elf.readUInt32LE(at + 4),
      offset: Number(elf.readBigUInt64LE(at + 0x18)),
      size: Number(elf.readBigUInt64LE(at + 0x20)),
    };
  });
  const names = raw[shstrndx];
  if (!names) throw new Error(`${what}: no section name table`);
  return raw.map((s) => {
    const start = names.offset + s.nameOffset;
    return { name: elf.toString('latin1', start, elf.indexOf(0, start)), type: s.type, offset: s.offset, size: s.size };
  });
}

/** The GNU build ID in the file's notes, or null. */
function findBuildId(elf: Buffer, sections: readonly Section[]): string | null {
  for (const note of sections.filter((s) => s.type === SHT_NOTE)) {
    let at = note.offset;
    while (at + 12 <= note.offset + note.size) {
      const nameSize = elf.readUInt32LE(at);
      const descSize = elf.readUInt32LE(at + 4);
      const type = elf.readUInt32LE(at + 8);
      const nameStart = at + 12;
      const descStart = nameStart + Math.ceil(nameSize / 4) * 4;
      if (type === NT_GNU_BUILD_ID && elf.toString('latin1', nameStart, nameStart + 3) === 'GNU')
        return elf.subarray(descStart, descStart + descSize).toString('hex');
      at = descStart + Math.ceil(descSize / 4) * 4;
    }
  }
  return null;
}

/**
 * `objdump -d` output reduced to what the instructions are: no raw bytes, no
 * comments, `0x1a2b(%rip)` as `(%rip)`, and a direct branch's target as the
 * place it names (`<main+0x3d>`, `<strtol@plt>`) rather than its address: a
 * build whose startup object calls one more library function has one more PLT
 * entry, which moves all of .text by 16 bytes without changing an instruction.
 */
export function normalizeDisassembly(listing: string): string {
  const out: string[] = [];
  for (const line of listing.split('\n')) {
    const match = /^\s*[0-9a-f]+:\t(.*)$/.exec(line);
    if (!match) continue;
    const bare = match[1]!.replace(/\s*#.*$/, '');
    const branch = /^(call|j[a-z]+)(\s+)[0-9a-f]+ (<[^>]*>)$/.exec(bare);
    const instruction = (branch ? `${branch[1]}${branch[2]}${branch[3]}` : bare.replace(/\s*<[^>]*>/g, ''))
      .replace(/-?0x[0-9a-f]+\(%rip\)/g, '(%rip)')
      .trim();
    if (instruction) out.push(instruction);
  }
  // Padding after the last function depends on the alignment of the section that follows (.text ends 1 byte
  // further when nix-pgo's startup code comes next): not an instruction of the program.
  while (out.length > 0 && /^(?:(?:cs|ds|data16)\s+)*(?:nop[wl]?|xchg\s+%ax,%ax)\b/.test(out[out.length - 1]!))
    out.pop();
  return out.join('\n');
}

export async function readCodeIdentity(file: string): Promise<CodeIdentity> {
  const elf = readFileSync(file);
  const sections = readSections(elf, file);
  const text = sections.find((s) => s.name === '.text');
  if (!text) throw new Error(`${file} has no .text section`);
  const bytes = elf.subarray(text.offset, text.offset + text.size);
  const { stdout } = await run('objdump', ['-d', '--no-show-raw-insn', '-j', '.text', file], {
    installHint: 'objdump disassembles the binaries: apt-get install binutils',
  });
  const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
  return {
    buildId: findBuildId(elf, sections),
    textSha256: sha256(bytes),
    textBytes: text.size,
    instructionsSha256: sha256(normalizeDisassembly(stdout)),
  };
}
