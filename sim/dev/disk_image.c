/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * disk_image: see disk_image.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/pattern.h"
#include "disk_image.h"

#define CHUNK   (64 * 1024)

void disk_image_bytes(uint64_t seed, unsigned int key, uint64_t pos,
                      uint8_t *buf, size_t len)
{
    pattern_fill(seed, PATTERN_DISK, ((uint64_t)key << 40) | pos, buf, len);
}

int disk_image_write(struct qts *q, const char *name, uint64_t seed,
                     unsigned int key, uint64_t bytes, char *path,
                     size_t path_len)
{
    static uint8_t chunk[CHUNK];
    uint64_t off;
    int fd;

    if (!qts_path(q, name, path, path_len))
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return qts_fail(q, "cannot create %s: %s", path, strerror(errno));
    for (off = 0; off < bytes; off += CHUNK) {
        disk_image_bytes(seed, key, off, chunk, CHUNK);
        if (write(fd, chunk, CHUNK) != CHUNK) {
            close(fd);
            return qts_fail(q, "cannot write %s", path);
        }
    }
    if (close(fd) < 0)
        return qts_fail(q, "cannot write %s", path);
    return 0;
}
