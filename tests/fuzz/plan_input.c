/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * plan_input: text cases for plan building, and the comparison of the core
 * with the reference model.  See plan_input.h.
 */
#include <stdio.h>
#include <string.h>

#include "plan_input.h"
#include "ref_plan.h"

#define LINE_MAX_LEN 160

static const struct {
    const char *name;
    struct pcidc_policy policy;
} named_policy[] = {
    { "default", PCIDC_POLICY_DEFAULT },
    { "decode-off", PCIDC_POLICY_DECODE_OFF },
    { "seed", PCIDC_POLICY_SEED },
    { "input", { PCIDC_COMMAND_MASTER, PCIDC_COMMAND_INTX_DISABLE,
                 PCIDC_POLICY_INPUT_ORDER } },
    { "ignore", { PCIDC_COMMAND_MASTER, PCIDC_COMMAND_INTX_DISABLE,
                  PCIDC_POLICY_IGNORE_PRESERVE } },
};

static void parse_policy(struct plan_input *in, const char *arg)
{
    unsigned int clear, set, flags, i;

    for ( i = 0; i < sizeof(named_policy) / sizeof(named_policy[0]); i++ )
        if ( !strcmp(arg, named_policy[i].name) )
        {
            in->policy = named_policy[i].policy;
            return;
        }
    if ( sscanf(arg, "raw %x %x %x", &clear, &set, &flags) == 3 )
    {
        in->policy.clear = (uint16_t)clear;
        in->policy.set = (uint16_t)set;
        in->policy.flags = flags;
    }
}

static void add_func(struct plan_input *in, const struct pcidc_func *f)
{
    if ( in->nr < PLAN_INPUT_MAX )
        in->func[in->nr++] = *f;
}

static void fill(struct plan_input *in, unsigned int n)
{
    struct pcidc_func f = { 0 };
    unsigned int i;

    for ( i = 0; i < n && in->nr < PLAN_INPUT_MAX; i++ )
    {
        f.sbdf = i;
        add_func(in, &f);
    }
}

/* "SEG:BUS:DEV.FN [bridge SEC-SUB] [keep] [flags=HEX] [cmd=HEX]" */
static void parse_func(struct plan_input *in, const char *line)
{
    unsigned int seg, bus, dev, fn, sec, sub, v;
    struct pcidc_func f = { 0 };
    const char *p;

    if ( sscanf(line, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4 ||
         seg > 0xffff || bus > 0xff || dev > 0x1f || fn > 7 )
        return;
    f.sbdf = PCIDC_SBDF(seg, bus, (dev << 3) | fn);
    p = strstr(line, " bridge ");
    if ( p && sscanf(p, " bridge %x-%x", &sec, &sub) == 2 &&
         sec <= 0xff && sub <= 0xff )
    {
        f.flags |= PCIDC_FUNC_BRIDGE;
        f.secondary = (uint8_t)sec;
        f.subordinate = (uint8_t)sub;
    }
    if ( strstr(line, " keep") )
        f.flags |= PCIDC_FUNC_PRESERVE;
    p = strstr(line, " flags=");
    if ( p && sscanf(p, " flags=%x", &v) == 1 )
        f.flags = (uint8_t)v;
    p = strstr(line, " cmd=");
    if ( p && sscanf(p, " cmd=%x", &v) == 1 )
        f.command = (uint16_t)v;
    add_func(in, &f);
}

static void parse_line(struct plan_input *in, const char *line)
{
    unsigned int n;

    if ( !strncmp(line, "policy ", 7) )
        parse_policy(in, line + 7);
    else if ( sscanf(line, "fill %x", &n) == 1 )
        fill(in, n);
    else
        parse_func(in, line);
}

void plan_input_parse(struct plan_input *in, const uint8_t *data, size_t len)
{
    static const struct pcidc_policy dflt = PCIDC_POLICY_DEFAULT;
    char line[LINE_MAX_LEN];
    size_t i = 0, n;

    in->policy = dflt;
    in->nr = 0;
    while ( i < len )
    {
        for ( n = 0; i < len && data[i] != '\n'; i++ )
            if ( n < sizeof(line) - 1 )
                line[n++] = data[i] ? (char)data[i] : ' ';
        line[n] = '\0';
        i++;
        parse_line(in, line);
    }
}

static int differ(char *why, size_t len, const char *what, unsigned int k,
                  unsigned int core, unsigned int model)
{
    snprintf(why, len, "%s of step %u: core %#x, model %#x", what, k, core,
             model);
    return -1;
}

static int compare_steps(const struct pcidc_plan *got,
                         const struct ref_plan *want, char *why, size_t len)
{
    unsigned int k;

    if ( got->nr_steps != want->nr_steps )
    {
        snprintf(why, len, "core plans %u steps, model %u", got->nr_steps,
                 want->nr_steps);
        return -1;
    }
    for ( k = 0; k < got->nr_steps; k++ )
    {
        const struct pcidc_step *a = &got->step[k], *b = &want->step[k];

        if ( a->sbdf != b->sbdf )
            return differ(why, len, "sbdf", k, a->sbdf, b->sbdf);
        if ( a->reg != b->reg )
            return differ(why, len, "register", k, a->reg, b->reg);
        if ( a->clear != b->clear || a->set != b->set )
            return differ(why, len, "clear/set", k,
                          (unsigned int)a->clear << 16 | a->set,
                          (unsigned int)b->clear << 16 | b->set);
        if ( a->fallback != b->fallback )
            return differ(why, len, "fallback", k, a->fallback, b->fallback);
    }
    return 0;
}

int plan_input_compare(struct pcidc *dc, const struct plan_input *in,
                       char *why, size_t len)
{
    static struct ref_plan model;
    const struct pcidc_plan *before = pcidc_plan_published(dc);
    int rc_core = pcidc_plan_build(dc, in->func, in->nr, &in->policy);
    int rc_model = ref_plan_build(in->func, in->nr, &in->policy, &model);

    if ( rc_core != rc_model )
    {
        snprintf(why, len, "core returns %d (%s), model %d (%s)", rc_core,
                 pcidc_strerror(rc_core), rc_model, pcidc_strerror(rc_model));
        return -1;
    }
    if ( rc_core )
    {
        if ( pcidc_plan_published(dc) == before )
            return 0;
        snprintf(why, len, "error %d, yet a new plan was published", rc_core);
        return -1;
    }
    return compare_steps(pcidc_plan_published(dc), &model, why, len);
}
