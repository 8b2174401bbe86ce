#ifndef LIBCALC_H
#define LIBCALC_H
#include <stddef.h>
#include <stdint.h>

long calc_count_primes(long limit);
void calc_sort(int32_t *values, size_t n);
uint64_t calc_hash(const char *text);
long calc_collatz_steps(long start, long count);
#endif
