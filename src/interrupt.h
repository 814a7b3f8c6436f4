/* SIGTERM, SIGINT and SIGUSR1 end a run early and cleanly instead of killing the process.
 *
 * SIGTERM is what Slurm sends every task at a job's time limit (SIGKILL follows after
 * KillWait, 30 s by default), what mpirun sends its ranks when it is interrupted or a rank dies
 * (SIGKILL follows after about a second), and what `kill` sends; SIGINT is Ctrl-C; SIGUSR1 is
 * for `sbatch --signal=USR1@60`, a stop asked for ahead of the limit. Killed outright, a rank
 * would leave its data files behind and the sweep would not know which run was cut.
 *
 * The handler only records the first signal (a lock-free atomic store: async-signal-safe).
 * Every pipeline looks at it at each stage boundary (pipeline.c, method_aio.c, the fork
 * children, which inherit the handler), receive sleeps return early when it is set (clock.c),
 * and the rank then stops, removes its files and records the run as interrupted (bench.c).
 * A second signal while stopping restores the default action and re-raises it: a user who
 * presses Ctrl-C twice gets the process killed at once, as with most tools. Only if it comes
 * a second or more after the first, though: copies of one request arrive together (Slurm
 * signals every process of a job and mpirun passes its own SIGTERM on to its ranks). */
#ifndef IPB_INTERRUPT_H
#define IPB_INTERRUPT_H

/* Install the handler for SIGTERM, SIGINT and SIGUSR1 (SA_RESTART off, so a blocking call
 * returns EINTR and the caller can look at the flag). Idempotent. */
void ipb_interrupt_install(void);

/* The first stop signal caught since start-up, or 0. */
int ipb_interrupt_signal(void);

/* "SIGTERM", "SIGINT", "SIGUSR1", or "signal N". */
const char *ipb_interrupt_name(int signo);

#endif
