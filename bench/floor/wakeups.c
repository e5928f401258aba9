/* The machine's own wake-up lateness: a program that does nothing but sleep until each
 * tick of a fixed period (absolute deadlines, as ccsim's dispatcher sleeps until each
 * send) and measures how late it woke. What it shows is the floor under any program's
 * schedule lateness at that rate on this machine: the kernel's and, on a virtual
 * machine, the hypervisor's wake-up of an idle core.
 *   wakeups SECONDS PERIOD_US   ->  one line of percentiles, in ms
 * With "spin" as a third argument it busy-waits for each tick instead of sleeping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: wakeups SECONDS PERIOD_US [spin]\n");
    return 2;
  }
  long secs = atol(argv[1]), period_us = atol(argv[2]);
  int spin = argc > 3 && strcmp(argv[3], "spin") == 0;
  if (secs <= 0 || period_us <= 0) {
    fprintf(stderr, "wakeups: SECONDS and PERIOD_US must be positive\n");
    return 2;
  }
  long n = secs * 1000000L / period_us;
  long long *late = malloc((size_t)n * sizeof *late);
  if (!late) return 1;
  long long next = now_ns();
  for (long i = 0; i < n; i++) {
    next += period_us * 1000LL;
    if (spin) {
      while (now_ns() < next) {
      }
    } else {
      struct timespec at = {next / 1000000000LL, next % 1000000000LL};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) != 0) {
      }
    }
    late[i] = now_ns() - next;
  }
  qsort(late, (size_t)n, sizeof *late, by_value);
  printf("p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", late[n / 2] / 1e6,
         late[n * 9 / 10] / 1e6, late[n * 99 / 100] / 1e6, late[n * 999 / 1000] / 1e6,
         late[n - 1] / 1e6);
  return 0;
}
