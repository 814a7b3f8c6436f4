/* The man page and the generated blocks of docs/reference.md (gendoc.h). */
#include "gendoc.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ipb_status.h"
#include "method.h"
#include "options.h"
#include "result_fields.h"

/* ---- the field lists as data --------------------------------------------------------------- */

struct field {
    const char *type; /* STR, U64, F64 */
    int strlen;
    const char *name;
    const char *header;
    const char *doc;
};

#define IPB_GENDOC_FIELD(type, len, name, header, fmt, doc) {#type, len, #name, header, doc},
static const struct field runs_fields[] = {IPB_RESULT_FIELDS(IPB_GENDOC_FIELD)};
static const struct field rank_fields[] = {IPB_RANK_FIELDS(IPB_GENDOC_FIELD)};
static const struct field pipeline_fields[] = {IPB_PIPELINE_FIELDS(IPB_GENDOC_FIELD)};
static const struct field timeseries_fields[] = {IPB_TIMESERIES_FIELDS(IPB_GENDOC_FIELD)};
#undef IPB_GENDOC_FIELD

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *type_name(const struct field *f, char *buf, size_t len)
{
    if (strcmp(f->type, "STR") == 0)
        snprintf(buf, len, "string[%d]", f->strlen);
    else if (strcmp(f->type, "U64") == 0)
        snprintf(buf, len, "uint64");
    else
        snprintf(buf, len, "float64");
    return buf;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *ipb_gendoc_unit(const char *field)
{
    if (ends_with(field, "_mib_s"))
        return "MiB/s";
    if (ends_with(field, "_s"))
        return "s";
    if (ends_with(field, "_kib"))
        return "KiB";
    if (ends_with(field, "_mib"))
        return "MiB";
    if (ends_with(field, "bytes"))
        return "bytes";
    if (strcmp(field, "pipe_tp_m2") == 0)
        return "(MiB/s)^2";
    return "-";
}

/* ---- roff ---------------------------------------------------------------------------------- */

/* Whether the word at w (up to white space) is to be typed rather than read: an option
 * ("--recv-delay", "-np", a lone "-", also in parentheses), a path ("job-scripts/ipb-sweep.sh"),
 * an identifier with an underscore, or this program's name. */
static int literal_word(const char *w)
{
    size_t n = strcspn(w, " \t\n");
    if (w[0] == '-' || (w[0] == '(' && w[1] == '-') || strncmp(w, "io-pipeline-bench", 17) == 0)
        return 1;
    return memchr(w, '/', n) != NULL || memchr(w, '_', n) != NULL;
}

/* s as roff text: backslashes escaped, a leading '.' or '\'' made literal, and the hyphens of
 * words to be typed (literal_word) written as \- so that they render, copy and search as the
 * ASCII minus a shell needs. Other hyphens ("lock-step") stay hyphens. */
static void roff(FILE *out, const char *s)
{
    int line_start = 1, literal = 0;
    for (const char *c = s; *c; c++) {
        if (line_start && (*c == '.' || *c == '\''))
            fputs("\\&", out);
        line_start = 0;
        if (c == s || isspace((unsigned char)c[-1]))
            literal = literal_word(c);
        if (*c == '\\')
            fputs("\\e", out);
        else if (*c == '-' && literal)
            fputs("\\-", out);
        else
            fputc(*c, out);
        if (*c == '\n')
            line_start = 1;
    }
}

static void roff_line(FILE *out, const char *s)
{
    roff(out, s);
    fputc('\n', out);
}

/* A sentence from a table, on its own line, with a full stop at the end. Its first letter is
 * left as it is: it may be a value ("every: fsync after each write"). */
static void roff_sentence(FILE *out, const char *s)
{
    if (*s == '\0')
        return;
    roff(out, s);
    fputs(ends_with(s, ".") ? "\n" : ".\n", out);
}

static void roff_para(FILE *out, const char *s)
{
    fputs(".PP\n", out);
    roff_line(out, s);
}

/* Lines shown as they are (commands, the file layout), indented. */
static void roff_verbatim(FILE *out, const char *const *lines)
{
    fputs(".PP\n.RS 4\n.nf\n", out);
    for (const char *const *l = lines; *l != NULL; l++)
        roff_line(out, *l);
    fputs(".fi\n.RE\n", out);
}

static void roff_bold(FILE *out, const char *s)
{
    fputs("\\fB", out);
    roff(out, s);
    fputs("\\fR", out);
}

static void man_options(FILE *out)
{
    fputs(".SH OPTIONS\n", out);
    roff_line(out, "A value follows its option as the next argument, or after an equals sign for "
                   "the long form (--duration=30). Every rank parses the same command line; a "
                   "bad value or combination is refused before anything is created (exit status "
                   "2).");
    for (size_t i = 0; i < ipb_options_count(); i++) {
        const struct ipb_option_doc *d = ipb_options_doc(i);
        char name[64];
        fputs(".TP\n", out);
        if (d->short_name) {
            snprintf(name, sizeof(name), "-%c", d->short_name);
            roff_bold(out, name);
            fputs(", ", out);
        }
        snprintf(name, sizeof(name), "--%s", d->name);
        roff_bold(out, name);
        if (d->arg != NULL) {
            fputs(" \\fI", out);
            roff(out, d->arg);
            fputs("\\fR", out);
        }
        fputc('\n', out);
        roff_sentence(out, d->help);
        if (d->more != NULL)
            roff_sentence(out, d->more);
        if (d->dflt != NULL) {
            fputs("Default: ", out);
            roff_bold(out, d->dflt);
            fputs(".\n", out);
        }
    }
}

/* What a method's capability flags mean for the user. */
static void method_notes(const struct ipb_method *m, void (*emit)(FILE *, const char *), FILE *out)
{
    /* IPB_METHOD_SINGLE_PIPELINE: its summary says so (--help shows only the summary). */
    if (m->flags & IPB_METHOD_THREADED)
        emit(out, "It needs the thread level MPI_THREAD_FUNNELED from the MPI library.");
    if (m->flags & IPB_METHOD_USES_AIO_ENGINE)
        emit(out, "--aio-engine chooses the kernel interface; the one used is recorded in the "
                  "aio engine column.");
    if (m == ipb_method_default())
        emit(out, "This is the default method.");
}

static void man_methods(FILE *out)
{
    fputs(".SH METHODS\n", out);
    roff_line(out, "The values of --method, each with the name the Python original gave it, "
                   "where it had one. Every method runs the same pipelines under the same timing "
                   "model; only the way one rank's pipelines share it differs.");
    for (size_t i = 0; i < ipb_method_count(); i++) {
        const struct ipb_method *m = ipb_method_at(i);
        fputs(".TP\n", out);
        roff_bold(out, m->name);
        if (m->alias != NULL) {
            fputs(" (alias ", out);
            roff_bold(out, m->alias);
            fputs(")", out);
        }
        fputc('\n', out);
        roff_sentence(out, m->summary);
        if (m->detail != NULL)
            roff_sentence(out, m->detail);
        method_notes(m, roff_sentence, out);
    }
}

static void man_field_names(FILE *out, const struct field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        roff_bold(out, f[i].name);
        fputs(i + 1 < n ? ",\n" : ".\n", out);
    }
}

