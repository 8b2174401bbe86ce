/*
 * nix-pgo: the startup object of PGO-optimized builds with BOLT enabled,
 * linked into every executable and shared library. It does nothing until
 * llvm-bolt -instrument has rewritten the file.
 *
 * BOLT's runtime reads no environment variable: a BOLT-instrumented file
 * writes <name>.<pid>.fdata, its name baked in at instrumentation time. The
 * library bakes
 *
 *     <defaultProfileDir>/bolt/<padding: at least 32 slashes>/<build id>
 *
 * (with -instrumentation-file-append-pid), which works unchanged (the slashes
 * collapse) and leaves room for this object to rewrite it, in the file's
 * memory, before BOLT's runtime first reads it, to
 *
 *     <spool>/bolt/<uid>/<build id>
 *
 * with <spool>/bolt from NIX_PGO_SPOOL, else the baked directory, and the
 * user's directory found as spool-dir.h describes; or to /dev/null without the
 * pid when there is no safe directory (no spool, as inside a Nix build
 * sandbox): nothing is written, nothing printed, and the program's exit
 * status stays its own (BOLT's runtime ends a program that cannot open its
 * file with status 1). A name it does not recognise is left alone.
 *
 * When: BOLT's runtime reads the name at exit, and in the watcher process it
 * forks at startup with a dump interval; for an executable it starts from
 * the entry point, for a shared library from DT_INIT, both before any
 * constructor. An IFUNC resolver runs earlier: the dynamic linker calls it
 * while it relocates the file. So with glibc on x86-64 and AArch64 the
 * rewrite runs there, before the C library is initialized: it makes its
 * system calls itself and reads the environment from /proc/self/environ.
 * Elsewhere (or when the linker dropped the resolver) a constructor does it,
 * which is enough for files without a dump interval. A destructor (priority
 * 101, before BOLT's exit hook) decides again when the process changed its
 * effective uid. (A .preinit_array function, which also runs before the entry
 * point, cannot be linked into a shared library by GNU ld.)
 */
#include "spool-dir.h"

#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Found by the build's manifest phase (nix/scripts/pgo.sh) in every file linked with this object. */
__attribute__((used)) static const char npgMarker[] = "nix-pgo startup object: bolt-start";

/* The padding's first 32 slashes: no path a user writes has them. */
#define NPG_PAD "////////////////////////////////"

extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

static char *npgName; /* BOLT's file name in this file's memory, when recognised */
static size_t npgRoom; /* its length as baked */
static char npgId[160];
static char npgBakedDir[NPG_PATH_MAX]; /* the directory part of the baked name: <defaultProfileDir>/bolt */
static uid_t npgUid;
static int npgLooked;

/* Whether [p, p+n) is mapped, without touching it. */
NPG_FN int npgMapped(const void *p, size_t n) {
    unsigned char vec[64];
    unsigned long start = (unsigned long)p & ~4095UL, end = ((unsigned long)p + n + 4095) & ~4095UL;
    if ((end - start) / 4096 > sizeof vec) return 0;
    return npgSys(SYS_mincore, (long)start, (long)(end - start), (long)vec, 0, 0) == 0;
}

/* BOLT's name, found behind the padding in this file's writable and executable segment (BOLT's). */
NPG_FN void npgFind(void) {
    const ElfW(Ehdr) *eh = &__ehdr_start;
    const char *base = (const char *)eh;
    size_t phSize = (size_t)eh->e_phnum * sizeof(ElfW(Phdr));
    if (eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phnum == 0 || eh->e_phnum > 256) return;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + eh->e_phoff);
    if (!npgMapped(ph, phSize)) return;
    /* The program headers are where base + e_phoff says only if their segment maps offsets like the first one. */
    const ElfW(Phdr) *first = NULL;
    int consistent = 0;
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0 && first == NULL) first = &ph[i];
    if (first == NULL) return;
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= eh->e_phoff && eh->e_phoff + phSize <= ph[i].p_offset + ph[i].p_filesz)
            consistent = ph[i].p_vaddr - ph[i].p_offset == first->p_vaddr;
    if (!consistent) return;
    const char *bias = base - first->p_vaddr;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & (PF_W | PF_X)) != (PF_W | PF_X)) continue;
        char *lo = (char *)bias + ph[i].p_vaddr, *hi = lo + ph[i].p_memsz;
        size_t pad = sizeof NPG_PAD - 1;
        /* A run of `pad` slashes covers one of every `pad` bytes. */
        for (char *p = lo + pad - 1; p < hi; p += pad) {
            if (*p != '/') continue;
            char *s = p;
            while (s > lo && s[-1] == '/') s--;
            char *e = p;
            while (e < hi && *e == '/') e++;
            if (e - s < (long)pad) continue;
            /* [dir][slashes][id]\0 \0 [use_pid 1]: the name BOLT keeps, an empty binpath, the pid on. */
            char *name = s;
            while (name > lo && name[-1] != '\0' && s - name < NPG_PATH_MAX) name--;
            char *id = e, *end = e;
            while (end < hi && ((*end >= '0' && *end <= '9') || (*end >= 'a' && *end <= 'f'))) end++;
            if (name[0] != '/' || end == id || end + 3 > hi || end[0] != '\0' || end[1] != '\0' || end[2] != 1) return;
            if ((size_t)(end - id) >= sizeof npgId || s - name >= (long)sizeof npgBakedDir) return;
            for (long k = 0; k < end - id; k++) npgId[k] = id[k];
            npgId[end - id] = '\0';
            for (long k = 0; k < s - name; k++) npgBakedDir[k] = name[k];
            npgBakedDir[s - name] = '\0';
            npgName = name;
            npgRoom = (size_t)(end - name);
            return;
        }
    }
}

