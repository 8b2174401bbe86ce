/**
 * A small reader of 64-bit little-endian ELF files (x86-64, AArch64 and the
 * like): the named sections, and the bytes and pointers at a virtual address
 * as the loader would see them, relative relocations applied. Enough to read
 * the profile data compilers leave in an instrumented build (build-keys.ts)
 * without running it or any tool.
 */

export interface ElfSection {
  name: string;
  /** SHT_NOBITS sections (.bss) have an address and a size but no bytes in the file. */
  noBits: boolean;
  address: bigint;
  offset: number;
  size: number;
}

export interface ElfImage {
  bytes: Buffer;
  sections: ElfSection[];
  /** R_*_RELATIVE relocations: the address of a pointer → the value the loader writes there (before the load bias). */
  relative: Map<bigint, bigint>;
}

const SHT_RELA = 4;
const SHT_NOBITS = 8;
/** The relative relocation of each machine this reader knows, by e_machine: x86-64, AArch64, RISC-V, PowerPC64, s390x. */
const RELATIVE_TYPE: ReadonlyMap<number, number> = new Map([
  [62, 8],
  [183, 1027],
  [243, 3],
  [21, 22],
  [22, 12],
]);

/** The image of `bytes`, or null when it is not a 64-bit little-endian ELF file (or is cut short). */
export function readElf(bytes: Buffer): ElfImage | null {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) return null;
  const machine = bytes.readUInt16LE(18);
  const shoff = Number(bytes.readBigUInt64LE(0x28));
  const shentsize = bytes.readUInt16LE(0x3a);
  const shnum = bytes.readUInt16LE(0x3c);
  const shstrndx = bytes.readUInt16LE(0x3e);
  if (shoff === 0 || shentsize < 64 || shoff + shnum * shentsize > bytes.length || shstrndx >= shnum) return null;
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return {
      nameOffset: bytes.readUInt32LE(at),
      type: bytes.readUInt32LE(at + 4),
      address: bytes.readBigUInt64LE(at + 0x10),
      offset: Number(bytes.readBigUInt64LE(at + 0x18)),
      size: Number(bytes.readBigUInt64LE(at + 0x20)),
      entsize: Number(bytes.readBigUInt64LE(at + 0x38)),
    };
  });
  const names = raw[shstrndx]!;
  const nameAt = (offset: number): string => {
    const start = names.offset + offset;
    const end = bytes.indexOf(0, start);
    return end < 0 || end > names.offset + names.size ? '' : bytes.toString('latin1', start, end);
  };
  const sections: ElfSection[] = [];
  const relative = new Map<bigint, bigint>();
  const relativeType = RELATIVE_TYPE.get(machine);
  for (const s of raw) {
    const noBits = s.type === SHT_NOBITS;
    if (!noBits && s.offset + s.size > bytes.length) return null;
    sections.push({ name: nameAt(s.nameOffset), noBits, address: s.address, offset: s.offset, size: s.size });
    if (s.type !== SHT_RELA || relativeType === undefined || s.entsize !== 24) continue;
    for (let at = s.offset; at + 24 <= s.offset + s.size; at += 24) {
      if (Number(bytes.readBigUInt64LE(at + 8) & 0xffffffffn) === relativeType)
        relative.set(bytes.readBigUInt64LE(at), bytes.readBigInt64LE(at + 16));
    }
  }
  return { bytes, sections, relative };
}

/** The bytes of the first section named `name`, or null. */
export function sectionBytes(image: ElfImage, name: string): Buffer | null {
  const section = image.sections.find((s) => s.name === name && !s.noBits);
  return section ? image.bytes.subarray(section.offset, section.offset + section.size) : null;
}

/** The file offset of `length` bytes at a virtual address, when one section holds them all in the file. */
function fileOffset(image: ElfImage, address: bigint, length: number): number | null {
  for (const s of image.sections) {
    if (s.noBits || s.address === 0n || address < s.address) continue;
    const from = Number(address - s.address);
    if (from + length <= s.size) return s.offset + from;
  }
  return null;
}

/** `length` bytes at a virtual address, or null when no section of the file holds them. */
export function readAt(image: ElfImage, address: bigint, length: number): Buffer | null {
  const offset = fileOffset(image, address, length);
  return offset === null ? null : image.bytes.subarray(offset, offset + length);
}

/** The pointer stored at a virtual address, as the loader leaves it (a relative relocation's value if there is one). */
export function readPointer(image: ElfImage, address: bigint): bigint | null {
  const relocated = image.relative.get(address);
  if (relocated !== undefined) return relocated;
  const bytes = readAt(image, address, 8);
  return bytes === null ? null : bytes.readBigUInt64LE(0);
}

/** The NUL-terminated string at a virtual address (at most `max` bytes), or null. */
export function readCString(image: ElfImage, address: bigint, max = 4096): string | null {
  const offset = fileOffset(image, address, 1);
  if (offset === null) return null;
  const end = image.bytes.indexOf(0, offset);
  return end < 0 || end - offset > max ? null : image.bytes.toString('utf8', offset, end);
}
