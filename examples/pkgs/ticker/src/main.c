/* ticker: a long-running program over libticker.
 *
 *   ticker            one unit of work per line read from stdin, until EOF
 *   ticker -n N       N units without reading stdin (-n 0: until a signal)
 *   ticker -d MS      sleep MS milliseconds after every unit
 *   ticker -f         fork a child that runs the same loop (-n/-d) beside the
 *                     parent, as "child"; the parent waits for it at the end
 *   ticker -F         fork a child that keeps working and exit at once, like
 *                     a program that turns itself into a daemon
 *
 * Each unit prints "<who> <n> <checksum>". SIGTERM, SIGINT and SIGHUP end the
 * loop and the program exits normally. The output is deterministic. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libticker.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static void pause_ms(long ms) {
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    while (!stop && nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

static unsigned long run(const char *who, long count, long delay, int from_stdin) {
    char line[4096];
    unsigned long n = 0;
    while (!stop) {
        if (from_stdin) {
            if (!fgets(line, sizeof line, stdin)) break;
        } else if (count > 0 && (long)n >= count) {
            break;
        }
        printf("%s %lu %016llx\n", who, n, (unsigned long long)ticker_unit(n));
        fflush(stdout);
        n++;
        if (delay > 0) pause_ms(delay);
    }
    return n;
}

int main(int argc, char **argv) {
    long count = -1, delay = 0;
    int fork_mode = 0, opt;
    while ((opt = getopt(argc, argv, "n:d:fF")) != -1) {
        switch (opt) {
        case 'n': count = atol(optarg); break;
        case 'd': delay = atol(optarg); break;
        case 'f': fork_mode = 1; break;
        case 'F': fork_mode = 2; break;
        default:
            fprintf(stderr, "usage: ticker [-n N] [-d MS] [-f|-F]\n");
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int from_stdin = count < 0;
    pid_t child = -1;
    if (fork_mode) {
        fflush(stdout);
        child = fork();
        if (child < 0) {
            perror("ticker: fork");
            return 1;
        }
        if (child == 0) {
            /* The child never reads stdin: with -f the parent does. */
            unsigned long done = run("child", count < 0 ? 0 : count, delay, 0);
            printf("child done %lu\n", done);
            return 0;
        }
        if (fork_mode == 2) {
            printf("parent detached %ld\n", (long)child);
            return 0;
        }
    }
    unsigned long done = run(fork_mode ? "parent" : "tick", count, delay, from_stdin);
    if (child > 0) {
        int status;
        if (from_stdin) kill(child, SIGTERM);
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    }
    printf("%s done %lu\n", fork_mode ? "parent" : "ticker", done);
    return 0;
}
