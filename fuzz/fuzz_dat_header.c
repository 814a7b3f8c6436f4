/* Fuzz target: the check of an existing .dat file's header before appending (src/dat_writer.c).
 *
 * Input: the file's bytes. They are written to a real file and checked the way a run checks
 * --dat (ipb_dat_preflight: open, read the first bytes, compare), and the pure comparison is
 * called on the same bytes. Oracles: the file is accepted exactly when it is empty or starts
 * with this program's header line and a newline (computed here by hand); a refusal is one
 * printable line naming --dat; the pure check and the file check agree. */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>

#include "dat_format.h"
#include "dat_writer.h"
#include "ipb_status.h"

int ipb_fuzz_dat_header(const uint8_t *data, size_t size, char *msg, size_t msglen)
{
    static char header[8192];
    static size_t hlen;
    if (hlen == 0) {
        int n = ipb_dat_header(header, sizeof(header));
        FUZZ_CHECK(n > 0, "no header");
        hlen = (size_t)n;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/results.dat", ipb_fuzz_scratch_dir());
    ipb_fuzz_write_file(path, data, size);

    char err[1024] = "", why[512] = "";
    int rc = ipb_dat_preflight(path, err, sizeof(err));
    int pure = ipb_dat_header_check((const char *)data, size, header, why, sizeof(why));

    int ours = size == 0 || (size > hlen && memcmp(data, header, hlen) == 0 && data[hlen] == '\n');
    FUZZ_CHECK(rc == IPB_OK || rc == IPB_EBADINPUT, "status %d", rc);
    FUZZ_CHECK((rc == IPB_OK) == ours, "%s a file that %s with our header line",
               rc == IPB_OK ? "accepted" : "refused", ours ? "starts" : "does not start");
    FUZZ_CHECK((pure == 0) == ours, "the pure check %s it", pure == 0 ? "accepted" : "refused");
    if (!ours) {
        ipb_fuzz_check_line("dat preflight", err, sizeof(err));
        ipb_fuzz_check_line("dat header check", why, sizeof(why));
        FUZZ_CHECK(strncmp(err, "--dat '", 7) == 0, "message does not name --dat: %s", err);
        FUZZ_CHECK(strstr(err, why) != NULL, "the file check says '%s', the pure check '%s'", err,
                   why);
    }
    snprintf(msg, msglen, "%s", err);
    return rc;
}
