#include "interrupt.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Written by the handler, read by every thread (and, after fork, by each child for its own
 * copy). A lock-free atomic is both async-signal-safe and race-free for the readers. */
static atomic_int caught;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag must be a lock-free atomic_int");

static const int stop_signals[] = {SIGTERM, SIGINT, SIGUSR1};

static void on_stop_signal(int signo)
{
    int none = 0;
    if (atomic_compare_exchange_strong(&caught, &none, signo))
        return;
    /* Second signal: the user insists. Default action, now. */
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
