/* The documented exit statuses, from the one list in ipb_status.h. */
#include "ipb_status.h"

static const struct ipb_status_doc docs[] = {
#define IPB_STATUS_DOC(sym, code, brief, doc) {code, brief, doc},
    IPB_STATUS_LIST(IPB_STATUS_DOC)
#undef IPB_STATUS_DOC
};

size_t ipb_status_count(void)
{
    return sizeof(docs) / sizeof(docs[0]);
}

const struct ipb_status_doc *ipb_status_doc(size_t i)
{
    return i < ipb_status_count() ? &docs[i] : (const struct ipb_status_doc *)0;
}
