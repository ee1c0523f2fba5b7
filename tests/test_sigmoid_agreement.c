/* Every registered sigmoid variant, fwd and bwd, against the reference: fwd
 * within its exp-based tolerance, bwd exact on integer inputs and within three
 * roundings on real ones (kernels/sigmoid/problem.c). Sizes around the vector
 * widths (8, 16) and the unrolled steps (32, 64), and one large odd size whose
 * two-thread split ends in a partial vector, and one over 32 MiB whose output
 * goes out through streaming stores (core/stream.h). Edge values (+-100, Inf, NaN)
 * and a sweep of the whole range: test_eltwise_edges.c. */
#include "agreement.h"

static const char *const shapes[] = {
    "n1",  "n7",  "n8",  "n9",  "n15",  "n16",  "n17",
    "n31", "n33", "n63", "n65", "n127", "n129", "n1000003",
};

/* An output over 32 MiB: the AVX2 variant's streaming stores (core/stream.h).
 * Real-valued inputs only, and not in the sanitizer pass (kb_agreement_large). */
static const char *const large_shapes[] = {"n8388613"};

int main(void) {
    kb_agreement_large(KB_KERNEL_SIGMOID, large_shapes,
                       sizeof large_shapes / sizeof large_shapes[0]);
    return kb_agreement_run(KB_KERNEL_SIGMOID, shapes, sizeof shapes / sizeof shapes[0]);
}