static void man_output(FILE *out)
{
    char type[32];
    fputs(".SH OUTPUT\n.SS The .dat row\n", out);
    roff_line(out,
              "Rank 0 prints two tab-separated lines on standard output: a header that starts "
              "with # and names every column in angle brackets (#<version>, <ranks>, ...), then "
              "the run's row. --dat appends the row to a file, and the header first when the "
              "file is new; --repetitions adds one row per timed run. The columns, numbered "
              "from 0 (the first 11 are the Python original's), each with its HDF5 member name, "
              "type and unit:");
    for (size_t i = 0; i < NELEM(runs_fields); i++) {
        const struct field *f = &runs_fields[i];
        char tag[320];
        fprintf(out, ".TP\n\\fB%zu\\fR  ", i);
        snprintf(tag, sizeof(tag), "<%s>", f->header);
        roff_line(out, tag);
        roff_bold(out, f->name);
        fprintf(out, " (%s", type_name(f, type, sizeof(type)));
        if (strcmp(ipb_gendoc_unit(f->name), "-") != 0)
            fprintf(out, ", %s", ipb_gendoc_unit(f->name));
        fputs("): ", out);
        roff_sentence(out, f->doc);
    }
    fputs(".SS The HDF5 results file\n", out);
    roff_line(out, "--hdf5 appends every run to one self-describing file that h5dump, h5py and "
                   "pandas read without help from this program:");
    static const char *const layout[] = {
        "/                 attributes creator, layout_version, created_by_version",
        "/runs             one row per run: the .dat columns, same order and names",
        "/run/<run_id>/    the run's context as attributes: command line, hosts,",
        "                  CPU sets, MPI and HDF5 versions, compiler, kernel, file",
        "                  system and mount, OpenMP settings, batch job id",
        "    ranks         one row per MPI rank",
        "    pipelines     one row per pipeline of every rank",
        "    histograms/   write, fsync, iteration and arrival latency histograms",
        "    timeseries    with --interval: one row per interval of the run",
        NULL,
    };
    roff_verbatim(out, layout);
    roff_para(out, "A member name with a unit ends in it: _s seconds, _mib_s MiB/s, _mib MiB, _kib "
                   "KiB, bytes bytes (1 MiB = 2^20 bytes). The members of ranks:");
    man_field_names(out, rank_fields, NELEM(rank_fields));
    roff_para(out, "The members of pipelines:");
    man_field_names(out, pipeline_fields, NELEM(pipeline_fields));
    roff_para(out, "A results file written with another set of fields or another layout "
                   "version is refused before the run (exit status 2) rather than mixed.");
}

