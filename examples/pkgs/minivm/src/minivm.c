/* minivm: a small register-machine interpreter.
 *
 *   minivm PROGRAM.vm [ARG ...]      (MINIVM_TRACE=1: every instruction on stderr)
 *
 * It reads a program in a plain assembly text (see programs/), resolves its
 * labels and runs it one instruction at a time through step(), a switch over
 * the opcodes. step() has two callers, the plain loop and the tracing loop,
 * and is too large for the compiler to inline into either by itself at -O2,
 * so every instruction costs a call that reloads the machine's state.
 * A profile shows that one of the two call sites runs billions of times and
 * the other never: with it, clang inlines step() into the hot loop, keeps
 * the state in registers and lays out the common opcodes first. That is the
 * kind of decision profile-guided optimization exists for, and the reason
 * this example gains far more from it than the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#define NREGS 16
#define MAXCODE 4096
#define MAXLABELS 256
#define STACK 256

typedef struct vm vm_t;
typedef struct insn insn_t;

struct insn {
    int op;
    int a, b, c;
    long imm;
};

struct vm {
    long r[NREGS];
    long *mem;
    long memsize;
    const insn_t *code;
    long pc;
    long calls[STACK];
    int sp;
    int argc;
    char **argv;
    unsigned long steps;
};

#define R(x) vm->r[i->x]

static long *cell(vm_t *vm, long addr) {
    if (addr < 0 || addr >= vm->memsize) {
        fprintf(stderr, "minivm: address %ld out of range at %ld\n", addr, vm->pc);
        exit(1);
    }
    return &vm->mem[addr];
}

enum { SET, MOV, ADD, SUB, MUL, DIV, MOD, ADDI, MULI, AND, OR, XOR, SHL, SHR, MIN, MAX, NEG, LOAD, STORE,
       JMP, JLT, JGE, JEQ, JNE, JZ, JNZ, CALL, RET, ARG, PRINT, HALT };

/* One instruction; 0 when the machine stops. */
static int step(vm_t *vm, const insn_t *i) {
    long next = vm->pc + 1;
    switch (i->op) {
    case SET: R(a) = i->imm; break;
    case MOV: R(a) = R(b); break;
    case ADD: R(a) = R(b) + R(c); break;
    case SUB: R(a) = R(b) - R(c); break;
    case MUL: R(a) = R(b) * R(c); break;
    case DIV: R(a) = R(c) ? R(b) / R(c) : 0; break;
    case MOD: R(a) = R(c) ? R(b) % R(c) : 0; break;
    case ADDI: R(a) = R(b) + i->imm; break;
    case MULI: R(a) = R(b) * i->imm; break;
    case AND: R(a) = R(b) & R(c); break;
    case OR: R(a) = R(b) | R(c); break;
    case XOR: R(a) = R(b) ^ R(c); break;
    case SHL: R(a) = R(b) << (i->imm & 63); break;
    case SHR: R(a) = (long)((unsigned long)R(b) >> (i->imm & 63)); break;
    case MIN: R(a) = R(b) < R(c) ? R(b) : R(c); break;
    case MAX: R(a) = R(b) > R(c) ? R(b) : R(c); break;
    case NEG: R(a) = -R(b); break;
    case LOAD: R(a) = *cell(vm, R(b)); break;
    case STORE: *cell(vm, R(a)) = R(b); break;
    case JMP: next = i->imm; break;
    case JLT: if (R(a) < R(b)) next = i->imm; break;
    case JGE: if (R(a) >= R(b)) next = i->imm; break;
    case JEQ: if (R(a) == R(b)) next = i->imm; break;
    case JNE: if (R(a) != R(b)) next = i->imm; break;
    case JZ: if (R(a) == 0) next = i->imm; break;
    case JNZ: if (R(a) != 0) next = i->imm; break;
    case CALL:
        if (vm->sp == STACK) { fprintf(stderr, "minivm: call stack overflow at %ld\n", vm->pc); exit(1); }
        vm->calls[vm->sp++] = next;
        next = i->imm;
        break;
    case RET:
        if (vm->sp == 0) { fprintf(stderr, "minivm: ret without call at %ld\n", vm->pc); exit(1); }
        next = vm->calls[--vm->sp];
        break;
    case ARG: R(a) = i->b < vm->argc ? atol(vm->argv[i->b]) : i->imm; break;
    case PRINT: printf("%ld\n", R(a)); break;
    case HALT: return 0;
    default: fprintf(stderr, "minivm: bad opcode %d at %ld\n", i->op, vm->pc); exit(1);
    }
    vm->pc = next;
    return 1;
}

