/* The kernel async I/O under the aio method: one small vtable per engine (fio's ioengine_ops
 * in miniature), so that method_aio.c holds the pipelines' state machines once and an engine is
 * one file: aio_uring.c (liburing) or aio_posix.c (aio_write/aio_fsync).
 *
 * The model: every pipeline i has at most one operation of each kind in flight. An engine takes
 * submissions tagged with i and hands back completions (struct ipb_aio_event) from wait(). Both
 * engines give the same semantics, so the state machine does not care which one runs:
 *
 *   recv   a timer of delay_s seconds; completes with res 0 when it fires, -ECANCELED when
 *          cancel_recv() got there first.
 *   write  res = bytes written (possibly short) or -errno. With then_fsync, an fsync of the same
 *          file follows the write only if the write wrote all len bytes; it then completes as its
 *          own event after the write's event, with res 0 or -errno; after a short or failed write
 *          it completes with -ECANCELED (io_uring's IOSQE_IO_LINK semantics; the POSIX engine
 *          emulates them, since separate aio requests are not ordered).
 *   fsync  res 0 or -errno.
 *
 * An engine never retries an operation on the caller's behalf except for submission back-
 * pressure (a full queue, EAGAIN from aio_write): EINTR, EAGAIN and short writes are reported,
 * and the state machine resubmits. */
#ifndef IPB_AIO_ENGINE_H
#define IPB_AIO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ipb_aio_op {
    IPB_AIO_OP_RECV,
    IPB_AIO_OP_WRITE,
    IPB_AIO_OP_FSYNC,
};

struct ipb_aio_event {
    unsigned pipeline;
    enum ipb_aio_op op;
    int64_t res; /* see the model above */
};

/* Largest single write an engine is asked for. Linux caps one write at just under 2 GiB
 * (MAX_RW_COUNT) and io_uring's length field is 32 bits; buffers may be up to 16 GiB, so the
 * state machine splits them and links the fsync only to the last piece. */
#define IPB_AIO_MAX_IO ((size_t)1 << 30)

/* Engine state. Each engine file defines struct ipb_aio_ctx for itself (only that file ever sees
 * inside it); the state machine holds it as an opaque handle. */
struct ipb_aio_ctx;

struct ipb_aio_ops {
    const char *name; /* "io_uring" or "posix": what the results record as the engine used */

    /* Set up for npipelines pipelines, each with up to two operations in flight. Returns 0, or
     * an errno value with err naming the call that failed ("io_uring_queue_init: ..."). */
    int (*init)(struct ipb_aio_ctx **ctx, unsigned npipelines, char *err, size_t errlen);

    /* Submissions: 0, or -errno when the request could not be queued at all (then nothing is in
     * flight for it and no event will come). */
    int (*submit_recv)(struct ipb_aio_ctx *ctx, unsigned i, double delay_s);
    int (*submit_write)(struct ipb_aio_ctx *ctx, unsigned i, int fd, const void *buf, size_t len,
                        uint64_t offset, bool then_fsync);
    int (*submit_fsync)(struct ipb_aio_ctx *ctx, unsigned i, int fd);

    /* Ask for pipeline i's pending recv to complete early with -ECANCELED (best effort: it may
     * still complete with 0 if it has already fired). */
    void (*cancel_recv)(struct ipb_aio_ctx *ctx, unsigned i);

    /* Optional (may be NULL). Hand queued submissions to the kernel now, without waiting:
     * called before the caller spends CPU time on a compute stage, so I/O proceeds meanwhile. */
    void (*flush)(struct ipb_aio_ctx *ctx);

    /* Flush, then block until at least one completion, but not much longer than max_wait_s;
     * store up to max (max >= 2) events in ev. Returns the number stored, 0 when max_wait_s
     * passed or a stop signal (interrupt.h) arrived with nothing completed (so the caller can
     * look at its stop conditions), or -errno on an engine failure (-EDEADLK if nothing is in
     * flight, which would otherwise block forever). Other signals (EINTR) are absorbed. */
    int (*wait)(struct ipb_aio_ctx *ctx, struct ipb_aio_event *ev, unsigned max,
                double max_wait_s);

    /* Wait for anything still in flight, then release everything. Returns 0, or -1 if some
     * operation could not be waited for: its buffer must then not be freed. NULL-safe. */
    int (*cleanup)(struct ipb_aio_ctx *ctx);
};

extern const struct ipb_aio_ops ipb_aio_engine_posix;
#ifdef HAVE_LIBURING
extern const struct ipb_aio_ops ipb_aio_engine_uring;
#endif

#endif