static void man_exit_status(FILE *out)
{
    fputs(".SH EXIT STATUS\n", out);
    roff_line(out, "Every rank exits with the same status: the ranks agree on the outcome before "
                   "they exit.");
    for (size_t i = 0; i < ipb_status_count(); i++) {
        const struct ipb_status_doc *d = ipb_status_doc(i);
        fprintf(out, ".TP\n.B %d\n", d->code);
        roff_sentence(out, d->doc);
    }
}

static void man_page(FILE *out, const char *date)
{
    fputs(".\\\" Generated by ipb-gendoc (src/gendoc.c) from the option table, the method\n"
          ".\\\" registry, result_fields.h and ipb_status.h: edit those, not this file.\n",
          out);
    fprintf(out, ".TH IO-PIPELINE-BENCH 1 %s \"io-pipeline-bench %s\" \"User Commands\"\n", date,
            PACKAGE_VERSION);
    fputs(".\\\" Ragged right and no hyphenation: option names and paths stay whole.\n"
          ".ad l\n.nh\n",
          out);
    fputs(".SH NAME\n"
          "io\\-pipeline\\-bench \\- storage benchmark of receive, compute, write pipelines\n",
          out);

    fputs(".SH SYNOPSIS\n"
          ".B mpirun\n"
          ".RI [ mpirun\\-options ]\n"
          ".B io\\-pipeline\\-bench\n"
          ".RI [ options ]\n"
          ".PP\n"
          ".B srun\n"
          ".RI [ srun\\-options ]\n"
          ".B io\\-pipeline\\-bench\n"
          ".RI [ options ]\n"
          ".PP\n"
          ".B io\\-pipeline\\-bench\n"
          ".BR \\-\\-help \" | \" \\-\\-version\n",
          out);

    fputs(".SH DESCRIPTION\n", out);
    roff_line(out, "io-pipeline-bench stands in for a data service that receives buffers, computes "
                   "on them and writes them to storage, and measures how much data the storage "
                   "takes per second. Every MPI rank runs N independent pipelines (--concurrency); "
                   "each pipeline owns one buffer and one file and repeats three stages until the "
                   "duration is over:");
    fputs(".TP\n.B recv\n", out);
    roff_line(out, "Wait for the receive delay (--recv-delay, drawn by --recv-model), as if the "
                   "next buffer were arriving over the network.");
    fputs(".TP\n.B compute\n", out);
    roff_line(out, "Overwrite every K-th byte of the buffer from the pipeline's own random "
                   "stream (--compute-sparsity; 0 skips the stage).");
    fputs(".TP\n.B write\n", out);
    roff_line(out, "Append the whole buffer to the pipeline's file and, under the default --sync "
                   "every, fsync it.");
    roff_para(out, "How the N pipelines of one rank share the rank is the method (--method, see "
                   "METHODS): one thread, OpenMP threads, forked processes or one asynchronous "
                   "I/O loop. Comparing the methods for a given storage system, node type and "
                   "rank count is what the benchmark is for.");
    fputs(".SS Timing model\n", out);
    static const char *const steps[] = {
        "Set-up is not timed: every rank checks the options, allocates its buffers, touches "
        "them and fills them with random bytes (incompressible data, no page faults later), "
        "starts its workers and creates its files.",
        "No pipeline starts before all are ready: a barrier inside the rank, an agreement that "
        "every rank set up, then MPI_Barrier. Each pipeline then reads its own start time t0 "
        "from CLOCK_MONOTONIC.",
        "A pipeline starts another iteration while less than --duration has passed since its "
        "t0; its elapsed time ends with its last completed iteration. Its recv, compute, write "
        "and fsync seconds add up to that elapsed time.",
        "A rank's elapsed time is that of its slowest pipeline, the run's that of its slowest "
        "rank. The aggregate throughput is the bytes written by all pipelines divided by the "
        "run's elapsed time, in MiB/s (1 MiB = 2^20 bytes); the deadline throughput counts only "
        "the iterations completed by t0 + --duration.",
        "Teardown is not timed: files are closed and removed, unless --keep-files is given.",
    };
    for (size_t i = 0; i < NELEM(steps); i++) {
        fprintf(out, ".IP %zu. 4\n", i + 1);
        roff_line(out, steps[i]);
    }
    fputs(".PP\n", out);
    roff_line(out, "Write, fsync and iteration latencies are kept in log-linear histograms "
                   "(relative error below 1/64) and reported as percentiles.");

    man_options(out);
    man_methods(out);
    man_output(out);
    man_exit_status(out);

    fputs(".SH ENVIRONMENT\n", out);
    fputs(".TP\n", out);
    roff_bold(out, "OMP_*");
    fputs(", ", out);
    roff_bold(out, "GOMP_*");
    fputs(", ", out);
    roff_bold(out, "KMP_*");
    fputc('\n', out);
    roff_line(out, "Read by the OpenMP runtime that the openmp method runs on (its team size is "
                   "always --concurrency) and recorded with the run in the HDF5 attribute "
                   "omp_env, beside omp_get_max_threads() in omp_max_threads.");
    fputs(".TP\n", out);
    roff_bold(out, "SLURM_JOB_ID");
    fputs(", ", out);
    roff_bold(out, "PBS_JOBID");
    fputc('\n', out);
    roff_line(out, "The batch job's id, recorded in the HDF5 attributes job_id and job_scheduler "
                   "(slurm or pbs); both are empty outside a batch job.");
    fputs(".TP\n", out);
    roff_bold(out, "OMPI_COMM_WORLD_SIZE");
    fputs(", ", out);
    roff_bold(out, "PMI_SIZE");
    fputs(", ", out);
    roff_bold(out, "SLURM_STEP_NUM_TASKS");
    fputc('\n', out);
    roff_line(out, "The number of processes the launcher started. When it is more than one but "
                   "MPI_COMM_WORLD has a single rank, the launcher belongs to another MPI "
                   "library, or srun used an MPI plugin this one does not speak, and each "
                   "process refuses to run (exit status 2).");

    fputs(".SH FILES\n", out);
    fputs(".TP\n\\fIBASE\\fR.\\fIrank\\fR.\\fIpipeline\\fR\n", out);
    roff_line(out, "The data files (--output-file BASE), one per pipeline. They are created "
                   "with O_EXCL and O_NOFOLLOW: a run whose data path exists is refused, and no "
                   "file the program did not create is ever written or removed.");
    fputs(".TP\n\\fIFILE\\fR (", out);
    roff(out, "--dat)\n");
    roff_line(out, "Tab-separated rows under one header line.");
    fputs(".TP\n\\fIFILE\\fR, \\fIFILE\\fR.lock, .\\fIFILE\\fR.tmp.* (", out);
    roff(out, "--hdf5)\n");
    roff_line(out, "The HDF5 results file, the lock file that serializes appenders, and the "
                   "temporary copy an append writes before renaming it over the file; a "
                   "temporary left by a killed append is removed by a later one.");
    fputs(".TP\n", out);
    roff_bold(out, "job-scripts/ipb-sweep.sh");
    fputc('\n', out);
    roff_line(out, "In the source distribution: runs a sweep of methods, concurrencies, ranks "
                   "and nodes under mpirun, srun or PBS, appending every run to one HDF5 file "
                   "and one .dat file, then plots them. The Slurm and PBS batch scripts beside it "
                   "call it.");

    fputs(".SH EXAMPLES\n", out);
    roff_line(out, "Four ranks of 16 OpenMP pipelines each for 30 seconds, kept in both results "
                   "files (binding each rank to one core would put all 16 threads on it):");
    static const char *const ex1[] = {
        "mpirun -np 4 --bind-to none io-pipeline-bench --method openmp \\",
        "    --concurrency 16 --duration 30 --output-file /scratch/$USER/ipb \\",
        "    --dat results.dat --hdf5 results.h5",
        NULL,
    };
    roff_verbatim(out, ex1);
    roff_para(out, "Two nodes under Slurm, 64 asynchronous pipelines per rank:");
    static const char *const ex2[] = {
        "srun --mpi=pmix -N 2 --ntasks-per-node=2 --cpus-per-task=8 \\",
        "    io-pipeline-bench --method aio --concurrency 64 \\",
        "    --output-file /scratch/$USER/ipb --hdf5 results.h5",
        NULL,
    };
    roff_verbatim(out, ex2);
    roff_para(out, "Five repetitions after a warm-up, with normally distributed receive delays, "
                   "1 MiB buffers and one fsync per file at the end:");
    static const char *const ex3[] = {
        "mpirun -np 8 io-pipeline-bench -m fork -c 8 -b 1MiB -s end \\",
        "    --recv-model normal --recv-stddev 0.02 --repetitions 5 \\",
        "    --warmup 5 --label 'nvme, 8 ranks' --dat results.dat",
        NULL,
    };
    roff_verbatim(out, ex3);
    roff_para(out, "A sweep on this machine, then one as a Slurm batch job; each writes its runs "
                   "to one HDF5 and one .dat file under results/ and plots them:");
    static const char *const ex4[] = {
        "job-scripts/ipb-sweep.sh --methods openmp,aio --concurrency 1,4,16,64 \\",
        "    --ranks 1,2 --duration 30 --study nvme",
        "sbatch job-scripts/slurm-sweep.sbatch --methods openmp,aio --study nvme",
        NULL,
    };
    roff_verbatim(out, ex4);
    roff_para(out, "The runs of a results file, and one run's context:");
    static const char *const ex5[] = {
        "h5dump -d /runs results.h5",
        "h5dump -A -g /run/<run_id> results.h5",
        NULL,
    };
    roff_verbatim(out, ex5);

    fputs(".SH SEE ALSO\n"
          ".BR fio (1),\n"
          ".BR mpirun (1),\n"
          ".BR srun (1),\n"
          ".BR h5dump (1)\n",
          out);
    roff_para(out, "README.md, docs/reference.md and docs/design.md in the source distribution.");
}

