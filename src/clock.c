#include "clock.h"

#include <errno.h>
#include <math.h>
#include <sys/prctl.h>

#include "interrupt.h"

void ipb_sleep_until(double deadline)
{
    struct timespec ts;
    double whole = floor(deadline);
    ts.tv_sec = (time_t)whole;
    ts.tv_nsec = (long)((deadline - whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    /* A stop signal ends the sleep early (interrupt.h); any other signal resumes it. */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
           !ipb_interrupt_signal())
        ;
}

void ipb_precise_timers(void)
{
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* advisory: a failure changes nothing else */
}
