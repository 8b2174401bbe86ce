/**
 * Whether any process maps a file, from /proc/PID/maps: a program in
 * continuous collection maps its live profile, and emptying a mapped file
 * would kill it. Processes whose maps cannot be read make the answer unknown.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The `major:minor` a maps line shows for a device number (Linux's dev_t encoding). */
export function deviceField(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

/** True when a maps text has a mapping of (device field, inode). */
export function mapsMention(maps: string, device: string, ino: bigint): boolean {
  const inode = ino.toString();
  return maps.split('\n').some((line) => {
    const fields = line.split(/\s+/);
    return fields[3] === device && fields[4] === inode;
  });
}

export function findMapping(dev: bigint, ino: bigint, procDir = '/proc'): 'mapped' | 'unmapped' | 'unknown' {
  const device = deviceField(dev);
  let unknown = false;
  for (const pid of readdirSync(procDir).filter((name) => /^[0-9]+$/.test(name))) {
    let maps: string;
    try {
      maps = readFileSync(`${procDir}/${pid}/maps`, 'utf8');
    } catch (error) {
      // Gone since the listing: it maps nothing. Not ours to read: we cannot tell.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ESRCH')
        unknown = true;
      continue;
    }
    if (mapsMention(maps, device, ino)) return 'mapped';
  }
  return unknown ? 'unknown' : 'unmapped';
}