/* The page with its text lines folded at spaces to at most 79 bytes, as man page sources
 * customarily are (the same output: in fill mode a line break is a space). Request lines, the
 * tag line after .TP and no-fill (.nf) text stay as they are. */
void ipb_gendoc_man(FILE *out, const char *date)
{
    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (f == NULL)
        return;
    man_page(f, date);
    if (fclose(f) != 0) {
        free(page);
        return;
    }
    int nofill = 0, tag = 0;
    for (char *line = page, *next; *line != '\0'; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : line + strlen(line);
        size_t n = (size_t)(next - line) - (nl != NULL);
        int request = line[0] == '.' || line[0] == '\'';
        if (request || nofill || tag || n < 80) {
            fwrite(line, 1, (size_t)(next - line), out);
        } else {
            const char *p = line, *end = line + n;
            while (end - p >= 80) {
                const char *cut = p + 79;
                while (cut > p && *cut != ' ')
                    cut--;
                if (cut == p) /* one word longer than a line: leave it whole */
                    cut = memchr(p + 79, ' ', (size_t)(end - p - 79));
                if (cut == NULL)
                    break;
                fwrite(p, 1, (size_t)(cut - p), out);
                fputc('\n', out);
                p = cut + 1;
                if (*p == '.' || *p == '\'')
                    fputs("\\&", out);
            }
            fwrite(p, 1, (size_t)(end - p), out);
            fputc('\n', out);
        }
        if (request && strncmp(line, ".nf", 3) == 0)
            nofill = 1;
        else if (request && strncmp(line, ".fi", 3) == 0)
            nofill = 0;
        tag = request && strncmp(line, ".TP", 3) == 0;
    }
    free(page);
}

