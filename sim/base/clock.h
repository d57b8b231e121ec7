/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * clock: the one monotonic clock every wait and deadline of the simulator,
 * its programs and its tests is measured on.
 */
#ifndef SIM_BASE_CLOCK_H
#define SIM_BASE_CLOCK_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
static inline double clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The same, whole milliseconds. */
static inline uint64_t clock_ms_u64(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleep ms milliseconds, resuming after signals. */
static inline void clock_sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

#endif /* SIM_BASE_CLOCK_H */
