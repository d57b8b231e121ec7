/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pattern: the bytes the simulator writes and expects, all derived from
 * --seed.  A byte depends on (seed, stream, guest address), so any region can
 * be regenerated without storing it, and the streams differ from each other:
 * a guarded region filled with the guard stream cannot be mistaken for a
 * received frame or a disk sector.
 */
#ifndef SIM_PATTERN_H
#define SIM_PATTERN_H

#include <stddef.h>
#include <stdint.h>

enum pattern_stream {
    PATTERN_GUARD = 1,      /* guarded regions, crash state */
    PATTERN_FRAME = 2,      /* frames the harness sends (key: nic, seq) */
    PATTERN_DISK = 3,       /* disk images (key: disk, byte offset) */
};

static inline uint64_t pattern_mix(uint64_t x)
{
    /* splitmix64's finaliser */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Byte at position pos of stream stream under seed. */
static inline uint8_t pattern_byte(uint64_t seed, unsigned int stream,
                                   uint64_t pos)
{
    uint64_t word = pattern_mix(seed ^ pattern_mix(((uint64_t)stream << 56) ^
                                                   (pos >> 3)));

    return (uint8_t)(word >> ((pos & 7) * 8));
}

/* buf[i] = pattern_byte(seed, stream, pos + i), eight bytes per mix. */
static inline void pattern_fill(uint64_t seed, unsigned int stream,
                                uint64_t pos, void *buf, size_t len)
{
    uint8_t *out = buf;
    uint64_t word = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        uint64_t p = pos + i;

        if (i == 0 || (p & 7) == 0)
            word = pattern_mix(seed ^ pattern_mix(((uint64_t)stream << 56) ^
                                                  (p >> 3)));
        out[i] = (uint8_t)(word >> ((p & 7) * 8));
    }
}

#endif /* SIM_PATTERN_H */