/* ---- Markdown ------------------------------------------------------------------------------ */

/* s as the text of a table cell: | and the characters Markdown would read as markup escaped. */
static void md(FILE *out, const char *s)
{
    for (const char *c = s; *c; c++) {
        switch (*c) {
        case '|':
            fputs("\\|", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '*':
            fputs("\\*", out);
            break;
        case '\n':
            fputc(' ', out);
            break;
        default:
            fputc(*c, out);
        }
    }
}

static void md_sentence(FILE *out, const char *s)
{
    if (*s == '\0')
        return;
    md(out, s);
    fputs(ends_with(s, ".") ? " " : ". ", out);
}

void ipb_gendoc_options_md(FILE *out)
{
    fputs("| option | short | argument | meaning | default |\n"
          "|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < ipb_options_count(); i++) {
        const struct ipb_option_doc *d = ipb_options_doc(i);
        fprintf(out, "| `--%s` | ", d->name);
        if (d->short_name)
            fprintf(out, "`-%c`", d->short_name);
        fputs(" | ", out);
        if (d->arg != NULL)
            fprintf(out, "`%s`", d->arg);
        fputs(" | ", out);
        md_sentence(out, d->help);
        if (d->more != NULL)
            md_sentence(out, d->more);
        fputs("| ", out);
        if (d->dflt != NULL)
            fprintf(out, "`%s`", d->dflt);
        fputs(" |\n", out);
    }
    fputs("\nMethods (the values of `--method`, from the registry in `src/method.c`):\n\n"
          "| method | alias | what it does |\n"
          "|---|---|---|\n",
          out);
    for (size_t i = 0; i < ipb_method_count(); i++) {
        const struct ipb_method *m = ipb_method_at(i);
        fprintf(out, "| `%s` | ", m->name);
        if (m->alias != NULL)
            fprintf(out, "`%s`", m->alias);
        fputs(" | ", out);
        md_sentence(out, m->summary);
        if (m->detail != NULL)
            md_sentence(out, m->detail);
        method_notes(m, md_sentence, out);
        fputs("|\n", out);
    }
    fputs("\nExit status (from `src/ipb_status.h`):\n\n"
          "| status | meaning |\n"
          "|---|---|\n",
          out);
    for (size_t i = 0; i < ipb_status_count(); i++) {
        const struct ipb_status_doc *d = ipb_status_doc(i);
        fprintf(out, "| %d | ", d->code);
        md_sentence(out, d->doc);
        fputs("|\n", out);
    }
}

static void md_members(FILE *out, const char *title, const struct field *f, size_t n)
{
    char type[32];
    fprintf(out, "\n%s\n\n| member | type | unit | meaning |\n|---|---|---|---|\n", title);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "| `%s` | %s | %s | ", f[i].name, type_name(&f[i], type, sizeof(type)),
                ipb_gendoc_unit(f[i].name));
        md(out, f[i].doc);
        fputs(" |\n", out);
    }
}

