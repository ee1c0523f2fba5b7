/* Every registered softmax variant against the reference (bench/check.h,
 * tolerances derived in kernels/softmax/problem.c), integer and real inputs,
 * 1 and 2 threads, on shapes that hit every edge: M = 1, N = 1, M one below,
 * at and one above multiples of 8 and 16, rows longer than 4096, rows that
 * start at every alignment (M = 1001 over 13 rows), short rows in eight-row
 * groups (softmax.h), and outputs over 32 MiB (streaming stores,
 * core/stream.h) with long rows at every alignment and short rows in
 * groups. Then edited inputs: logits of +-1e4, logits spread over [-60, 60)
 * (subnormal and flushed outputs), logits around 3e6 (the two-pass
 * variant's three-pass fallback), constant rows. */
#include "softmax_cases.h"

static const char *const shapes[] = {
    "mb1ic1",    "mb3ic1",    "mb1ic2",   "mb2ic7",   "mb3ic8",    "mb2ic9",
    "mb5ic15",   "mb3ic16",   "mb2ic17",  "mb4ic31",  "mb2ic32",   "mb3ic33",
    "mb2ic63",   "mb2ic64",   "mb3ic65",  "mb7ic100", "mb100ic10", "mb1ic1000",
    "mb13ic1001", "mb1ic4099",  "mb3ic5000",
    /* eight-row groups of short rows (softmax.h): 37 rows make groups, rows
     * before the first group and after the last one, at 1 and 2 threads */
    "mb37ic1",    "mb37ic2",    "mb37ic7",  "mb37ic8",  "mb37ic9",   "mb37ic10",
    "mb37ic16",   "mb37ic17",   "mb37ic31", "mb37ic32", "mb37ic33", "mb37ic64",
    "mb37ic65",
    /* groups that end at the tensor's end, rows shorter than a vector */
    "mb16ic1",    "mb16ic2",    "mb24ic3",  "mb8ic5",
};

/* An output over 32 MiB: the AVX2 variant's streaming stores (core/stream.h).
 * Real-valued inputs only, and not in the sanitizer pass (kb_agreement_large). */
static const char *const large_shapes[] = {"mb8200ic1025", "mb600001ic13"};

int main(void) {
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb5ic37", "logits +-1e4",
                         edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb1ic1", "logit 1e4", edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb6ic129", "logits in [-60, 60)",
                         edit_wide_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb3ic50", "logits around 3e6",
                         edit_offset_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb4ic19", "constant rows",
                         edit_equal_rows);
    /* the same in eight-row groups */
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb24ic10", "logits +-1e4",
                         edit_huge_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb24ic13", "logits in [-60, 60)",
                         edit_wide_logits);
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb16ic10", "constant rows",
                         edit_equal_rows);
    softmax_check_edited(KB_KERNEL_SOFTMAX, KB_DIR_FWD, "mb2ic1000", "constant rows",
                         edit_equal_rows);
    kb_agreement_large(KB_KERNEL_SOFTMAX, large_shapes,
                       sizeof large_shapes / sizeof large_shapes[0]);
    return softmax_finish(
        kb_agreement_run(KB_KERNEL_SOFTMAX, shapes, sizeof shapes / sizeof shapes[0]));
}
