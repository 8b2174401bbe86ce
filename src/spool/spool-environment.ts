/**
 * The one variable that sends instrumented programs' profiles into the spool:
 * `NIX_PGO_SPOOL`, the same value for every user and service. Each program's
 * startup object (nix/runtime/) finds its user's own directory below it
 * (spool-layout.ts), so the value holds no user id and nothing a service
 * manager would expand (no `%`).
 */
export function spoolEnvironment(spoolDir: string): { NIX_PGO_SPOOL: string } {
  return { NIX_PGO_SPOOL: spoolDir };
}
