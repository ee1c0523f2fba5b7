/* bench's wait for idle threads (bench/quiesce.h): a thread that spins keeps
 * the process busy until it stops; a thread blocked on a lock does not. */
#include <pthread.h>
#include <stdatomic.h>

#include "quiesce.h"
#include "testing.h"

static atomic_bool stop_spinning;

static void *spin(void *unused) {
    (void)unused;
    while (!atomic_load(&stop_spinning)) {
    }
    return NULL;
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *block_on_gate(void *unused) {
    (void)unused;
    pthread_mutex_lock(&gate); /* blocks until main unlocks */
    pthread_mutex_unlock(&gate);
    return NULL;
}

int main(void) {
    if (kb_busy_other_threads() < 0) {
        kb_test_skip("quiesce", "/proc/self/task cannot be read here");
        return kb_test_summary();
    }
    /* The libraries linked in (OpenBLAS's workers) may spin for a while
     * after loading: that is what bench waits out. */
    TEST_CASE("%s", "the process goes quiet after start-up") {
        CHECK(kb_wait_for_quiet(5.0), "%d other threads still busy", kb_busy_other_threads());
    }

    pthread_t spinner;
    atomic_store(&stop_spinning, false);
    TEST_CASE("%s", "a spinning thread is busy") {
        CHECK(pthread_create(&spinner, NULL, spin, NULL) == 0, "pthread_create");
        CHECK(kb_busy_other_threads() >= 1, "%d busy", kb_busy_other_threads());
        CHECK(!kb_wait_for_quiet(0.05), "the wait ended while a thread spins");
        atomic_store(&stop_spinning, true);
        CHECK(pthread_join(spinner, NULL) == 0, "pthread_join");
        CHECK(kb_wait_for_quiet(5.0), "%d busy after the spinner ended", kb_busy_other_threads());
    }

    pthread_t blocked;
    pthread_mutex_lock(&gate);
    TEST_CASE("%s", "a thread blocked on a lock is idle") {
        CHECK(pthread_create(&blocked, NULL, block_on_gate, NULL) == 0, "pthread_create");
        CHECK(kb_wait_for_quiet(5.0), "%d busy with one thread blocked", kb_busy_other_threads());
    }
    pthread_mutex_unlock(&gate);
    pthread_join(blocked, NULL);
    return kb_test_summary();
}