/* The name for this euid: <spool>/bolt/<uid>/<id> (the baked directory without NIX_PGO_SPOOL), or /dev/null with the pid off. */
NPG_FN void npgPatch(const char *spool) {
    char parent[NPG_PATH_MAX], dir[NPG_PATH_MAX];
    npgUid = npgEuid();
    parent[0] = '\0';
    if (spool && spool[0])
        npgFormatDir(parent, sizeof parent, spool, "bolt");
    else
        npgAppend(parent, sizeof parent, npgBakedDir);
    if (npgUserDir(parent, NULL, dir, sizeof dir) == 0 &&
        npgAppend(dir, sizeof dir, "/") == 0 && npgAppend(dir, sizeof dir, npgId) == 0 && npgLen(dir) <= npgRoom) {
        size_t n = npgLen(dir);
        for (size_t i = 0; i <= n; i++) npgName[i] = dir[i];
        npgName[npgRoom + 2] = 1;
        return;
    }
    static const char devNull[] = "/dev/null";
    for (size_t i = 0; i < sizeof devNull; i++) npgName[i] = devNull[i];
    npgName[npgRoom + 2] = 0;
}

/* NIX_PGO_SPOOL from /proc/self/environ, before the C library can tell; "" when unset or unreadable. */
NPG_FN void npgSpoolFromProc(char *out, size_t size) {
    static const char key[] = "NIX_PGO_SPOOL=";
    char buf[1024];
    size_t at = 0, n = 0; /* position in the current entry, in the value */
    int matching = 1;
    out[0] = '\0';
    int fd = (int)npgSys(SYS_openat, AT_FDCWD, (long)"/proc/self/environ", O_RDONLY | O_CLOEXEC, 0, 0);
    if (fd < 0) return;
    for (;;) {
        long got = npgSys(SYS_read, fd, (long)buf, sizeof buf, 0, 0);
        if (got <= 0) break;
        for (long i = 0; i < got; i++) {
            char c = buf[i];
            if (c == '\0') {
                if (matching && at >= sizeof key - 1) {
                    out[n < size ? n : size - 1] = '\0';
                    if (n >= size) out[0] = '\0'; /* too long to be a spool we can use */
                    npgClose(fd);
                    return;
                }
                at = 0;
                n = 0;
                matching = 1;
                continue;
            }
            if (matching && at < sizeof key - 1)
                matching = c == key[at];
            else if (matching && n < size)
                out[n++] = c;
            else if (matching)
                n = size;
            at++;
        }
    }
    npgClose(fd);
    out[0] = '\0';
}

/* Finds the name once and rewrites it; `spool` NULL: read the environment without the C library. */
NPG_FN void npgStart(const char *spool) {
    char fromProc[NPG_PATH_MAX];
    if (npgLooked) return;
    npgLooked = 1;
    npgFind();
    if (npgName == NULL) return;
    if (npgSecure()) {
        spool = NULL;
    } else if (spool == NULL) {
        npgSpoolFromProc(fromProc, sizeof fromProc);
        spool = fromProc;
    }
    npgPatch(spool);
}

#if defined(__GLIBC__) && defined(NPG_RAW_SYSCALLS)
typedef void (*npgFunction)(void);
NPG_TEXT __attribute__((used, no_profile_instrument_function)) static void npgNothing(void) {}
NPG_TEXT __attribute__((used, no_profile_instrument_function)) static npgFunction npgResolve(void) {
    npgStart(NULL);
    return npgNothing;
}
/*
 * A local IFUNC whose resolver is npgResolve, and its address as a constructor: the
 * relocation of that entry has the dynamic linker call the resolver, the constructor it
 * yields does nothing, and linkers keep constructors when they drop unused sections. In
 * assembly: clang 16 makes a static C ifunc global, which a shared library would take
 * from the executable.
 */
__asm__(".type npg_early, %gnu_indirect_function\n"
        ".set npg_early, npgResolve\n"
        ".pushsection .init_array, \"aw\", %init_array\n"
        ".p2align 3\n"
        ".8byte npg_early\n"
        ".popsection\n");
#endif

/* Where no resolver ran: before main, which is in time for files without a dump interval. */
NPG_TEXT __attribute__((constructor(101), no_profile_instrument_function)) static void npgBoltStart(void) {
    if (!npgLooked) npgStart(npgSecure() ? NULL : getenv("NIX_PGO_SPOOL") ? getenv("NIX_PGO_SPOOL") : "");
}

NPG_TEXT __attribute__((destructor(101), no_profile_instrument_function)) static void npgBoltEnd(void) {
    if (npgName != NULL && npgEuid() != npgUid) npgPatch(npgSecure() ? NULL : getenv("NIX_PGO_SPOOL"));
}
