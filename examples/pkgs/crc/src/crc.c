/* CRC-32 of standard input (or of each file argument), with a table generated at build time. */
#include <stdint.h>
#include <stdio.h>

extern const uint32_t crc_table[256];

static uint32_t crc_stream(FILE *f) {
    unsigned char buf[4096];
    uint32_t c = 0xffffffffu;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++) c = crc_table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
    }
    return c ^ 0xffffffffu;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("%08x\n", crc_stream(stdin));
        return 0;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            status = 1;
            continue;
        }
        printf("%08x  %s\n", crc_stream(f), argv[i]);
        fclose(f);
    }
    return status;
}
