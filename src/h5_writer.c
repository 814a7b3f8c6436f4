#include "h5_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "file_replace.h"
#include "ipb_status.h"
#include "text_escape.h"

#define CREATOR         "io-pipeline-bench"
#define RUNS_CHUNK_ROWS 64 /* ~50 KiB chunks of /runs rows (the label dominates a row) */

/* ---- compound types, generated from the field lists ----------------------------------------- */

enum kind { K_STR, K_U64, K_F64 };

struct field {
    const char *name;
    enum kind kind;
    size_t len; /* STR: bytes including the NUL */
    size_t offset;
    const char *hdr;
    const char *doc;
};

#define REC_FIELD(type, len, name, hdr, fmt, doc)                                                  \
    {#name, K_##type, len, offsetof(struct ipb_record, name), hdr, doc},
#define RANK_FIELD(type, len, name, hdr, fmt, doc)                                                 \
    {#name, K_##type, len, offsetof(struct ipb_rank_row, name), hdr, doc},
#define PIPE_FIELD(type, len, name, hdr, fmt, doc)                                                 \
    {#name, K_##type, len, offsetof(struct ipb_pipeline_row, name), hdr, doc},

static const struct field record_fields[] = {IPB_RESULT_FIELDS(REC_FIELD)};
static const struct field rank_fields[] = {IPB_RANK_FIELDS(RANK_FIELD)};
static const struct field pipe_fields[] = {IPB_PIPELINE_FIELDS(PIPE_FIELD)};
#define TS_FIELD(type, len, name, hdr, fmt, doc)                                                   \
    {#name, K_##type, len, offsetof(struct ipb_ts_row, name), hdr, doc},
static const struct field ts_fields[] = {IPB_TIMESERIES_FIELDS(TS_FIELD)};

struct table {
    const struct field *f;
    size_t n;
    size_t struct_size;
};

static const struct table records = {
    record_fields, sizeof(record_fields) / sizeof(record_fields[0]), sizeof(struct ipb_record)};
static const struct table rank_rows = {rank_fields, sizeof(rank_fields) / sizeof(rank_fields[0]),
                                       sizeof(struct ipb_rank_row)};
static const struct table pipe_rows = {pipe_fields, sizeof(pipe_fields) / sizeof(pipe_fields[0]),
                                       sizeof(struct ipb_pipeline_row)};
static const struct table ts_rows = {ts_fields, sizeof(ts_fields) / sizeof(ts_fields[0]),
                                     sizeof(struct ipb_ts_row)};

/* Fixed-length strings (h5dump, h5py and pandas read them with no variable-length
 * handling), NUL-terminated like the C struct. Marked ASCII, HDF5's default, because HDF5
 * converts between no two character sets: a C reader's plain H5T_C_S1 memory type then just
 * works. The bytes are stored as given (a --label typed in a UTF-8 locale stays UTF-8). */
static hid_t fixed_str(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

static hid_t member_type(const struct field *f, bool file)
{
    switch (f->kind) {
    case K_STR:
        return fixed_str(f->len);
    case K_U64:
        return H5Tcopy(file ? H5T_STD_U64LE : H5T_NATIVE_UINT64);
    case K_F64:
        return H5Tcopy(file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE);
    }
    return H5I_INVALID_HID;
}

/* The memory type maps the C struct (with its padding); the file type is packed and
 * little-endian, so the file is the same whichever machine wrote it. */
static hid_t compound_type(const struct table *t, bool file)
{
    size_t packed = 0;
    for (size_t i = 0; i < t->n; i++) {
        hid_t m = member_type(&t->f[i], file);
        packed += H5Tget_size(m);
        H5Tclose(m);
    }
    hid_t type = H5Tcreate(H5T_COMPOUND, file ? packed : t->struct_size);
    if (type < 0)
        return H5I_INVALID_HID;
    size_t off = 0;
    for (size_t i = 0; i < t->n; i++) {
        hid_t m = member_type(&t->f[i], file);
        herr_t rc = H5Tinsert(type, t->f[i].name, file ? off : t->f[i].offset, m);
        off += H5Tget_size(m);
        H5Tclose(m);
        if (rc < 0) {
            H5Tclose(type);
            return H5I_INVALID_HID;
        }
    }
    return type;
}

/* ---- HDF5 odds and ends --------------------------------------------------------------------- */

static void h5close(hid_t id)
{
    if (id < 0)
        return;
    switch (H5Iget_type(id)) {
    case H5I_FILE:
        H5Fclose(id);
        break;
    case H5I_GROUP:
        H5Gclose(id);
        break;
    case H5I_DATASET:
        H5Dclose(id);
        break;
    case H5I_DATATYPE:
        H5Tclose(id);
        break;
    case H5I_DATASPACE:
        H5Sclose(id);
        break;
    case H5I_ATTR:
        H5Aclose(id);
        break;
    case H5I_GENPROP_LST:
        H5Pclose(id);
        break;
    default:
        break;
    }
}

static herr_t innermost_error(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0) /* escaped: libhdf5's descriptions can quote names read from the file */
        ipb_text_escape(e->desc ? e->desc : "HDF5 error", buf, 256);
    return 0;
}

/* The most specific line of HDF5's error stack ("file signature not found", "unable to lock
 * the file", ...), for messages; the library's own printing is off (it would print a
 * 20-line stack per expected failure, such as "this is not an HDF5 file"). */
static const char *h5_error(char buf[256])
{
    snprintf(buf, 256, "HDF5 error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, buf);
    return buf;
}

struct h5_quiet {
    H5E_auto2_t func;
    void *data;
};

static void h5_quiet_begin(struct h5_quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void h5_quiet_end(struct h5_quiet *q)
{
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

static hid_t file_access(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return fapl;
        /* 1.8 format objects: attributes of any size (per-rank hostname and CPU lists at 10^4
         * ranks exceed the 64 KiB of the oldest format) and groups indexed by a B-tree v2 (many
         * runs), while any HDF5 >= 1.8 still reads the file. */
#if H5_VERSION_GE(1, 10, 2)
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18);
#else
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST); /* 1.8: the 1.8 format */
#endif
#if H5_VERSION_GE(1, 12, 1) || (H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 10 && H5_VERS_RELEASE >= 7)
    /* We serialise appenders with our own lock and only ever write a private temporary copy;
     * HDF5's own flock() adds nothing, and fails on file systems without locks. */
    H5Pset_file_locking(fapl, 0, 1);
#endif
    return fapl;
}

static hid_t vlen_str(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

/* Attributes: variable-length UTF-8 strings, which h5py returns as str. */
static int attr_strs(hid_t loc, const char *name, const char *const *values, hsize_t n, bool scalar)
{
    hid_t t = vlen_str();
    hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (t >= 0 && s >= 0 && a >= 0 && H5Awrite(a, t, values) >= 0) ? 0 : -1;
    h5close(a);
    h5close(s);
    h5close(t);
    return rc;
}

static int attr_str(hid_t loc, const char *name, const char *value)
{
    const char *v[1] = {value ? value : ""};
    return attr_strs(loc, name, v, 1, true);
}

static int attr_i64(hid_t loc, const char *name, int64_t value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (s >= 0 && a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0) ? 0 : -1;
    h5close(a);
    h5close(s);
    return rc;
}

/* Is there an attribute name of a string type? Its value is not read (see check_layout). */
static bool attr_is_string(hid_t loc, const char *name)
{
    if (H5Aexists(loc, name) <= 0)
        return false;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    bool yes = t >= 0 && H5Tget_class(t) == H5T_STRING;
    h5close(t);
    h5close(a);
    return yes;
}

static int read_attr_i64(hid_t loc, const char *name, int64_t *value)
{
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    int rc = (a >= 0 && H5Aread(a, H5T_NATIVE_INT64, value) >= 0) ? 0 : -1;
    h5close(a);
    return rc;
}

/* field_docs (and, for /runs, dat_headers): the field list's documentation travels with the
 * data, one entry per compound member in member order. */
static int attr_field_docs(hid_t d, const struct table *t, bool dat_headers)
{
    const char **v = calloc(t->n, sizeof(char *));
    if (v == NULL)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        v[i] = t->f[i].doc;
    int rc = attr_strs(d, "field_docs", v, t->n, false);
    if (rc == 0 && dat_headers) {
        for (size_t i = 0; i < t->n; i++)
            v[i] = t->f[i].hdr;
        rc = attr_strs(d, "dat_headers", v, t->n, false);
    }
    free(v);
    return rc;
}

/* ---- layout check (preflight and, again under the lock, every append) ----------------------- */

/* What name is (dataset, group), or H5I_BADID. H5Oopen rather than H5Oget_info_by_name, whose
 * signature changed in HDF5 1.12. */
static H5I_type_t object_type(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return H5I_BADID;
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o < 0)
        return H5I_BADID;
    H5I_type_t t = H5Iget_type(o);
    H5Oclose(o);
    return t;
}

static int check_layout(hid_t f, const char *path, char *err, size_t errlen)
{
    char h5err[256];
    int64_t layout = -1;
    /* The creator attribute's value is a variable-length string, kept in the file's global heap,
     * where libhdf5 1.10.8 loops forever or reads far out of bounds when the file is damaged
     * (fuzz/libhdf5/README.md). So only its presence as a string is checked: the layout version
     * and the /runs fields, which no other program writes, identify the file. Nothing else here
     * or in the append reads the global heap. */
    if (!attr_is_string(f, "creator") || H5Aexists(f, "layout_version") <= 0) {
        snprintf(err, errlen,
                 "--hdf5 '%s': an HDF5 file, but not an io-pipeline-bench results file (no "
                 "readable creator and layout_version attributes): choose another file",
                 path);
        return -1;
    }
    if (read_attr_i64(f, "layout_version", &layout) != 0 || layout != IPB_H5_LAYOUT_VERSION) {
        snprintf(err, errlen,
                 "--hdf5 '%s': results layout version %lld, this program writes version %d: "
                 "append to a new file",
                 path, (long long)layout, IPB_H5_LAYOUT_VERSION);
        return -1;
    }
    if (object_type(f, "runs") != H5I_DATASET) {
        snprintf(err, errlen, "--hdf5 '%s': no /runs dataset: not a results file we can append to",
                 path);
        return -1;
    }
    if (object_type(f, "run") != H5I_GROUP) {
        snprintf(err, errlen, "--hdf5 '%s': no /run group: not a results file we can append to",
                 path);
        return -1;
    }

    /* The /runs members must be ours, in order, with the same types: a file written by a build
     * with other result fields gets a new file rather than rows with silently dropped or
     * zero-filled columns. */
    int rc = -1;
    hid_t d = H5Dopen2(f, "runs", H5P_DEFAULT);
    hid_t ft = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
    hid_t want = compound_type(&records, true);
    if (ft < 0 || want < 0) {
        snprintf(err, errlen, "--hdf5 '%s': /runs: %s", path, h5_error(h5err));
        goto out;
    }
    int nmembers = H5Tget_class(ft) == H5T_COMPOUND ? H5Tget_nmembers(ft) : -1;
    if (nmembers < 0) {
        snprintf(err, errlen, "--hdf5 '%s': /runs is not a table of records", path);
        goto out;
    }
    for (size_t i = 0; i < records.n; i++) {
        if ((int)i >= nmembers) {
            snprintf(err, errlen,
                     "--hdf5 '%s': /runs has %d fields, this program writes %zu (from '%s' on): "
                     "append to a new file",
                     path, nmembers, records.n, records.f[i].name);
            goto out;
        }
        char *name = H5Tget_member_name(ft, (unsigned)i);
        hid_t mt = H5Tget_member_type(ft, (unsigned)i);
        hid_t wt = H5Tget_member_type(want, (unsigned)i);
        bool same = name && strcmp(name, records.f[i].name) == 0 && H5Tequal(mt, wt) > 0;
        char shown[80]; /* the name comes from the file: escaped, the message stays one line */
        if (!same)
            snprintf(err, errlen,
                     "--hdf5 '%s': /runs field %zu is '%s', this program writes '%s' of another "
                     "type or name: append to a new file",
                     path, i, name ? ipb_text_escape(name, shown, sizeof(shown)) : "?",
                     records.f[i].name);
        H5free_memory(name);
        h5close(mt);
        h5close(wt);
        if (!same)
            goto out;
    }
    if ((size_t)nmembers != records.n) {
        snprintf(err, errlen,
                 "--hdf5 '%s': /runs has %d fields, this program writes %zu: append to a new file",
                 path, nmembers, records.n);
        goto out;
    }
    rc = 0;
out:
    h5close(want);
    h5close(ft);
    h5close(d);
    return rc;
}

/* ---- the file, replaced (file_replace.h) ---------------------------------------------------- */

static const struct ipb_replace_names hdf5_names = {
    "--hdf5", "the file system does not support flock(), and concurrent appends would lose runs: "
              "put the results file on one that does, e.g. a local file system or NFSv4"};

int ipb_h5_lock_path(char *out, size_t outlen, const char *path)
{
    return ipb_replace_lock_path(out, outlen, path);
}

/* Is there an HDF5 signature at offset 0 (where we, h5py and the library put it)? */
static bool has_hdf5_signature(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char buf[8];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool yes = read(fd, buf, 8) == 8 && memcmp(buf, sig, 8) == 0;
    close(fd);
    return yes;
}

/* ---- preflight ------------------------------------------------------------------------------ */

int ipb_h5_preflight(const char *path, char *err, size_t errlen)
{
    struct ipb_replace_where w;
    if (ipb_replace_locate(&hdf5_names, path, &w, err, errlen) != 0)
        return IPB_EBADINPUT;

    struct stat st;
    if (access(w.dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen,
                 "--hdf5 '%s': directory '%s' is not writable (appends replace the file by "
                 "rename): %s",
                 path, w.dir, strerror(errno));
        return IPB_EBADINPUT;
    }
    if (stat(w.path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "--hdf5 '%s': not a regular file", path);
            return IPB_EBADINPUT;
        }
        if (access(w.path, R_OK | W_OK) != 0) {
            snprintf(err, errlen, "--hdf5 '%s': not writable: %s", path, strerror(errno));
            return IPB_EBADINPUT;
        }
        /* An append replaces the file by a copy (crash safety, see ipb_h5_append). A copy made
         * by someone else would silently become theirs; only root can give it back its owner,
         * so anyone else is refused rather than taking a colleague's file. */
        if (st.st_uid != geteuid() && geteuid() != 0) {
            snprintf(err, errlen,
                     "--hdf5 '%s': owned by uid %u, not by you (uid %u): an append replaces the "
                     "file with a copy, which would become yours; ask its owner to append, or "
                     "use a results file of your own",
                     path, (unsigned)st.st_uid, (unsigned)geteuid());
            return IPB_EBADINPUT;
        }
        if (st.st_size > 0) {
            if (!has_hdf5_signature(w.path)) {
                snprintf(err, errlen,
                         "--hdf5 '%s': not an HDF5 file (a results file is never overwritten: "
                         "choose another name)",
                         path);
                return IPB_EBADINPUT;
            }
            struct h5_quiet q;
            char h5err[256];
            h5_quiet_begin(&q);
            hid_t fapl = file_access();
            hid_t f = H5Fopen(w.path, H5F_ACC_RDONLY, fapl);
            int rc = IPB_OK;
            if (f < 0) {
                snprintf(err, errlen, "--hdf5 '%s': cannot open as HDF5: %s", path,
                         h5_error(h5err));
                rc = IPB_EBADINPUT;
            } else if (check_layout(f, path, err, errlen) != 0) {
                rc = IPB_EBADINPUT;
            }
            h5close(f);
            h5close(fapl);
            h5_quiet_end(&q);
            if (rc != IPB_OK)
                return rc;
        }
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "--hdf5 '%s': %s", path, strerror(errno));
        return IPB_EBADINPUT;
    }

    /* Locks must work here, or concurrent jobs would silently lose runs: find out now. */
    return ipb_replace_probe(&hdf5_names, path, &w, err, errlen) == 0 ? IPB_OK : IPB_EBADINPUT;
}

/* ---- append --------------------------------------------------------------------------------- */

static int write_table(hid_t loc, const char *name, const struct table *t, const void *rows,
                       hsize_t n)
{
    hid_t ft = compound_type(t, true), mt = compound_type(t, false);
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = (ft >= 0 && s >= 0)
                  ? H5Dcreate2(loc, name, ft, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                  : H5I_INVALID_HID;
    int rc = (d >= 0 && mt >= 0 &&
              (n == 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0) &&
              attr_field_docs(d, t, false) == 0)
                 ? 0
                 : -1;
    h5close(d);
    h5close(s);
    h5close(mt);
    h5close(ft);
    return rc;
}

static int create_layout(hid_t f)
{
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = RUNS_CHUNK_ROWS;
    hid_t ft = compound_type(&records, true);
    hid_t s = H5Screate_simple(1, &zero, &unlimited);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int rc = -1;
    if (ft < 0 || s < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, &chunk) < 0)
        goto out;
    hid_t d = H5Dcreate2(f, "runs", ft, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0)
        goto out;
    rc = attr_field_docs(d, &records, true);
    h5close(d);
    if (rc != 0)
        goto out;
    rc = -1;
    hid_t g = H5Gcreate2(f, "run", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        goto out;
    h5close(g);
    if (attr_str(f, "creator", CREATOR) != 0 ||
        attr_i64(f, "layout_version", IPB_H5_LAYOUT_VERSION) != 0 ||
        attr_str(f, "created_by_version", PACKAGE_VERSION) != 0 ||
        attr_str(f, "description",
                 "io-pipeline-bench results: /runs has one row per run (the .dat columns); "
                 "/run/<run_id> holds its context attributes and per-rank and per-pipeline "
                 "rows") != 0)
        goto out;
    rc = 0;
out:
    h5close(dcpl);
    h5close(s);
    h5close(ft);
    return rc;
}

/* Extend /runs by one row and write rec there; *index gets the row number. */
static int append_row(hid_t f, const struct ipb_record *rec, hsize_t *index)
{
    hid_t d = H5Dopen2(f, "runs", H5P_DEFAULT);
    hid_t mt = compound_type(&records, false);
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    int rc = -1;
    hsize_t n = 0, one = 1;
    if (d < 0 || mt < 0)
        goto out;
    fs = H5Dget_space(d);
    if (fs < 0 || H5Sget_simple_extent_dims(fs, &n, NULL) != 1)
        goto out;
    h5close(fs);
    hsize_t grown = n + 1;
    if (H5Dset_extent(d, &grown) < 0)
        goto out;
    fs = H5Dget_space(d);
    ms = H5Screate_simple(1, &one, NULL);
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &n, NULL, &one, NULL) < 0 ||
        H5Dwrite(d, mt, ms, fs, H5P_DEFAULT, rec) < 0)
        goto out;
    *index = n;
    rc = 0;
out:
    h5close(ms);
    h5close(fs);
    h5close(mt);
    h5close(d);
    return rc;
}

static int write_u64s(hid_t loc, const char *name, const uint64_t *v, hsize_t n)
{
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = s >= 0
                  ? H5Dcreate2(loc, name, H5T_STD_U64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                  : H5I_INVALID_HID;
    int rc =
        (d >= 0 && H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) ? 0 : -1;
    if (rc == 0) {
        /* the one consumer who opens a dataset but not its group still learns the unit */
        rc = attr_str(d, "unit", strstr(name, "_ns") ? "ns" : "count");
    }
    h5close(d);
    h5close(s);
    return rc;
}

static int attr_f64(hid_t loc, const char *name, double value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = s >= 0 ? H5Acreate2(loc, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT)
                     : H5I_INVALID_HID;
    int rc = (a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &value) >= 0) ? 0 : -1;
    h5close(a);
    h5close(s);
    return rc;
}

/* /run/<id>/histograms: bucket bounds once, then one count array per latency kind. */
static int write_histograms(hid_t run, const struct ipb_hist *lat)
{
    static uint64_t lower[IPB_HIST_NBUCKETS], upper[IPB_HIST_NBUCKETS];
    for (unsigned i = 0; i < IPB_HIST_NBUCKETS; i++) {
        lower[i] = ipb_hist_bucket_lower(i);
        upper[i] = ipb_hist_bucket_upper(i);
    }
    hid_t g = H5Gcreate2(run, "histograms", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (g >= 0 && write_u64s(g, "bucket_lower_ns", lower, IPB_HIST_NBUCKETS) == 0 &&
              write_u64s(g, "bucket_upper_ns", upper, IPB_HIST_NBUCKETS) == 0 &&
              attr_f64(g, "relative_error", IPB_HIST_REL_ERROR) == 0 &&
              attr_str(g, "description",
                       "latency histograms merged over every pipeline of every rank: "
                       "log-linear buckets [bucket_lower_ns, bucket_upper_ns]; a value "
                       "reported as its bucket's midpoint is within relative_error of the "
                       "truth; the last bucket also takes every longer value") == 0)
                 ? 0
                 : -1;
    for (unsigned k = 0; rc == 0 && k < IPB_LAT_NKINDS; k++) {
        const char *name = ipb_lat_kind_name((enum ipb_lat_kind)k);
        rc = write_u64s(g, name, lat[k].bucket, IPB_HIST_NBUCKETS);
        if (rc == 0) {
            hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
            rc = (d >= 0 && attr_i64(d, "count", (int64_t)lat[k].count) == 0 &&
                  attr_i64(d, "min_ns", lat[k].count ? (int64_t)lat[k].min_ns : -1) == 0 &&
                  attr_i64(d, "max_ns", lat[k].count ? (int64_t)lat[k].max_ns : -1) == 0)
                     ? 0
                     : -1;
            h5close(d);
        }
    }
    h5close(g);
    return rc;
}

/* /run/<id>/timeseries: one row per interval (--interval), with what a reader needs to use it
 * without the program: the interval, and how coarse the latency columns are. */
static int write_timeseries(hid_t run, const struct ipb_results *res)
{
    if (write_table(run, "timeseries", &ts_rows, res->ts_rows, res->nts_rows) != 0)
        return -1;
    hid_t d = H5Dopen2(run, "timeseries", H5P_DEFAULT);
    int rc = (d >= 0 && attr_f64(d, "interval_s", res->ts_interval_s) == 0 &&
              attr_f64(d, "arrival_relative_error", IPB_TS_REL_ERROR) == 0 &&
              attr_str(d, "description",
                       "one row per interval [start_s, end_s) of the timed phase, merged over "
                       "every pipeline of every rank: a buffer counts in the interval of its "
                       "completion since its pipeline's t0; the last row also takes every later "
                       "completion and then ends at the latest one. Arrival percentiles come "
                       "from a coarse histogram (0-1 us, 6 log buckets per decade from 1 us to "
                       "100 s, 100 s and more), reported as the bucket's geometric midpoint "
                       "clamped to the exact maximum: within arrival_relative_error of the "
                       "truth; arrival_max_s is exact") == 0)
                 ? 0
                 : -1;
    h5close(d);
    return rc;
}

static int write_context(hid_t g, const struct ipb_results *res, hsize_t index,
                         const struct ipb_run_context *c)
{
    const struct ipb_record *rec = &res->record;
    const struct ipb_rank_row *ranks = res->ranks;
    const unsigned nranks = res->ranks ? res->nranks : 0;
    const char **hosts = calloc(nranks ? nranks : 1, sizeof(char *));
    const char **cpus = calloc(nranks ? nranks : 1, sizeof(char *));
    int rc = -1;
    if (hosts == NULL || cpus == NULL)
        goto out;
    for (unsigned i = 0; i < nranks; i++) {
        hosts[i] = ranks[i].host;
        cpus[i] = (c->rank_cpus && i < c->nranks && c->rank_cpus[i]) ? c->rank_cpus[i] : "";
    }
    if (attr_str(g, "run_id", rec->run_id) || attr_str(g, "timestamp", rec->timestamp) ||
        attr_i64(g, "runs_index", (int64_t)index) || attr_str(g, "version", rec->version) ||
        attr_str(g, "command_line", c->command_line) ||
        attr_strs(g, "hostnames", hosts, nranks, false) ||
        attr_strs(g, "cpus_allowed", cpus, nranks, false) ||
        attr_str(g, "mpi_library_version", c->mpi_library_version) ||
        attr_str(g, "mpi_version", c->mpi_version) ||
        attr_i64(g, "mpi_thread_level", c->mpi_thread_level) ||
        attr_str(g, "hdf5_version", c->hdf5_version) || attr_str(g, "compiler", c->compiler) ||
        attr_str(g, "kernel", c->kernel) || attr_str(g, "data_directory", c->data_dir) ||
        attr_str(g, "fs_type", c->fs_type) || attr_str(g, "fs_magic", c->fs_magic) ||
        attr_str(g, "mount_point", c->mount_point) ||
        attr_str(g, "mount_source", c->mount_source) ||
        attr_str(g, "mount_options", c->mount_options) ||
        attr_str(g, "fs_options", c->fs_options) || attr_str(g, "omp_env", c->omp_env) ||
        attr_i64(g, "omp_max_threads", c->omp_max_threads) || attr_str(g, "job_id", c->job_id) ||
        attr_str(g, "job_scheduler", c->job_scheduler))
        goto out;
    if (write_table(g, "ranks", &rank_rows, ranks, nranks) != 0 ||
        write_table(g, "pipelines", &pipe_rows, res->pipelines,
                    res->pipelines ? res->npipelines : 0) != 0)
        goto out;
    if (res->lat != NULL && write_histograms(g, res->lat) != 0)
        goto out;
    if (res->ts_rows != NULL && write_timeseries(g, res) != 0)
        goto out;
    rc = 0;
out:
    free(hosts);
    free(cpus);
    return rc;
}

/* Append the run to the HDF5 file at tmp (a private copy; create: it is empty). */
static int write_run(const char *tmp, bool create, const char *path, const struct ipb_results *res,
                     const struct ipb_run_context *ctx, char *err, size_t errlen)
{
    const struct ipb_record *rec = &res->record;
    char h5err[256];
    hid_t fapl = file_access();
    hid_t f = create ? H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                     : H5Fopen(tmp, H5F_ACC_RDONLY, fapl);
    hid_t g = H5I_INVALID_HID;
    hsize_t index = 0;
    int rc = -1;
    if (f < 0) {
        if (!create && !has_hdf5_signature(tmp))
            snprintf(err, errlen,
                     "--hdf5 '%s': no longer an HDF5 file (replaced since the check before the "
                     "run?): left as it is, this run not appended",
                     path);
        else
            snprintf(err, errlen, "--hdf5 '%s': %s: %s", path, create ? "create" : "open",
                     h5_error(h5err));
        goto out;
    }
    if (create && create_layout(f) != 0) {
        snprintf(err, errlen, "--hdf5 '%s': creating the layout: %s", path, h5_error(h5err));
        goto out;
    }
    /* Checked again here, under the lock: the file may have been replaced since the preflight.
     * In a read-only session of its own: libhdf5 1.10 keeps the global heap collections it has
     * read (the creator attribute is in one) as candidates for new variable-length data, and
     * inserting into a damaged one overflows its buffer (fuzz/libhdf5/README.md). The
     * read-write session reads no variable-length data, so our attributes go to a new one. */
    if (!create) {
        if (check_layout(f, path, err, errlen) != 0)
            goto out;
        H5Fclose(f);
        f = H5Fopen(tmp, H5F_ACC_RDWR, fapl);
        if (f < 0) {
            snprintf(err, errlen, "--hdf5 '%s': open: %s", path, h5_error(h5err));
            goto out;
        }
    }
    if (append_row(f, rec, &index) != 0) {
        snprintf(err, errlen, "--hdf5 '%s': appending to /runs: %s", path, h5_error(h5err));
        goto out;
    }
    char name[sizeof(rec->run_id) + 8];
    snprintf(name, sizeof(name), "run/%s", rec->run_id);
    if (H5Lexists(f, name, H5P_DEFAULT) > 0) {
        snprintf(err, errlen, "--hdf5 '%s': /%s already exists", path, name);
        goto out;
    }
    g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0 || write_context(g, res, index, ctx) != 0) {
        snprintf(err, errlen, "--hdf5 '%s': writing /%s: %s", path, name, h5_error(h5err));
        goto out;
    }
    rc = 0;
out:
    h5close(g);
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0) {
        snprintf(err, errlen, "--hdf5 '%s': close: %s", path, h5_error(h5err));
        rc = -1;
    }
    h5close(fapl);
    return rc;
}

int ipb_h5_append(const char *path, const struct ipb_results *res,
                  const struct ipb_run_context *ctx, char *err, size_t errlen)
{
    /* Never in place (file_replace.h): the run goes into a private copy that replaces the file. */
    struct ipb_replace r;
    if (ipb_replace_begin(&r, &hdf5_names, path, err, errlen) != 0)
        return -1;
    struct h5_quiet q;
    h5_quiet_begin(&q);
    int rc = write_run(r.tmp, !r.copied, path, res, ctx, err, errlen);
    h5_quiet_end(&q);
    if (rc != 0) {
        ipb_replace_abort(&r);
        return -1;
    }
    return ipb_replace_commit(&r, err, errlen);
}
