/*
 * nix-pgo: the part of the startup objects (llvm-start.c, gcov-start.c,
 * bolt-start.c) that finds the directory an instrumented program may write
 * its profiles to. Every user and service shares one spool:
 *
 *     <spool>/<fmt>/<uid>/          fmt: llvm, gcda or bolt; owned by <uid>
 *     <spool>/<fmt>/<uid>.XXXXXX/   the same user's fresh directory when
 *                                   <uid> was taken by someone else
 *
 * npgUserDir walks <spool>/<fmt> from / one component at a time on open
 * descriptors (O_PATH|O_NOFOLLOW), accepting a component only if nobody but
 * a trusted user can have put it there: its parent is not writable by group
 * or others, or is sticky and the component belongs to a trusted user.
 * Trusted are root, the process's euid, and the owner of every directory
 * accepted so far (the daemon's user owns the spool on NixOS). A symbolic
 * link is followed only when it passes the same test. Then it creates
 * <fmt>/<uid> (mkdirat), opens it O_DIRECTORY|O_NOFOLLOW and checks on the
 * descriptor that it is a directory the euid owns; anything else there (a
 * file, a link, another user's directory) makes it create <uid>.XXXXXX with
 * a random name instead. When no step succeeds it reports failure, and the
 * caller writes nothing and prints nothing.
 *
 * The code runs before the C library is initialized (bolt-start.c calls it
 * from an IFUNC resolver, while the dynamic linker relocates), so on x86-64
 * and AArch64 Linux it makes system calls itself and calls no function of
 * the C library; elsewhere it uses the C library's syscall(). It keeps no
 * state and allocates nothing.
 */
#ifndef NIX_PGO_SPOOL_DIR_H
#define NIX_PGO_SPOOL_DIR_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#ifndef NIX_PGO_DEFAULT_SPOOL
/* The library's defaultProfileDir; the build passes it with -D. */
#define NIX_PGO_DEFAULT_SPOOL "/tmp/nix-pgo"
#endif

/*
 * nix-pgo's own code goes to a section of its own, so a program's .text holds
 * exactly what its sources compile to (the same bytes as a build made by hand
 * with the same profile).
 */
#define NPG_TEXT __attribute__((section("nix_pgo_text")))
#define NPG_FN static NPG_TEXT __attribute__((unused, no_profile_instrument_function))
#define NPG_PATH_MAX 4096

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define NPG_RAW_SYSCALLS 1
/* A system call without the C library: the result, or -errno. */
NPG_FN long npgSys(long n, long a, long b, long c, long d, long e) {
#if defined(__x86_64__)
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
    return r;
#else
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
    return x0;
#endif
}
#else
#include <errno.h>
#include <unistd.h>
NPG_FN long npgSys(long n, long a, long b, long c, long d, long e) {
    long r = syscall(n, a, b, c, d, e);
    return r == -1 ? -errno : r;
}
#endif

#define npgSys0(n) npgSys((n), 0, 0, 0, 0, 0)
#define npgClose(fd) npgSys(SYS_close, (fd), 0, 0, 0, 0)

/* String helpers: the compiler must not turn them into calls of the C library (-fno-builtin). */
NPG_FN size_t npgLen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* Appends src to dst (a buffer of size bytes holding a string); 0, or -1 when it does not fit. */
NPG_FN int npgAppend(char *dst, size_t size, const char *src) {
    size_t n = npgLen(dst), i = 0;
    for (; src[i]; i++) {
        if (n + i + 1 >= size) return -1;
        dst[n + i] = src[i];
    }
    dst[n + i] = '\0';
    return 0;
}

NPG_FN int npgStartsWith(const char *s, const char *prefix) {
    while (*prefix)
        if (*s++ != *prefix++) return 0;
    return 1;
}

