#ifndef LIBTICKER_H
#define LIBTICKER_H
#include <stdint.h>

/* One deterministic unit of work for the n-th tick; returns its checksum. */
uint64_t ticker_unit(uint64_t n);
#endif
