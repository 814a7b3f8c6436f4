/* The method registry: the one place that lists the methods. */
#include <string.h>

#include "method.h"

static const struct ipb_method *const registry[] = {
    &ipb_method_sequential,
    &ipb_method_openmp,
    &ipb_method_fork,
    &ipb_method_aio,
};

#define NMETHODS (sizeof(registry) / sizeof(registry[0]))

const struct ipb_method *ipb_method_find(const char *name)
{
    for (size_t i = 0; i < NMETHODS; i++) {
        const struct ipb_method *m = registry[i];
        if (strcmp(m->name, name) == 0 || (m->alias && strcmp(m->alias, name) == 0))
            return m;
    }
    return NULL;
}

const struct ipb_method *ipb_method_default(void)
{
    return &ipb_method_sequential;
}

void ipb_method_list(FILE *out)
{
    for (size_t i = 0; i < NMETHODS; i++) {
        const struct ipb_method *m = registry[i];
        char names[64];
        snprintf(names, sizeof(names), "%s%s%s%s", m->name, m->alias ? " (" : "",
                 m->alias ? m->alias : "", m->alias ? ")" : "");
        fprintf(out, "  %-30s %s\n", names, m->summary);
    }
}

size_t ipb_method_count(void)
{
    return NMETHODS;
}

const struct ipb_method *ipb_method_at(size_t i)
{
    return i < NMETHODS ? registry[i] : NULL;
}

void ipb_method_names(char *out, size_t outlen)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NMETHODS && len < outlen; i++) {
        int n = snprintf(out + len, outlen - len, "%s%s", i ? ", " : "", registry[i]->name);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

int ipb_run_poll(void *arg)
{
    struct ipb_run *run = arg;
    return run->should_stop != NULL && run->should_stop(run);
}