/* The decimal digits of v into out (at least 21 bytes). */
NPG_FN void npgDecimal(char *out, unsigned long v) {
    char tmp[24];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

NPG_FN int npgFstat(int fd, struct stat *st) { return (int)npgSys(SYS_fstat, fd, (long)st, 0, 0, 0); }

NPG_FN uid_t npgEuid(void) { return (uid_t)npgSys0(SYS_geteuid); }

/*
 * Whether the process runs with privileges its caller does not have (set-user-ID or
 * set-group-ID): then its environment is its caller's choice, and only the built-in
 * spool is used.
 */
NPG_FN int npgSecure(void) {
    return npgSys0(SYS_getuid) != npgSys0(SYS_geteuid) || npgSys0(SYS_getgid) != npgSys0(SYS_getegid);
}

/* At most 16 trusted owners: root, the euid, and the owners of accepted directories. */
struct npgTrust {
    uid_t uid[16];
    int n;
};

NPG_FN int npgTrusted(const struct npgTrust *t, uid_t u) {
    for (int i = 0; i < t->n; i++)
        if (t->uid[i] == u) return 1;
    return 0;
}

NPG_FN void npgTrust(struct npgTrust *t, uid_t u) {
    if (!npgTrusted(t, u) && t->n < 16) t->uid[t->n++] = u;
}

/* Whether an entry owned by `owner` in a directory with mode `parentMode` can only have been put there by a trusted user. */
NPG_FN int npgPlacedByTrusted(const struct npgTrust *t, mode_t parentMode, uid_t owner) {
    if ((parentMode & (S_IWGRP | S_IWOTH)) == 0) return 1;
    return (parentMode & S_ISVTX) != 0 && npgTrusted(t, owner);
}

/*
 * Opens `path` (absolute) through the trusted chain described at the top, following
 * at most 8 trusted symbolic links. Returns an O_PATH descriptor of the directory,
 * or a negative number.
 */
NPG_FN int npgOpenTrusted(const char *path, struct npgTrust *t) {
    char buf[2][NPG_PATH_MAX];
    int which = 0, links = 0;
    const char *p = path;
    struct stat st;
    if (p[0] != '/') return -1;
    int fd = (int)npgSys(SYS_openat, AT_FDCWD, (long)"/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0);
    if (fd < 0) return -1;
    if (npgFstat(fd, &st) != 0 || !npgTrusted(t, st.st_uid) || !npgPlacedByTrusted(t, st.st_mode, st.st_uid))
        goto fail;
    mode_t mode = st.st_mode;
    for (;;) {
        char name[256];
        size_t n = 0;
        while (*p == '/') p++;
        if (!*p) return fd;
        while (p[n] && p[n] != '/') n++;
        if (n >= sizeof name) goto fail;
        for (size_t i = 0; i < n; i++) name[i] = p[i];
        name[n] = '\0';
        p += n;
        if (n == 1 && name[0] == '.') continue;
        if (n == 2 && name[0] == '.' && name[1] == '.') goto fail; /* never back up: the chain would not hold */
        if (npgSys(SYS_newfstatat, fd, (long)name, (long)&st, AT_SYMLINK_NOFOLLOW, 0) != 0) goto fail;
        if (!npgPlacedByTrusted(t, mode, st.st_uid)) goto fail;
        if (S_ISLNK(st.st_mode)) {
            /* A link a trusted user put where only trusted users can change it: read on from its target. */
            char *target = buf[which];
            long len = npgSys(SYS_readlinkat, fd, (long)name, (long)target, NPG_PATH_MAX - 1, 0);
            if (len <= 0 || ++links > 8 || !npgTrusted(t, st.st_uid)) goto fail;
            target[len] = '\0';
            if (npgAppend(target, NPG_PATH_MAX, p) != 0) goto fail;
            which ^= 1;
            p = target;
            if (target[0] == '/') {
                npgClose(fd);
                fd = (int)npgSys(SYS_openat, AT_FDCWD, (long)"/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0);
                if (fd < 0) return -1;
                if (npgFstat(fd, &st) != 0) goto fail;
                mode = st.st_mode;
            }
            continue;
        }
        int next = (int)npgSys(SYS_openat, fd, (long)name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, 0);
        if (next < 0) goto fail;
        npgClose(fd);
        fd = next;
        /* Checked again on the descriptor: the entry may have been replaced since. */
        if (npgFstat(fd, &st) != 0 || !npgPlacedByTrusted(t, mode, st.st_uid)) goto fail;
        npgTrust(t, st.st_uid);
        mode = st.st_mode;
    }
fail:
    npgClose(fd);
    return -1;
}

/*
 * The descriptor is a directory the euid owns: nobody else may write in it. Under
 * the spool's default ACL the group bits are the ACL mask, which must let the daemon's
 * entry through (0770, the owning group's entry is empty); without an ACL, 0700.
 */
NPG_FN int npgClaim(int dfd, uid_t euid) {
    struct stat st;
    if (npgFstat(dfd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != euid) return -1;
    int acl = npgSys(SYS_fgetxattr, dfd, (long)"system.posix_acl_access", 0, 0, 0) > 0;
    mode_t want = acl ? 0770 : 0700;
    if ((st.st_mode & 07777) != want && npgSys(SYS_fchmod, dfd, want, 0, 0, 0) != 0) return -1;
    return 0;
}

NPG_FN int npgOpenClaimed(int pfd, const char *name, uid_t euid) {
    int dfd = (int)npgSys(SYS_openat, pfd, (long)name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, 0);
    if (dfd < 0) return -1;
    if (npgClaim(dfd, euid) == 0) return dfd;
    npgClose(dfd);
    return -1;
}

/*
 * The directory of this euid below `parent` (<spool>/<fmt>), as a path into out (size
 * bytes): 0, or -1 when there is none that is safe. `hint` may name a fallback directory
 * chosen earlier in this process or by its parent (<parent>/<uid>.XXXXXX); it is checked
 * like any other and used only when <uid> is taken.
 */
NPG_FN int npgUserDir(const char *parent, const char *hint, char *out, size_t size) {
    char name[48];
    uid_t euid = npgEuid();
    struct npgTrust trust;
    trust.uid[0] = 0;
    trust.uid[1] = euid;
    trust.n = 2;
    if (parent == NULL || parent[0] != '/') return -1;
    int pfd = npgOpenTrusted(parent, &trust);
    if (pfd < 0) return -1;
    npgDecimal(name, euid);
    size_t nameLen = npgLen(name);
    npgSys(SYS_mkdirat, pfd, (long)name, 0700, 0, 0);
    int dfd = npgOpenClaimed(pfd, name, euid);
    if (dfd < 0 && hint != NULL) {
        /* <uid> is taken: the fallback this process (or its parent) already made, if it still holds. */
        size_t pl = npgLen(parent), hl = npgLen(hint);
        if (hl > pl + 1 + nameLen + 1 && hl - pl - 1 < sizeof name && npgStartsWith(hint, parent) && hint[pl] == '/' &&
            npgStartsWith(hint + pl + 1, name) && hint[pl + 1 + nameLen] == '.') {
            int slash = 0;
            for (size_t i = pl + 1; i < hl; i++) slash |= hint[i] == '/';
            if (!slash) {
                char candidate[48];
                for (size_t i = 0; i <= hl - pl - 1; i++) candidate[i] = hint[pl + 1 + i];
                dfd = npgOpenClaimed(pfd, candidate, euid);
                if (dfd >= 0)
                    for (size_t i = 0; i <= hl - pl - 1; i++) name[i] = candidate[i];
            }
        }
    }
    for (int attempt = 0; dfd < 0 && attempt < 8; attempt++) {
        /* <uid> is taken (a file, a link, another user's directory): a fresh name of our own. */
        static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        unsigned char r[6];
        if (npgSys(SYS_getrandom, (long)r, sizeof r, 0x0001 /* GRND_NONBLOCK */, 0, 0) != (long)sizeof r) break;
        npgDecimal(name, euid);
        name[nameLen] = '.';
        for (int i = 0; i < 6; i++) name[nameLen + 1 + i] = letters[r[i] % 62];
        name[nameLen + 7] = '\0';
        if (npgSys(SYS_mkdirat, pfd, (long)name, 0700, 0, 0) != 0) continue; /* someone else's name: another */
        dfd = npgOpenClaimed(pfd, name, euid);
    }
    npgClose(pfd);
    if (dfd < 0) return -1;
    npgClose(dfd);
    if (size == 0) return -1;
    out[0] = '\0';
    if (npgAppend(out, size, parent) != 0 || npgAppend(out, size, "/") != 0 || npgAppend(out, size, name) != 0)
        return -1;
    return 0;
}

/* <spool>/<fmt> into out (size bytes): 0, or -1 when the spool is not absolute or it does not fit. */
NPG_FN int npgFormatDir(char *out, size_t size, const char *spool, const char *fmt) {
    out[0] = '\0';
    if (spool == NULL || spool[0] != '/') return -1;
    return npgAppend(out, size, spool) || npgAppend(out, size, "/") || npgAppend(out, size, fmt) ? -1 : 0;
}

/* The directory of this euid below <spool>/<fmt>, as npgUserDir. */
NPG_FN int npgSpoolDir(const char *spool, const char *fmt, const char *hint, char *out, size_t size) {
    char parent[NPG_PATH_MAX];
    if (npgFormatDir(parent, sizeof parent, spool, fmt) != 0) return -1;
    return npgUserDir(parent, hint, out, size);
}

#endif
