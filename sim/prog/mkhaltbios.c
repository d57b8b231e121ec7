/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Write the simulator's "halt firmware": a 64 KiB -bios image whose only
 * code is at the x86 reset vector (physical 0xFFFFFFF0, image offset
 * 0xFFF0): cli; hlt; jmp back to the hlt.  The vCPU stays halted with
 * interrupts off, so the qtest harness is the only thing touching the
 * machine while QEMU's devices and timers keep running.
 *
 *   mkhaltbios OUTPUT
 */
#include <stdio.h>
#include <string.h>

#define IMAGE_SIZE   65536
#define RESET_OFFSET 0xfff0

int main(int argc, char **argv)
{
    static unsigned char image[IMAGE_SIZE];
    /* fa: cli; f4: hlt; eb fd: jmp rel8 -3, i.e. back to the hlt. */
    static const unsigned char reset[] = { 0xfa, 0xf4, 0xeb, 0xfd };
    FILE *out;

    if (argc != 2) {
        fprintf(stderr, "usage: mkhaltbios OUTPUT\n");
        return 2;
    }
    /* Unused bytes read as hlt too, in case anything ever jumps there. */
    memset(image, 0xf4, sizeof(image));
    memcpy(image + RESET_OFFSET, reset, sizeof(reset));

    out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    if (fwrite(image, 1, sizeof(image), out) != sizeof(image) ||
        fclose(out) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
