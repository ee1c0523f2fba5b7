/* Non-temporal ("streaming") stores for outputs that cannot stay cached.
 *
 * A kernel that writes an output once and never reads it back pays, with
 * ordinary stores, a read-for-ownership of every line before it writes it:
 * a relu fwd over DRAM-sized tensors then moves 12 bytes per element instead
 * of the 8 it needs. Non-temporal stores skip that read (and do not evict the
 * inputs still to be read). They pay when the call touches more than the
 * last-level cache holds, inputs and outputs together: then no output line
 * survives until it is read again. Below that they would be a loss: the
 * output would leave the caches that the next reader (the timed loop's next
 * run in bench, the next layer in a network) finds it in.
 *
 * The threshold is one 32 MiB L3 (a Zen 3/4/5 CCD's; above the L2 and L3
 * working-set cases of bench, below its DRAM cases). Callers stream only from
 * a 32-byte boundary and end each thread's work with an sfence (streaming
 * stores are weakly ordered). */
#ifndef KB_CORE_STREAM_H
#define KB_CORE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KB_STREAM_WORKING_SET_BYTES ((size_t)32 << 20)

/* `touched_bytes`: every tensor one call reads or writes, counted once. */
static inline bool kb_stream_output(size_t touched_bytes) {
    return touched_bytes > KB_STREAM_WORKING_SET_BYTES;
}

/* Whether p starts a 32-byte (AVX2 vector) aligned run. */
static inline bool kb_aligned32(const void *p) {
    return ((uintptr_t)p & 31u) == 0;
}

#endif