/* Operand kinds: r register, i immediate, l label, n small number. */
struct opdef { const char *name; const char *args; };
static const struct opdef ops[] = {
    {"set", "ri"}, {"mov", "rr"}, {"add", "rrr"}, {"sub", "rrr"},
    {"mul", "rrr"}, {"div", "rrr"}, {"mod", "rrr"}, {"addi", "rri"},
    {"muli", "rri"}, {"and", "rrr"}, {"or", "rrr"}, {"xor", "rrr"},
    {"shl", "rri"}, {"shr", "rri"}, {"min", "rrr"}, {"max", "rrr"},
    {"neg", "rr"}, {"load", "rr"}, {"store", "rr"}, {"jmp", "l"},
    {"jlt", "rrl"}, {"jge", "rrl"}, {"jeq", "rrl"}, {"jne", "rrl"},
    {"jz", "rl"}, {"jnz", "rl"}, {"call", "l"}, {"ret", ""},
    {"arg", "rni"}, {"print", "r"}, {"halt", ""},
};
#define NOPS (sizeof ops / sizeof ops[0])

static struct { char name[32]; long at; } labels[MAXLABELS];
static int nlabels;
static struct { char name[32]; long insn; int line; } fixups[MAXCODE];
static int nfixups;

static void fail(int line, const char *what, const char *tok) {
    fprintf(stderr, "minivm: line %d: %s%s%s\n", line, what, tok ? ": " : "", tok ? tok : "");
    exit(2);
}

static int parse(FILE *f, insn_t *code) {
    char buf[256];
    int line = 0, n = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        char *hash = strpbrk(buf, ";#");
        if (hash) *hash = 0;
        char *toks[8];
        int nt = 0;
        for (char *t = strtok(buf, " \t\r\n,"); t && nt < 8; t = strtok(NULL, " \t\r\n,")) toks[nt++] = t;
        if (nt == 0) continue;
        size_t len = strlen(toks[0]);
        if (toks[0][len - 1] == ':') {
            if (nlabels == MAXLABELS) fail(line, "too many labels", NULL);
            toks[0][len - 1] = 0;
            snprintf(labels[nlabels].name, sizeof labels[0].name, "%s", toks[0]);
            labels[nlabels++].at = n;
            for (int j = 1; j < nt; j++) toks[j - 1] = toks[j];
            if (--nt == 0) continue;
        }
        unsigned k;
        for (k = 0; k < NOPS && strcmp(ops[k].name, toks[0]) != 0; k++) {}
        if (k == NOPS) fail(line, "unknown instruction", toks[0]);
        if ((size_t)(nt - 1) != strlen(ops[k].args)) fail(line, "wrong number of operands for", toks[0]);
        if (n == MAXCODE) fail(line, "program too long", NULL);
        insn_t *in = &code[n];
        memset(in, 0, sizeof *in);
        in->op = (int)k;
        int regs = 0;
        for (int j = 1; j < nt; j++) {
            char kind = ops[k].args[j - 1];
            const char *t = toks[j];
            if (kind == 'r') {
                if (t[0] != 'r' || !isdigit((unsigned char)t[1])) fail(line, "expected a register", t);
                int r = atoi(t + 1);
                if (r >= NREGS) fail(line, "no such register", t);
                if (regs == 0) in->a = r; else if (regs == 1) in->b = r; else in->c = r;
                regs++;
            } else if (kind == 'n') {
                in->b = atoi(t);
            } else if (kind == 'i') {
                in->imm = atol(t);
            } else {
                snprintf(fixups[nfixups].name, sizeof fixups[0].name, "%s", t);
                fixups[nfixups].insn = n;
                fixups[nfixups++].line = line;
            }
        }
        n++;
    }
    for (int j = 0; j < nfixups; j++) {
        int l;
        for (l = 0; l < nlabels && strcmp(labels[l].name, fixups[j].name) != 0; l++) {}
        if (l == nlabels) fail(fixups[j].line, "unknown label", fixups[j].name);
        code[fixups[j].insn].imm = labels[l].at;
    }
    if (n == 0 || code[n - 1].op != HALT) {
        memset(&code[n], 0, sizeof code[n]);
        code[n].op = HALT;
        n++;
    }
    return n;
}

static void run(vm_t *vm) {
    while (step(vm, &vm->code[vm->pc])) vm->steps++;
}

/* MINIVM_TRACE=1: every instruction on stderr. */
static void run_traced(vm_t *vm) {
    for (;;) {
        const insn_t *i = &vm->code[vm->pc];
        fprintf(stderr, "%6ld %-5s r%d r%d r%d %ld\n", vm->pc, ops[i->op].name, i->a, i->b, i->c, i->imm);
        if (!step(vm, i)) break;
        vm->steps++;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: minivm PROGRAM.vm [ARG ...]\n");
        return 2;
    }
    FILE *f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 2; }
    static insn_t code[MAXCODE + 1];
    parse(f, code);
    if (f != stdin) fclose(f);
    vm_t vm;
    memset(&vm, 0, sizeof vm);
    vm.memsize = 1 << 22;
    vm.mem = calloc((size_t)vm.memsize, sizeof *vm.mem);
    if (!vm.mem) { perror("minivm"); return 1; }
    vm.code = code;
    vm.argc = argc - 2;
    vm.argv = argv + 2;
    if (getenv("MINIVM_TRACE")) run_traced(&vm); else run(&vm);
    fflush(stdout);
    if (getenv("MINIVM_STEPS")) fprintf(stderr, "steps %lu\n", vm.steps);
    free(vm.mem);
    return 0;
}
