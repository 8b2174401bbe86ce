/** The ELF files of a build's outputs, one at a time, for reading the profile keys they carry (build-keys.ts). */
import { closeSync, openSync, readdirSync, readFileSync, readSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { readElf, type ElfImage } from '../formats/elf.js';

function startsWithElfMagic(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === 0x7f454c46;
  } finally {
    closeSync(fd);
  }
}

/** Calls `visit` with every 64-bit ELF file below the outputs (symbolic links are not followed). */
export function forEachElfFile(outputs: readonly string[], visit: (image: ElfImage, path: string) => void): void {
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && startsWithElfMagic(path)) {
        const image = readElf(readFileSync(path));
        if (image) visit(image, path);
      }
    }
  };
  for (const output of outputs) walk(output);
}
