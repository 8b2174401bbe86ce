/* calc: a deterministic workload over libcalc. `calc [SCALE] [MODE]` */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libcalc.h"

static uint32_t rng_state = 12345;
static uint32_t next_random(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 1;
}

static long run_sort(long n) {
    int32_t *v = malloc(sizeof(int32_t) * (size_t)n);
    for (long i = 0; i < n; i++) v[i] = (int32_t)(next_random() % 100000);
    calc_sort(v, (size_t)n);
    long checksum = 0;
    for (long i = 0; i < n; i += 97) checksum += v[i];
    free(v);
    return checksum;
}

static uint64_t run_hash(long n) {
    char word[32];
    uint64_t acc = 0;
    for (long i = 0; i < n; i++) {
        snprintf(word, sizeof word, "w%ld-%ld", i % 1000, i);
        acc ^= calc_hash(word);
    }
    return acc;
}

int main(int argc, char **argv) {
    long scale = argc > 1 ? atol(argv[1]) : 1;
    const char *mode = argc > 2 ? argv[2] : "all";
    if (scale < 1) { fprintf(stderr, "calc: SCALE must be a positive number\n"); return 2; }
    if (!strcmp(mode, "all") || !strcmp(mode, "primes"))
        printf("primes %ld\n", calc_count_primes(100000 * scale));
    if (!strcmp(mode, "all") || !strcmp(mode, "sort"))
        printf("sort %ld\n", run_sort(20000 * scale));
    if (!strcmp(mode, "all") || !strcmp(mode, "hash"))
        printf("hash %016llx\n", (unsigned long long)run_hash(5000 * scale));
    if (!strcmp(mode, "all") || !strcmp(mode, "collatz"))
        printf("collatz %ld\n", calc_collatz_steps(1, 2000 * scale));
    return 0;
}
