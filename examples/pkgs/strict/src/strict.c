/* strict: a tiny stack machine; the build uses -Werror, as many packages do. */
#include <stdio.h>
#include <stdlib.h>

enum op { PUSH, ADD, MUL, DUP, SWAP, JNZ, DEC, POP, HALT };
struct insn { enum op op; long arg; };

static long run(const struct insn *prog, long *steps) {
    long stack[64];
    int sp = 0;
    long pc = 0;
    for (;;) {
        const struct insn *i = &prog[pc++];
        (*steps)++;
        switch (i->op) {
        case PUSH: stack[sp++] = i->arg; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case MUL: sp--; stack[sp - 1] = (stack[sp - 1] * stack[sp]) % 1000003; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case SWAP: { long t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case JNZ: if (stack[sp - 1] != 0) pc = i->arg; break;
        case DEC: stack[sp - 1]--; break;
        case POP: sp--; break;
        case HALT: return stack[sp - 1];
        }
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100000;
    /* acc = 1; counter = n; loop: acc = acc * 3 + 1 (mod p); counter--; while counter */
    const struct insn prog[] = {
        {PUSH, 1}, {PUSH, n},
        /* 2: */ {SWAP, 0}, {PUSH, 3}, {MUL, 0}, {PUSH, 1}, {ADD, 0}, {SWAP, 0}, {DEC, 0}, {JNZ, 2},
        {POP, 0}, {HALT, 0},
    };
    long steps = 0;
    long result = run(prog, &steps);
    printf("result %ld steps %ld\n", result, steps);
    return 0;
}
