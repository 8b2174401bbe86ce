/**
 * Every file and directory under a state directory, in one place: the
 * database, the spool (which may live elsewhere), the quarantine, staged copies,
 * merged profiles, build logs, GC roots, the lock file and scratch space.
 */
import { join } from 'node:path';

export interface StateLayout {
  stateDir: string;
  database: string;
  /** Held (POSIX record lock) by the one collector that may harvest this state. */
  collectorLock: string;
  spoolDir: string;
  quarantineDir: string;
  /** Merged profiles, one directory per package, one file or tree per merge generation. */
  profilesDir: string;
  /** Copies taken from the spool and not yet merged. */
  stagingDir: string;
  /** Every build's full log, one directory per package. */
  logDir: string;
  /** GC roots of the profiles added to the Nix store. */
  gcRootDir: string;
  /** The profile of every optimized package, for pure rebuilds. */
  lockFile: string;
  /** Scratch space (naming a profile before it enters the store). */
  workDir: string;
  /** A fleet's state (src/fleet): what was published and followed, the aggregator's merges, its GC roots. */
  fleetDir: string;
}

/** Lays out a state directory; the spool may live elsewhere (a system-wide spool on NixOS). */
export function stateLayout(stateDir: string, spoolDir = join(stateDir, 'spool')): StateLayout {
  return {
    stateDir,
    database: join(stateDir, 'state.sqlite'),
    collectorLock: join(stateDir, 'engine.lock'),
    spoolDir,
    quarantineDir: join(stateDir, 'quarantine'),
    profilesDir: join(stateDir, 'profiles'),
    stagingDir: join(stateDir, 'staging'),
    logDir: join(stateDir, 'logs'),
    gcRootDir: join(stateDir, 'gcroots'),
    lockFile: join(stateDir, 'pgo-lock.json'),
    workDir: join(stateDir, 'work'),
    fleetDir: join(stateDir, 'fleet'),
  };
}