void ipb_gendoc_fields_md(FILE *out)
{
    char type[32];
    fputs("Every run is one `.dat` row and one row of the HDF5 dataset `/runs`, with the same "
          "fields in the same order (`IPB_RESULT_FIELDS`). `.dat` columns are numbered from 0; "
          "the header line names each in angle brackets (`#<version>`, `<ranks>`, ...). A member "
          "name ends in its unit when it has one; strings are fixed-length and NUL-terminated.\n\n"
          "| column | `.dat` header | HDF5 member | type | unit | meaning |\n"
          "|---|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < NELEM(runs_fields); i++) {
        const struct field *f = &runs_fields[i];
        fprintf(out, "| %zu | `<%s>` | `%s` | %s | %s | ", i, f->header, f->name,
                type_name(f, type, sizeof(type)), ipb_gendoc_unit(f->name));
        md(out, f->doc);
        fputs(" |\n", out);
    }
    md_members(out, "`/run/<run_id>/ranks`, one row per MPI rank (`IPB_RANK_FIELDS`):", rank_fields,
               NELEM(rank_fields));
    md_members(out,
               "`/run/<run_id>/pipelines`, one row per pipeline of every rank "
               "(`IPB_PIPELINE_FIELDS`):",
               pipeline_fields, NELEM(pipeline_fields));
    md_members(out,
               "`/run/<run_id>/timeseries`, with `--interval` only: one row per interval, merged "
               "over every pipeline of every rank (`IPB_TIMESERIES_FIELDS`):",
               timeseries_fields, NELEM(timeseries_fields));
}

