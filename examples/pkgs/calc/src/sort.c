#include "libcalc.h"

static void insertion_sort(int32_t *v, size_t n) {
    for (size_t i = 1; i < n; i++) {
        int32_t key = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > key) { v[j] = v[j - 1]; j--; }
        v[j] = key;
    }
}

void calc_sort(int32_t *v, size_t n) {
    if (n <= 16) { insertion_sort(v, n); return; }
    int32_t pivot = v[n / 2];
    size_t i = 0, j = n - 1;
    for (;;) {
        while (v[i] < pivot) i++;
        while (v[j] > pivot) j--;
        if (i >= j) break;
        int32_t t = v[i]; v[i] = v[j]; v[j] = t;
        i++; j--;
    }
    calc_sort(v, j + 1);
    calc_sort(v + j + 1, n - j - 1);
}

uint64_t calc_hash(const char *text) {
    uint64_t h = 1469598103934665603ULL;
    for (; *text; text++) { h ^= (unsigned char)*text; h *= 1099511628211ULL; }
    return h;
}
