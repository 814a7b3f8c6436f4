/* Monotonic time in seconds. CLOCK_MONOTONIC, never the wall clock: NTP steps must not bend
 * a measurement. A double holds nanoseconds exactly for 104 days of uptime-relative time. */
#ifndef IPB_CLOCK_H
#define IPB_CLOCK_H

#include <time.h>

static inline double ipb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sleep until ipb_now() >= deadline; resumes after signals (absolute deadline, so EINTR
 * cannot stretch the sleep), except a stop signal (interrupt.h), which ends it early. */
void ipb_sleep_until(double deadline);

/* Timer slack of the calling thread down to 1 ns. Linux lets a sleep overrun by the thread's
 * slack (50 us by default) so that wake-ups can be batched; an emulated receive should end when
 * it is due, and batched wake-ups of many pipelines are exactly the burst to avoid. */
void ipb_precise_timers(void);

#endif
