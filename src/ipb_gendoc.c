/* ipb-gendoc: writes the generated documentation (gendoc.h). Run by make, not installed.
 *
 *   ipb-gendoc man [DATE]               the man page on stdout; DATE defaults to the day of
 *                                       $SOURCE_DATE_EPOCH, else today (UTC)
 *   ipb-gendoc options | fields         one generated block of docs/reference.md on stdout
 *   ipb-gendoc reference FILE           rewrite the generated blocks of FILE in place
 *   ipb-gendoc check-reference FILE     exit 1, naming the block, when FILE's generated blocks
 *                                       differ from the generator's ("make reference" fixes it)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gendoc.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            char *t = realloc(text, cap);
            if (t == NULL) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = t;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        return NULL;
    }
    if (text == NULL)
        text = calloc(1, 1);
    else
        text[len] = '\0';
    return text;
}

/* Replace path by text: written next to it and renamed over it, so an interrupted run never
 * leaves half a reference. */
static int write_over(const char *path, const char *text)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.gendoc-tmp", path) >= (int)sizeof(tmp))
        return -1;
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static int reference(const char *path, int check)
{
    char why[512];
    char *text = slurp(path);
    if (text == NULL) {
        fprintf(stderr, "ipb-gendoc: %s: %s\n", path, strerror(errno));
        return 2;
    }
    char *updated = ipb_gendoc_reference_update(text, why, sizeof(why));
    if (updated == NULL) {
        fprintf(stderr, "ipb-gendoc: %s: %s\n", path, why);
        free(text);
        return 2;
    }
    int rc = 0;
    if (strcmp(text, updated) != 0) {
        if (check) {
            fprintf(stderr,
                    "ipb-gendoc: %s: the generated blocks differ from the option table and the "
                    "result fields: run \"make reference\" and commit the result\n",
                    path);
            rc = 1;
        } else if (write_over(path, updated) != 0) {
            fprintf(stderr, "ipb-gendoc: %s: cannot rewrite: %s\n", path, strerror(errno));
            rc = 2;
        } else {
            fprintf(stderr, "ipb-gendoc: %s: generated blocks updated\n", path);
        }
    }
    free(updated);
    free(text);
    return rc;
}

static void today(char *out, size_t outlen)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    time_t t = epoch && *epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%Y-%m-%d", &tm);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "man") == 0 && argc <= 3) {
        char date[32];
        today(date, sizeof(date));
        ipb_gendoc_man(stdout, argc == 3 ? argv[2] : date);
    } else if (strcmp(what, "options") == 0 && argc == 2) {
        ipb_gendoc_options_md(stdout);
    } else if (strcmp(what, "fields") == 0 && argc == 2) {
        ipb_gendoc_fields_md(stdout);
    } else if ((strcmp(what, "reference") == 0 || strcmp(what, "check-reference") == 0) &&
               argc == 3) {
        return reference(argv[2], what[0] == 'c');
    } else {
        fprintf(stderr, "usage: ipb-gendoc man [DATE] | options | fields | reference FILE | "
                        "check-reference FILE\n");
        return 2;
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
