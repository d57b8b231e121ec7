/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the topology SPEC parser (sim/topology/spec.c) under
 * ASan/UBSan.  Any text either parses into a tree whose QEMU arguments and
 * printed form can be built, or fails with a one-line positioned error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/spec.h"

#define TEXT_MAX 4096

static struct spec spec;
static struct spec_args args;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void check_parsed(void)
{
    char tree[16384];
    unsigned int i, builtin = 0;

    for ( i = 0; i < spec.nr; i++ )
    {
        if ( spec.node[i].parent >= (int)i )
            abort();                    /* parents come before children */
        builtin += spec.node[i].builtin;
    }
    if ( spec_build_args(&spec, &args, NULL, NULL) >= 0 &&
         args.argc != 2 * (spec.nr - builtin) )
        abort();
    spec_format_tree(&spec, tree, sizeof(tree));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char text[TEXT_MAX];

    if ( len >= sizeof(text) )
        return 0;
    memcpy(text, data, len);
    text[len] = '\0';
    if ( spec_parse(&spec, text) == 0 )
        check_parsed();
    else if ( !spec.err[0] || strchr(spec.err, '\n') )
        abort();                        /* an error must be one line */
    return 0;
}
