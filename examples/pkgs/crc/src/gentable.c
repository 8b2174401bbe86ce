/* Code generator run during the build: prints the CRC-32 lookup table as C. */
#include <stdint.h>
#include <stdio.h>

int main(void) {
    printf("#include <stdint.h>\n\nconst uint32_t crc_table[256] = {\n");
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        printf("    0x%08xu,%s", c, (n % 4 == 3) ? "\n" : "");
    }
    printf("};\n");
    return 0;
}
