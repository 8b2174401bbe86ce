/** How much of a profile one build can use: the words `status`, the lock file and the lifecycle share (src/merge measures it). */

export interface ProfileMatch {
  /** Functions of the profile with counts. */
  functions: number;
  /** Of those, the ones the build uses. */
  matched: number;
  /** Of those it does not use: the function is in the build with another hash (its code or flags changed). */
  changed: number;
  /** Of those it does not use: the function is not in the build at all (removed, renamed, inlined away). */
  gone: number;
  /** 0..1: the share of the profile's counts on functions the build uses. */
  share: number;
  /** The hottest functions whose counts the build discards, with their share of all counts. */
  lost: { name: string; share: number }[];
}
