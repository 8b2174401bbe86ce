/*
 * nix-pgo: the startup object of clang profiling builds, linked into every
 * executable and shared library (each module carries its own copy of the
 * LLVM profile runtime, so each decides for itself).
 *
 * Where a module writes, in this order:
 *
 *   1. NIX_PGO_SPOOL set and not empty: <spool>/llvm/<uid>/%p-%m.profraw,
 *      the directory found as spool-dir.h describes;
 *   2. else LLVM_PROFILE_FILE set and not empty: there, as the runtime would
 *      (the user's own choice; the instrumented build uses it for the
 *      programs it runs itself);
 *   3. else the spool the library baked in (NIX_PGO_DEFAULT_SPOOL, its
 *      defaultProfileDir), as in 1.
 *
 * When 1 or 3 finds no safe directory (no spool, as inside a Nix build
 * sandbox; a spool another user could have replaced), the module writes to
 * /dev/null: nothing is written and nothing is printed. A set-user-ID or
 * set-group-ID program ignores both variables (its caller chose them).
 *
 * The object defines __llvm_profile_runtime, so the runtime's own
 * initializer is not linked: nothing else reads LLVM_PROFILE_FILE, and the
 * writer at exit is the one registered here, which decides again when the
 * process changed its effective uid since it started (a root process that
 * called setuid writes to the new user's directory). It calls
 * __llvm_profile_set_filename and __llvm_profile_write_file strongly: that
 * is what pulls the runtime's file writer out of its archive.
 *
 * Continuous collection (modules compiled with -mllvm
 * -runtime-counter-relocation, see nix/flags.nix): the module maps its
 * counters into live-%p-%m%c.profraw in the same directory, so the file holds
 * every count up to the moment the process dies, even by SIGKILL.
 * NIX_PGO_COLLECTION=exit keeps such a module at exit (the instrumented build
 * sets it for its own programs). For the life of the process and of every
 * child it forks without exec, the module holds a shared flock(2) on its live
 * file (a descriptor opened O_CLOEXEC, never closed), taken before the runtime
 * maps the file, waiting as long as a collector holds it exclusively, and
 * checked to be on the file the name leads to. A collector that gets LOCK_EX
 * knows that no process holds the file any more; while it holds it, no
 * program can map the file. flock does not interact with the runtime's fcntl
 * record locks.
 */
#include "spool-dir.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Found by the build's manifest phase (nix/scripts/pgo.sh) in every file linked with this object. */
__attribute__((used)) static const char npgMarker[] = "nix-pgo startup object: llvm-start";

#define NPG_HIDDEN __attribute__((visibility("hidden")))
#define NPG_WEAK __attribute__((weak, visibility("hidden")))

/* The profile runtime of this module (hidden symbols, one copy per module). */
extern void __llvm_profile_set_filename(const char *) NPG_HIDDEN;
extern int __llvm_profile_write_file(void) NPG_HIDDEN;
extern void __llvm_profile_initialize(void) NPG_HIDDEN;
extern const char *__llvm_profile_get_filename(void) NPG_HIDDEN;
extern int __llvm_profile_is_continuous_mode_enabled(void) NPG_HIDDEN;
/* Defined by the compiler in code built with -runtime-counter-relocation; else the runtime's weak alias of _default. */
extern intptr_t __llvm_profile_counter_bias NPG_WEAK;
extern intptr_t __llvm_profile_counter_bias_default NPG_WEAK;

/* Weak, so that an object linked twice into one module (ld -r, then the final link) makes one definition. */
NPG_WEAK int __llvm_profile_runtime;
NPG_WEAK int nixPgoLlvmStarted;

#define NPG_LIVE_NAME "live-%p-%m%c.profraw"

static uid_t npgUid;
static int npgFromSpool; /* 1 and 3 above: decide again when the euid changes */
static char npgPattern[NPG_PATH_MAX + 64];

NPG_FN int npgContinuousBuild(void) {
    const char *mode = getenv("NIX_PGO_COLLECTION");
    if (mode != NULL && strcmp(mode, "exit") == 0) return 0;
    /* Code built without -runtime-counter-relocation: the runtime would refuse. */
    return &__llvm_profile_counter_bias != NULL && &__llvm_profile_counter_bias != &__llvm_profile_counter_bias_default;
}

/*
 * Takes the shared flock of the live file `name` before the runtime maps it, waiting as long as
 * a collector holds it exclusively, and makes sure the name still leads to the file it locked (a
 * collector removes a file nobody holds while holding the exclusive lock). The descriptor is kept,
 * never closed: the lock lasts as long as the process and the children it forks without exec.
 */