/* ---- the blocks of docs/reference.md ------------------------------------------------------- */

char *ipb_gendoc_block_expected(const char *begin)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    fputc('\n', f);
    if (strcmp(begin, IPB_GENDOC_OPTIONS_BEGIN) == 0)
        ipb_gendoc_options_md(f);
    else if (strcmp(begin, IPB_GENDOC_FIELDS_BEGIN) == 0)
        ipb_gendoc_fields_md(f);
    else {
        fclose(f);
        free(text);
        return NULL;
    }
    fputc('\n', f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The start of the line of text that is exactly line, from 'from' on; NULL if none. */
static const char *find_line(const char *text, const char *from, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = from; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return p;
    return NULL;
}

/* Where the block's content starts and ends (the byte after the begin line, the start of the
 * end line), or -1 with why. */
static int block_bounds(const char *text, const char *begin, const char *end, size_t *from,
                        size_t *to, char *why, size_t whylen)
{
    const char *b = find_line(text, text, begin);
    if (b == NULL || find_line(text, b + 1, begin) != NULL) {
        snprintf(why, whylen, "%s the line \"%s\"", b ? "more than one" : "no", begin);
        return -1;
    }
    const char *content = b + strlen(begin);
    if (*content == '\n')
        content++;
    const char *e = find_line(text, content, end);
    if (e == NULL || find_line(text, e + 1, end) != NULL || find_line(text, text, end) != e) {
        snprintf(why, whylen, "%s the line \"%s\" after \"%s\"", e ? "more than one" : "no", end,
                 begin);
        return -1;
    }
    *from = (size_t)(content - text);
    *to = (size_t)(e - text);
    return 0;
}

char *ipb_gendoc_block_get(const char *text, const char *begin, const char *end, char *why,
                           size_t whylen)
{
    size_t from, to;
    if (block_bounds(text, begin, end, &from, &to, why, whylen) != 0)
        return NULL;
    return strndup(text + from, to - from);
}

static char *replace_block(const char *text, const char *begin, const char *end, char *why,
                           size_t whylen)
{
    size_t from, to;
    if (block_bounds(text, begin, end, &from, &to, why, whylen) != 0)
        return NULL;
    char *block = ipb_gendoc_block_expected(begin);
    if (block == NULL) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    size_t blen = strlen(block), tlen = strlen(text);
    char *out = malloc(tlen - (to - from) + blen + 1);
    if (out != NULL) {
        memcpy(out, text, from);
        memcpy(out + from, block, blen);
        memcpy(out + from + blen, text + to, tlen - to + 1);
    } else {
        snprintf(why, whylen, "out of memory");
    }
    free(block);
    return out;
}

char *ipb_gendoc_reference_update(const char *text, char *why, size_t whylen)
{
    char *a = replace_block(text, IPB_GENDOC_OPTIONS_BEGIN, IPB_GENDOC_OPTIONS_END, why, whylen);
    if (a == NULL)
        return NULL;
    char *b = replace_block(a, IPB_GENDOC_FIELDS_BEGIN, IPB_GENDOC_FIELDS_END, why, whylen);
    free(a);
    return b;
}
