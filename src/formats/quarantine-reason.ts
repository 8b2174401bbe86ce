/**
 * Why something found in the spool was not merged: one value per class,
 * stored as text in the state database's `quarantine` table.
 */
export const QUARANTINE_REASONS = {
  truncated:
    'a raw profile or gcda file shorter than its own headers say; a BOLT profile that is empty or ends inside a line',
  corrupt:
    'wrong magic, sizes that do not add up, absurd header fields; a BOLT profile line that is not eight well-formed fields',
  'format-version': 'raw profile version other than 8, 32-bit profile, gcda of another GCC major',
  'unknown-binary-id':
    "a raw profile without build IDs, or a profile of no managed build inside a file that is otherwise ours (a file of builds no managed package has is another daemon's: left alone)",
  'unknown-package':
    "a gcda file below no directory a managed GCC build baked in (recorded by older versions: such files are now another daemon's, left alone)",
  symlink: 'a symlink anywhere in the spool: moved away, never followed',
  squatted:
    "a user's directory name in the spool (`<fmt>/<uid>` or `<uid>.XXXXXX`) taken by another user, or by a file or symlink: moved out of the way unread; the user's programs write to a fallback directory meanwhile",
  'wrong-owner':
    'a file or directory not owned by the uid of its user directory, or a spool directory owned by someone else than the collector',
  'untrusted-contributor':
    'profile data of a user a package does not trust (trustedUsers) inside a file that is otherwise ours (a file of an untrusted user is left alone)',
  'not-regular': 'a fifo, socket or device: never opened',
  'hard-link': 'a file with more than one link',
  'too-large': 'over the per-file cap: truncated, bytes not kept',
  'odd-name': 'a name outside the layout',
  'merge-failed': 'the merge tool cannot read it',
  'ambiguous-after-crash':
    'the collector stopped between copying and settling a file, and the file changed before restart',
  'broken-merge':
    'a stored merged profile that is missing or unreadable (older versions could store one): merging goes on from the data that can be read',
} as const;

export type QuarantineReason = keyof typeof QUARANTINE_REASONS;
