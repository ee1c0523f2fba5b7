/* Waiting for the process's other threads to go idle before a measurement.
 *
 * OpenBLAS's pthread build starts its worker threads when the library loads
 * and, after load and after every call, keeps them spinning on sched_yield
 * for about 2^28 TSC ticks (0.1-0.3 s) before they sleep. On a machine with
 * few cores that spin takes a core from whatever bench times next: on the
 * project's 2-vCPU VM the 2-thread peak probe read 56-156 GFLOP/s with the
 * worker spinning and 137-183 without it. libgomp's idle workers spin too,
 * briefly (GOMP_SPINCOUNT), after each parallel region. So bench waits for
 * quiet before each probe and each timed row; OpenBLAS's own rows still spin
 * between their calls, as OpenBLAS does for its users. */
#ifndef KB_QUIESCE_H
#define KB_QUIESCE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Threads of this process, the caller excluded, that are running or
 * runnable now (state R in /proc/self/task/TID/stat); -1 where that cannot be
 * read (no /proc). */
int kb_busy_other_threads(void);

/* Polls kb_busy_other_threads every millisecond until it is 0, at most
 * `max_seconds`. Returns true when the other threads went idle (or none
 * exist, or /proc is missing), false on timeout (a thread that spins for
 * good, say under OMP_WAIT_POLICY=active). */
bool kb_wait_for_quiet(double max_seconds);

#ifdef __cplusplus
}
#endif

#endif
