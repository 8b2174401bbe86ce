/* wordfreq: counts words on stdin with a hash table and prints the most frequent. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096
#define TOP 10

struct entry { char *word; long count; struct entry *next; };
static struct entry *table[BUCKETS];
static long distinct;

static unsigned hash_word(const char *w) {
    unsigned h = 5381;
    while (*w) h = h * 33 + (unsigned char)*w++;
    return h % BUCKETS;
}

static void add_word(const char *w) {
    unsigned b = hash_word(w);
    for (struct entry *e = table[b]; e; e = e->next)
        if (strcmp(e->word, w) == 0) { e->count++; return; }
    struct entry *e = malloc(sizeof *e);
    e->word = strdup(w);
    e->count = 1;
    e->next = table[b];
    table[b] = e;
    distinct++;
}

static int by_count(const void *a, const void *b) {
    const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

int main(void) {
    char word[128];
    size_t len = 0;
    int c;
    while ((c = getchar()) != EOF) {
        if (isalnum(c)) {
            if (len < sizeof word - 1) word[len++] = (char)tolower(c);
        } else if (len) {
            word[len] = 0; add_word(word); len = 0;
        }
    }
    if (len) { word[len] = 0; add_word(word); }
    struct entry **all = malloc(sizeof *all * (size_t)(distinct ? distinct : 1));
    long n = 0;
    for (int b = 0; b < BUCKETS; b++)
        for (struct entry *e = table[b]; e; e = e->next) all[n++] = e;
    qsort(all, (size_t)n, sizeof *all, by_count);
    printf("distinct %ld\n", distinct);
    for (long i = 0; i < n && i < TOP; i++) printf("%s %ld\n", all[i]->word, all[i]->count);
    return 0;
}
