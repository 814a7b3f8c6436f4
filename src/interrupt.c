#include "interrupt.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Written by the handler, read by every thread (and, after fork, by each child for its own
 * copy). A lock-free atomic is both async-signal-safe and race-free for the readers. */
static atomic_int caught;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag must be a lock-free atomic_int");

/* CLOCK_MONOTONIC nanoseconds at the first signal; only the handler reads it. */
static atomic_llong caught_at_ns;
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "the signal time must be a lock-free atomic");

/* A stop signal this soon after the first is the same request delivered twice, not a user who
 * insists: a batch system signals every process of a job and the launcher passes its own copy
 * on (Slurm at the limit of a job run with mpirun), or a script and its process group both
 * hear a Ctrl-C. A second within this time must not kill a rank that is writing its row. */
#define IPB_SAME_REQUEST_NS 1000000000LL

static long long monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* async-signal-safe (POSIX.1-2008) */
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const int stop_signals[] = {SIGTERM, SIGINT, SIGUSR1};

static void on_stop_signal(int signo)
{
    int none = 0;
    long long now = monotonic_ns();
    if (atomic_compare_exchange_strong(&caught, &none, signo)) {
        atomic_store(&caught_at_ns, now);
        return;
    }
    long long first = atomic_load(&caught_at_ns);
    /* first == 0: the first handler (another thread) is between its two stores: same burst */
    if (first == 0 || now - first < IPB_SAME_REQUEST_NS)
        return;
    /* A later signal: the user insists. Default action, now. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(signo, &dfl, NULL);
    raise(signo);
}

void ipb_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: sleeps and waits return EINTR, so the flag is seen */
    for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
        sigaction(stop_signals[i], &sa, NULL);
}

int ipb_interrupt_signal(void)
{
    return atomic_load_explicit(&caught, memory_order_relaxed);
}

const char *ipb_interrupt_name(int signo)
{
    switch (signo) {
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGUSR1:
        return "SIGUSR1";
    default: {
        static char buf[24];
        snprintf(buf, sizeof(buf), "signal %d", signo);
        return buf;
    }
    }
}
