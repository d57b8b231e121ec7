/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * disk_image: the generated disks of the block drivers (NVMe, virtio-blk):
 * every byte derived from (seed, disk key, byte offset), so a buffer can be
 * checked against the disk without keeping a copy.  Keys keep disks apart
 * (the AHCI driver's own disks use key = index).
 */
#ifndef SIM_DEV_DISK_IMAGE_H
#define SIM_DEV_DISK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "qemu/qts.h"

#define DISK_KEY_NVME       0x80u   /* | index */
#define DISK_KEY_VIRTIO_BLK 0xc0u   /* | index */

/* The disk's bytes at offset pos. */
void disk_image_bytes(uint64_t seed, unsigned int key, uint64_t pos,
                      uint8_t *buf, size_t len);

/*
 * Write bytes (a multiple of 64 KiB) of disk key as file name in q's
 * temporary directory; its path into path.  Returns 0, or -1 with a
 * sticky error on q.
 */
int disk_image_write(struct qts *q, const char *name, uint64_t seed,
                     unsigned int key, uint64_t bytes, char *path,
                     size_t path_len);

#endif /* SIM_DEV_DISK_IMAGE_H */
