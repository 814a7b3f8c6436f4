/* The generated documentation: the man page io-pipeline-bench(1) and the generated blocks of
 * docs/reference.md, both written from the tables the program itself runs on (the option table
 * of options.c, the method registry, the result field lists of result_fields.h, the exit
 * statuses of ipb_status.h), so neither can disagree with --help or with the output files.
 * src/ipb_gendoc.c is the command-line front end that make runs; tests/test_docs.c checks the
 * built page and the committed reference against --help and against this generator. */
#ifndef IPB_GENDOC_H
#define IPB_GENDOC_H

#include <stddef.h>
#include <stdio.h>

/* The marker lines around the generated blocks of docs/reference.md: everything between a
 * begin line and its end line is the generator's; everything else is written by hand. */
#define IPB_GENDOC_OPTIONS_BEGIN "<!-- generated: options (src/options.c) begin -->"
#define IPB_GENDOC_OPTIONS_END   "<!-- generated: options end -->"
#define IPB_GENDOC_FIELDS_BEGIN  "<!-- generated: fields (src/result_fields.h) begin -->"
#define IPB_GENDOC_FIELDS_END    "<!-- generated: fields end -->"

/* The man page in roff (man macros). date is the .TH date ("2024-05-01"). */
void ipb_gendoc_man(FILE *out, const char *date);

/* The generated blocks' contents, in Markdown: every option (long, short, argument, meaning,
 * default) and the methods; every field of /runs (.dat column and header, HDF5 member, type,
 * unit, meaning) and of the ranks and pipelines datasets. */
void ipb_gendoc_options_md(FILE *out);
void ipb_gendoc_fields_md(FILE *out);

/* What a block between its marker lines must be: the generator's text for begin (one of the
 * *_BEGIN markers) with a blank line before and after. malloc'd; NULL for an unknown marker. */
char *ipb_gendoc_block_expected(const char *begin);

/* The text between the line that is exactly begin and the next line that is exactly end (both
 * excluded), malloc'd; NULL with a reason in why when a marker line is missing or repeated. */
char *ipb_gendoc_block_get(const char *text, const char *begin, const char *end, char *why,
                           size_t whylen);

/* text with both generated blocks replaced by the generator's, malloc'd; NULL with a reason in
 * why when the marker lines are not there exactly once each and in order. */
char *ipb_gendoc_reference_update(const char *text, char *why, size_t whylen);

/* The unit of a result field from its name's suffix (the naming rule of result_fields.h):
 * "s", "MiB/s", "MiB", "KiB", "bytes", "(MiB/s)^2", or "-" for counts, names and text. */
const char *ipb_gendoc_unit(const char *field);

#endif
