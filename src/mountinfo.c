#include "mountinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

/* Undo the kernel's "\ooo" escapes in place. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* The next space-separated token of *p, NUL-terminated in place; NULL at the end of the line. */
static char *token(char **p)
{
    char *s = *p;
    while (*s == ' ')
        s++;
    if (*s == '\0')
        return NULL;
    char *e = s + strcspn(s, " ");
    if (*e != '\0')
        *e++ = '\0';
    *p = e;
    return s;
}

static int parse_uint(const char *s, char end, unsigned *out, const char **next)
{
    char *e;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long v = strtoul(s, &e, 10);
    if (*e != end || v > 0xffffffffUL)
        return -1;
    *out = (unsigned)v;
    if (next)
        *next = e + 1;
    return 0;
}

int ipb_mountinfo_parse(char *line, struct ipb_mount_entry *e)
{
    line[strcspn(line, "\n")] = '\0';
    char *p = line;
    char *f[6];
    for (int i = 0; i < 6; i++)
        if ((f[i] = token(&p)) == NULL)
            return -1;
    const char *minor;
    if (parse_uint(f[0], '\0', &e->id, NULL) != 0 || parse_uint(f[1], '\0', &e->parent, NULL) ||
        parse_uint(f[2], ':', &e->major, &minor) != 0 ||
        parse_uint(minor, '\0', &e->minor, NULL) != 0)
        return -1;
    /* Optional fields ("shared:1 master:2") until a lone "-": kept as one string. */
    char *opt_start = NULL, *opt_end = NULL;
    for (char *t;;) {
        if ((t = token(&p)) == NULL)
            return -1;
        if (strcmp(t, "-") == 0)
            break;
        if (opt_start == NULL)
            opt_start = t;
        opt_end = t + strlen(t);
    }
    if (opt_start != NULL)
        for (char *c = opt_start; c < opt_end; c++)
            if (*c == '\0')
                *c = ' '; /* token() split them: join them again */
    char *fstype = token(&p), *source = token(&p), *super = token(&p);
    if (fstype == NULL || source == NULL)
        return -1;
    unescape_octal(f[3]);
    unescape_octal(f[4]);
    unescape_octal(source);
    e->root = f[3];
    e->mount_point = f[4];
    e->mount_options = f[5];
    e->optional = opt_start ? opt_start : "";
    e->fs_type = fstype;
    e->source = source;
    e->super_options = super ? super : "";
    return 0;
}

int ipb_mountinfo_each(const char *file, ipb_mountinfo_fn fn, void *arg)
{
    FILE *f = fopen(file, "re");
    if (f == NULL)
        return -1;
    char *line = NULL; /* getline: a mount point can be as long as a path */
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        struct ipb_mount_entry e;
        if (ipb_mountinfo_parse(line, &e) == 0)
            rc = fn(&e, arg);
    }
    free(line);
    fclose(f);
    return rc;
}

/* Is mnt the directory dir or one of its ancestors (whole path components)? Its length if so. */
static size_t mount_prefix_len(const char *mnt, const char *dir)
{
    size_t n = strlen(mnt);
    if (strcmp(mnt, "/") == 0)
        return 1;
    if (strncmp(mnt, dir, n) == 0 && (dir[n] == '\0' || dir[n] == '/'))
        return n;
    return 0;
}

struct find {
    const char *dir;
    dev_t dev;
    size_t best;
    int best_dev_match;
    struct ipb_mount *m;
};

static int consider(const struct ipb_mount_entry *e, void *arg)
{
    struct find *s = arg;
    size_t len = mount_prefix_len(e->mount_point, s->dir);
    if (len == 0)
        return 0;
    int dev_match = major(s->dev) == e->major && minor(s->dev) == e->minor;
    if (dev_match < s->best_dev_match || (dev_match == s->best_dev_match && len < s->best))
        return 0;
    s->best = len;
    s->best_dev_match = dev_match;
    struct ipb_mount *m = s->m;
    snprintf(m->fs_type, sizeof(m->fs_type), "%s", e->fs_type);
    snprintf(m->mount_point, sizeof(m->mount_point), "%s", e->mount_point);
    snprintf(m->source, sizeof(m->source), "%s", e->source);
    snprintf(m->mount_options, sizeof(m->mount_options), "%s", e->mount_options);
    snprintf(m->super_options, sizeof(m->super_options), "%s", e->super_options);
    m->major = e->major;
    m->minor = e->minor;
    return 0;
}

int ipb_mountinfo_find(const char *file, const char *dir, dev_t dev, struct ipb_mount *m)
{
    struct find s = {dir, dev, 0, 0, m};
    if (ipb_mountinfo_each(file, consider, &s) != 0)
        return -1;
    return s.best > 0 ? 0 : -1;
}