NPG_FN int npgLockLiveFile(const char *name) {
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = open(name, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0) return -1;
        while (flock(fd, LOCK_SH) != 0)
            if (errno != EINTR) {
                close(fd);
                return -1;
            }
        struct stat held, named;
        if (fstat(fd, &held) == 0 && lstat(name, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino)
            return 0;
        close(fd);
    }
    return -1;
}

/*
 * The pattern for a verified directory: one file per process and module, or (live) the live file,
 * locked before the runtime maps it. The live name with %c is the same file as without it: the
 * runtime expands the name without %c first to learn it, then maps it with %c.
 */
NPG_FN void npgUseDirectory(const char *dir, int live) {
    npgPattern[0] = '\0';
    npgAppend(npgPattern, sizeof npgPattern, dir);
    if (live) {
        npgAppend(npgPattern, sizeof npgPattern, "/live-%p-%m.profraw");
        __llvm_profile_set_filename(npgPattern);
        const char *name = __llvm_profile_get_filename(); /* malloc'd unless empty */
        int locked = name != NULL && name[0] != '\0' && npgLockLiveFile(name) == 0;
        if (name != NULL && name[0] != '\0') free((void *)name);
        npgPattern[0] = '\0';
        npgAppend(npgPattern, sizeof npgPattern, dir);
        /* Without its lock a live file could be removed under the mapping: this run writes at exit then. */
        npgAppend(npgPattern, sizeof npgPattern, locked ? "/" NPG_LIVE_NAME : "/%p-%m.profraw");
    } else {
        npgAppend(npgPattern, sizeof npgPattern, "/%p-%m.profraw");
    }
    __llvm_profile_set_filename(npgPattern);
}

/* 1 and 3: the user's directory of the spool, or /dev/null. */
NPG_FN void npgChooseInSpool(const char *spool, int live) {
    char dir[NPG_PATH_MAX];
    npgUid = npgEuid();
    npgFromSpool = 1;
    if (npgSpoolDir(spool, "llvm", NULL, dir, sizeof dir) == 0)
        npgUseDirectory(dir, live);
    else
        __llvm_profile_set_filename("/dev/null");
}

/* 2 in continuous mode: the live file next to LLVM_PROFILE_FILE, if its directory is plain and writable. */
NPG_FN int npgLiveNextTo(const char *pattern) {
    char dir[NPG_PATH_MAX];
    const char *slash = strrchr(pattern, '/');
    size_t n = slash ? (size_t)(slash - pattern) : 0;
    if (strstr(pattern, "%c") != NULL || n >= sizeof dir) return 0;
    memcpy(dir, pattern, n);
    dir[n] = '\0';
    if (strchr(dir, '%') != NULL) return 0; /* %p, %h, %t, %m in the directory cannot be checked here */
    if (n == 0) strcpy(dir, slash ? "" : ".");
    /* As the runtime does for its file: the directory and its parents (mode 0755 & ~umask). */
    for (size_t i = 1; i <= n; i++) {
        if (dir[i] != '/' && dir[i] != '\0') continue;
        char saved = dir[i];
        dir[i] = '\0';
        mkdir(dir, 0755);
        dir[i] = saved;
    }
    if (access(dir[0] ? dir : "/", W_OK | X_OK) != 0) return 0;
    npgUseDirectory(dir, 1);
    return 1;
}

NPG_FN void npgAtExit(void) {
    if (__llvm_profile_is_continuous_mode_enabled()) return; /* the file is current already */
    if (npgFromSpool && npgEuid() != npgUid) {
        const char *spool = npgSecure() ? NULL : getenv("NIX_PGO_SPOOL");
        npgChooseInSpool(spool && spool[0] ? spool : NIX_PGO_DEFAULT_SPOOL, 0);
    }
    __llvm_profile_write_file();
}

NPG_TEXT __attribute__((constructor(101), no_profile_instrument_function)) static void npgLlvmStart(void) {
    if (nixPgoLlvmStarted) return;
    nixPgoLlvmStarted = 1;
    int secure = npgSecure();
    const char *spool = secure ? NULL : getenv("NIX_PGO_SPOOL");
    const char *file = secure ? NULL : getenv("LLVM_PROFILE_FILE");
    int live = npgContinuousBuild();
    if ((spool == NULL || spool[0] == '\0') && file != NULL && file[0] != '\0') {
        if (!(live && npgLiveNextTo(file))) {
            /* As the runtime's own initializer: LLVM_PROFILE_FILE, and its writer at exit. */
            __llvm_profile_initialize();
            return;
        }
    } else {
        npgChooseInSpool(spool && spool[0] ? spool : NIX_PGO_DEFAULT_SPOOL, live);
    }
    if (!__llvm_profile_is_continuous_mode_enabled()) atexit(npgAtExit);
}
