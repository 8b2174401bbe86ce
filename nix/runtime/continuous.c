/*
 * nix-pgo: continuous profile collection for one ELF module (clang only).
 *
 * The profiling variant of a package with `collection = "continuous"` links
 * this object into every executable and shared library it builds. Each module
 * carries its own copy of the LLVM profile runtime, so each switches itself.
 *
 * Every instrumented program on a machine sees the same LLVM_PROFILE_FILE
 * (e.g. <spool>/llvm/%p-%m.profraw). A %c in it would break programs that
 * were not built for continuous mode, so this constructor switches only its
 * own module, before the runtime's own initializer runs, to
 *
 *     <directory of LLVM_PROFILE_FILE>/live-%p-%m%c.profraw
 *
 * (without LLVM_PROFILE_FILE: the directory baked in with
 * -fprofile-generate=DIR). The environment is left alone, so child processes
 * choose for themselves. The runtime then maps the counters of this module
 * into that file (MAP_SHARED): the file is current while the program runs and
 * holds every count up to the moment the process dies, even by SIGKILL.
 *
 * The module must be compiled with -mllvm -runtime-counter-relocation (without
 * it LLVM 16 prints "__llvm_profile_counter_bias is undefined" and writes
 * nothing) and -mllvm -disable-vp=true (LLVM 16 writes no value profiles in
 * continuous mode, so llvm-profdata would reject the file as truncated).
 *
 * When it cannot switch safely (no profile runtime, code not compiled for
 * relocation, a directory it cannot write or cannot check), the module stays
 * in the ordinary mode and writes at exit; LLVM 16 cannot leave continuous mode
 * once it is on, so every check comes first. NIX_PGO_COLLECTION=exit in the
 * environment keeps it in that mode too (the instrumented build sets it for
 * the programs it runs itself, which would otherwise leave one live file per
 * process).
 *
 * It runs before the runtime's own initializer (priority 101; the runtime's is
 * a plain one): the runtime then never parses LLVM_PROFILE_FILE and registers
 * no exit handler (which, in continuous mode, would print "LLVM Profile Note:
 * Profile data not written to file: already written." at every exit). Counts
 * made before the switch are written into a new live file; into an existing
 * one (the same pid and binary again) they are lost, never counted twice.
 *
 * While the process and any child it forks without exec live, this object
 * holds a shared flock(2) on the live file (a descriptor opened with
 * O_CLOEXEC, never closed). flock does not interact with the runtime's fcntl
 * record locks. A collector that gets LOCK_EX|LOCK_NB knows that no process
 * holds the descriptor any more; it must never truncate a file a process still
 * maps (the process would crash with SIGBUS).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NIX_PGO_WEAK __attribute__((weak, visibility("hidden")))

/* The profile runtime of this module (hidden symbols, one copy per module). */
extern void __llvm_profile_set_filename(const char *) NIX_PGO_WEAK;
extern const char *__llvm_profile_get_filename(void) NIX_PGO_WEAK;
extern int __llvm_profile_is_continuous_mode_enabled(void) NIX_PGO_WEAK;
/* Defined by the compiler in code built with -runtime-counter-relocation;
 * otherwise the runtime's weak alias of the _default variable. */
extern intptr_t __llvm_profile_counter_bias NIX_PGO_WEAK;
extern intptr_t __llvm_profile_counter_bias_default NIX_PGO_WEAK;
/* The -fprofile-generate=DIR pattern, DIR/default_%m.profraw. */
extern char __llvm_profile_filename[] NIX_PGO_WEAK;

#define NIX_PGO_LIVE_NAME "live-%p-%m%c.profraw"
#define NIX_PGO_MAX_PATH 4096

static char nixPgoPattern[NIX_PGO_MAX_PATH];

/* Creates a directory and its parents (mode 0755 & ~umask, like the runtime). */
__attribute__((no_profile_instrument_function)) static int nixPgoMkdirs(char *path) {
    size_t i, n = strlen(path);
    for (i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char saved = path[i];
        path[i] = '\0';
        int rc = mkdir(path, 0755);
        int err = errno;
        path[i] = saved;
        if (rc != 0 && err != EEXIST) return -1;
    }
    return 0;
}

/* The directory part of a pattern into nixPgoPattern ("" when it has none). */
__attribute__((no_profile_instrument_function)) static int nixPgoDirectoryOf(const char *pattern) {
    const char *slash = strrchr(pattern, '/');
    size_t n = slash ? (size_t)(slash - pattern) + 1 : 0;
    if (n + sizeof NIX_PGO_LIVE_NAME > sizeof nixPgoPattern) return -1;
    memcpy(nixPgoPattern, pattern, n);
    nixPgoPattern[n] = '\0';
    return 0;
}

__attribute__((no_profile_instrument_function)) static void nixPgoHoldLiveFile(void) {
    const char *name = __llvm_profile_get_filename ? __llvm_profile_get_filename() : NULL;
    if (name == NULL || name[0] == '\0') return;
    int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return;
    /* A collector holds LOCK_EX only for moments; try for up to 0.1 s. */
    for (int i = 0; i < 100; i++) {
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) return; /* kept for the life of the process */
        if (errno != EWOULDBLOCK && errno != EINTR) break;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    close(fd);
}

__attribute__((constructor(101), no_profile_instrument_function)) static void nixPgoContinuous(void) {
    if (!__llvm_profile_set_filename || !__llvm_profile_get_filename || !__llvm_profile_is_continuous_mode_enabled)
        return; /* no profile runtime in this module */
    if (__llvm_profile_is_continuous_mode_enabled()) return;
    /* Code built without -runtime-counter-relocation: the runtime would refuse. */
    if (&__llvm_profile_counter_bias == NULL || &__llvm_profile_counter_bias == &__llvm_profile_counter_bias_default)
        return;

    const char *mode = getenv("NIX_PGO_COLLECTION");
    if (mode != NULL && strcmp(mode, "exit") == 0) return;

    const char *env = getenv("LLVM_PROFILE_FILE");
    const char *base;
    if (env != NULL && env[0] != '\0') {
        if (strstr(env, "%c") != NULL) return; /* continuous already, the runtime does it */
        base = env;
    } else if (__llvm_profile_filename != NULL && __llvm_profile_filename[0] != '\0') {
        base = __llvm_profile_filename;
    } else {
        return; /* the runtime's default is the current directory: stay at exit */
    }
    if (nixPgoDirectoryOf(base) != 0) return;
    /* %p, %h, %t, %m in the directory cannot be checked here: stay at exit. */
    if (strchr(nixPgoPattern, '%') != NULL) return;
    if (nixPgoPattern[0] != '\0') {
        nixPgoMkdirs(nixPgoPattern);
        if (access(nixPgoPattern, W_OK | X_OK) != 0) return;
    } else if (access(".", W_OK | X_OK) != 0) {
        return;
    }
    strcat(nixPgoPattern, NIX_PGO_LIVE_NAME);
    __llvm_profile_set_filename(nixPgoPattern);
    if (__llvm_profile_is_continuous_mode_enabled()) nixPgoHoldLiveFile();
}
