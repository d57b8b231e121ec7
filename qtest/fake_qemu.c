/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fake_qemu: a stand-in for qemu-system-x86_64 in the fault scenarios.
 *
 *   fake_qemu --version        prints a QEMU-like version line
 *   fake_qemu ARGS...          connects to the qtest socket named by
 *                              "-chardev socket,...,path=P", then behaves as
 *                              $FAKE_QEMU_MODE says:
 *     silent    reads commands and never answers (a hung QEMU)
 *     garbage   answers every command with a line no qtest peer sends
 *
 * It exits when the harness closes the socket or kills it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *socket_path(int argc, char **argv)
{
    const char *p;
    int i;

    for (i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "-chardev"))
            continue;
        p = strstr(argv[i + 1], "path=");
        if (p)
            return p + 5;
    }
    return NULL;
}

static int connect_to(const char *spec)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    size_t len = strcspn(spec, ",");
    int fd;

    if (len >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, spec, len);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return -1;
    return fd;
}

int main(int argc, char **argv)
{
    const char *mode = getenv("FAKE_QEMU_MODE"), *path;
    char buf[4096];
    ssize_t n;
    int fd;

    if (argc == 2 && !strcmp(argv[1], "--version")) {
        printf("QEMU emulator version 7.2.0 (pcidc fake_qemu)\n");
        return 0;
    }
    path = socket_path(argc, argv);
    if (!path || (fd = connect_to(path)) < 0) {
        fprintf(stderr, "fake_qemu: no qtest socket to connect to\n");
        return 1;
    }
    if (!mode)
        mode = "silent";
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (!strcmp(mode, "garbage")) {
            static const char junk[] = "HELLO this is not qtest\n";

            if (write(fd, junk, sizeof(junk) - 1) < 0)
                break;
        }
    }
    return 0;
}
