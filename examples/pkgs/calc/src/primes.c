#include <stdlib.h>
#include <string.h>
#include "libcalc.h"

long calc_count_primes(long limit) {
    if (limit < 2) return 0;
    char *composite = calloc((size_t)limit + 1, 1);
    long count = 0;
    for (long i = 2; i <= limit; i++) {
        if (composite[i]) continue;
        count++;
        for (long j = i * i; j <= limit; j += i) composite[j] = 1;
    }
    free(composite);
    return count;
}

long calc_collatz_steps(long start, long count) {
    long total = 0;
    for (long n = start; n < start + count; n++) {
        long x = n;
        while (x != 1) {
            x = (x % 2) ? 3 * x + 1 : x / 2;
            total++;
        }
    }
    return total;
}
