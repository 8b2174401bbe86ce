#include "libticker.h"

static uint64_t collatz(uint64_t x) {
    uint64_t steps = 0;
    while (x > 1) {
        x = (x & 1) ? 3 * x + 1 : x / 2;
        steps++;
    }
    return steps;
}

static uint64_t fnv(uint64_t x) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 8; i++) {
        h ^= (x >> (8 * i)) & 0xff;
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t digits(uint64_t x) {
    uint64_t sum = 0;
    do {
        sum += x % 10;
        x /= 10;
    } while (x);
    return sum;
}

/* Called through a table: the kind of call indirect-call promotion works on. */
static uint64_t (*const kinds[])(uint64_t) = { collatz, fnv, digits };

uint64_t ticker_unit(uint64_t n) {
    uint64_t acc = 0;
    for (uint64_t i = 0; i < 64; i++) {
        uint64_t x = n * 64 + i + 1;
        acc = acc * 31 + kinds[x % 3 == 0 ? 0 : (x % 3 == 1 ? 1 : 2)](x);
    }
    return acc;
}
