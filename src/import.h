/* --import: a run measured by another tool (fio, say) recorded like a run of ours. Pure. */
#ifndef IPB_IMPORT_H
#define IPB_IMPORT_H

#include <stddef.h>

#include "record.h"

/* text is "field<TAB>value" lines, one per record field named as in result_fields.h (the HDF5
 * member names); '#' lines and empty lines are skipped. Fields not given are "-" (text), 0
 * (counts) or nan (measurements); version, run_id, timestamp and series_id default to the
 * arguments. method is required. Returns IPB_OK, or IPB_EBADINPUT with one line in err
 * ("line 3: unknown field 'foo'"). */
int ipb_record_import(struct ipb_record *rec, const char *text, const char *version,
                      const char *run_id, const char *timestamp, char *err, size_t errlen);

#endif
