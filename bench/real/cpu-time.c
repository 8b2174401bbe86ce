/*
 * Runs one command pinned to one processor and prints what the kernel
 * accounted to it: Node cannot read a child's resource usage, and GNU time
 * rounds to hundredths of a second, too coarse for runs of a few tenths.
 *
 * usage: cpu-time CPU COMMAND [ARG...]   (CPU "-" leaves the affinity alone)
 * The command's status becomes this program's; the last line of stderr is
 *   cpu-time: USER_US SYS_US WALL_US MAXRSS_KB MAJFLT MINFLT NVCSW NIVCSW PINNED
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long micros(struct timeval tv) { return (long long)tv.tv_sec * 1000000LL + tv.tv_usec; }

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: cpu-time CPU COMMAND [ARG...]\n");
    return 2;
  }
  int pinned = -1;
  if (strcmp(argv[1], "-") != 0) {
    /* Pinned before the fork, so the command inherits the mask from its first instruction. */
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpu = atoi(argv[1]);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
      fprintf(stderr, "cpu-time: cannot pin to processor %d: %s\n", cpu, strerror(errno));
      return 2;
    }
    pinned = cpu;
  }
  long long start = now_us();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "cpu-time: fork: %s\n", strerror(errno));
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    fprintf(stderr, "cpu-time: cannot run %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "cpu-time: wait4: %s\n", strerror(errno));
      return 2;
    }
  }
  long long wall = now_us() - start;
  fprintf(stderr, "\ncpu-time: %lld %lld %lld %ld %ld %ld %ld %ld %d\n", micros(ru.ru_utime), micros(ru.ru_stime), wall,
          ru.ru_maxrss, ru.ru_majflt, ru.ru_minflt, ru.ru_nvcsw, ru.ru_nivcsw, pinned);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
