/*
 * nix-pgo's startup object for GCC profiling builds, linked into every
 * instrumented module. GCC writes a module's counts below GCOV_PREFIX, which
 * cannot hold a user id in one system-wide value (a service's environment is
 * the same for every user it runs as). When NIX_PGO_GCDA_ROOT is set (the
 * NixOS module sets it for every session and service), this sets GCOV_PREFIX
 * to that root plus the process's own uid, before anything else runs: libgcov
 * reads GCOV_PREFIX only when it writes, at exit. Each instrumented program
 * computes it again for its own uid, so a child running as another user gets
 * its own directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor(101))) static void nix_pgo_gcov_prefix(void) {
    const char *root = getenv("NIX_PGO_GCDA_ROOT");
    if (root == NULL || root[0] != '/') return;
    char prefix[4096];
    int n = snprintf(prefix, sizeof prefix, "%s/%lu", root, (unsigned long)getuid());
    if (n <= 0 || n >= (int)sizeof prefix) return;
    setenv("GCOV_PREFIX", prefix, 1);
    setenv("GCOV_PREFIX_STRIP", "0", 1);
}
