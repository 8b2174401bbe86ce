/*
 * nix-pgo: the startup object of GCC profiling builds, linked into every
 * executable and shared library. libgcov writes a module's counts at exit
 * below GCOV_PREFIX (GCOV_PREFIX_STRIP=0 keeps the whole path the build
 * baked in); this object chooses that prefix, in this order:
 *
 *   1. NIX_PGO_SPOOL set and not empty: <spool>/gcda/<uid>, the directory
 *      found as spool-dir.h describes;
 *   2. else GCOV_PREFIX set by the user (not by a nix-pgo object, see
 *      npgOurPrefix): left alone;
 *   3. else the spool the library baked in (NIX_PGO_DEFAULT_SPOOL), as in 1.
 *
 * It sets GCOV_PREFIX in the constructor (priority 101, after libgcov's
 * __gcov_init at 100): libgcov also writes before an exec and when the
 * program calls __gcov_dump, which both read the variable at that time. When
 * 1 or 3 finds no safe directory (no spool, as inside a Nix build sandbox),
 * the module marks its counters as written (libgcov's "dumped" bit of this
 * module's __gcov_root), so libgcov writes nothing and prints nothing.
 *
 * The destructor (priority 101, before libgcov's at 100) decides again when
 * the process changed its effective uid, and marks the counters again in a
 * child of fork (libgcov clears the bit there).
 */
#include "spool-dir.h"

#include <stdlib.h>
#include <string.h>

/* Found by the build's manifest phase (nix/scripts/pgo.sh) in every file linked with this object. */
__attribute__((used)) static const char npgMarker[] = "nix-pgo startup object: gcov-start";

/*
 * libgcov's per-module root (libgcov.h, unchanged from GCC 5 to 14). Hidden in
 * every module; weak, so that a module without libgcov links and skips it.
 */
struct npgGcovRoot {
    void *list;
    unsigned dumped : 1;
    unsigned run_counted : 1;
    struct npgGcovRoot *next;
    struct npgGcovRoot *prev;
};
extern struct npgGcovRoot __gcov_root __attribute__((weak, visibility("hidden")));

__attribute__((weak, visibility("hidden"))) int nixPgoGcovStarted;

static uid_t npgUid;
static int npgFromSpool; /* 1 and 3 above */
static int npgSilent;    /* nowhere safe: the counters are marked written */

/*
 * Whether the root looks like the structure above: registered by __gcov_init (a list,
 * no other bit set), linked both ways. Anything else: another libgcov, left alone.
 */
NPG_FN int npgRootKnown(void) {
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 5 && __GNUC__ <= 14
    struct npgGcovRoot *root = &__gcov_root;
    if (root == NULL || root->list == NULL) return 0;
    unsigned bits = 0;
    memcpy(&bits, (const char *)root + sizeof(void *), sizeof bits);
    if ((bits & ~3u) != 0) return 0;
    return (root->next == NULL || root->next->prev == root) && (root->prev == NULL || root->prev->next == root);
#else
    return 0;
#endif
}

NPG_FN void npgMarkWritten(void) {
    if (npgRootKnown()) __gcov_root.dumped = 1;
}

/* The baked spool's gcda/<name> (a prefix this object set in this process or its parent). */
NPG_FN int npgOurPrefix(const char *prefix) {
    const char *base = NIX_PGO_DEFAULT_SPOOL "/gcda/";
    return npgStartsWith(prefix, base) && prefix[strlen(base)] != '\0' && strchr(prefix + strlen(base), '/') == NULL;
}

NPG_FN void npgChoose(void) {
    int secure = npgSecure();
    const char *spool = secure ? NULL : getenv("NIX_PGO_SPOOL");
    const char *prefix = secure ? NULL : getenv("GCOV_PREFIX");
    char dir[NPG_PATH_MAX];
    npgUid = npgEuid();
    if ((spool == NULL || spool[0] == '\0') && prefix != NULL && prefix[0] != '\0' && !npgOurPrefix(prefix)) {
        npgFromSpool = 0;
        return;
    }
    npgFromSpool = 1;
    if (npgSpoolDir(spool && spool[0] ? spool : NIX_PGO_DEFAULT_SPOOL, "gcda", prefix, dir, sizeof dir) == 0) {
        setenv("GCOV_PREFIX", dir, 1);
        setenv("GCOV_PREFIX_STRIP", "0", 1);
        npgSilent = 0;
    } else {
        npgSilent = 1;
        npgMarkWritten();
    }
}

NPG_TEXT __attribute__((constructor(101), no_profile_instrument_function)) static void npgGcovStart(void) {
    if (nixPgoGcovStarted) return;
    nixPgoGcovStarted = 1;
    npgChoose();
}

NPG_TEXT __attribute__((destructor(101), no_profile_instrument_function)) static void npgGcovEnd(void) {
    if (!npgFromSpool) return;
    if (npgEuid() != npgUid)
        npgChoose();
    else if (npgSilent)
        npgMarkWritten();
}
