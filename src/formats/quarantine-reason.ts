/** Why something found in the spool was not merged; one value per class, stored as text in the state db. */
export type QuarantineReason =
  | 'truncated'
  | 'corrupt'
  | 'format-version'
  | 'unknown-binary-id'
  | 'unknown-package'
  | 'symlink'
  | 'wrong-owner'
  | 'not-regular'
  | 'hard-link'
  | 'too-large'
  | 'odd-name'
  | 'ambiguous-after-crash'
  | 'merge-failed';

/** Reasons where the entry belongs to someone we cannot trust: it is moved away unread. */
export const UNTRUSTED_REASONS: ReadonlySet<QuarantineReason> = new Set(['symlink', 'wrong-owner', 'not-regular', 'hard-link']);
