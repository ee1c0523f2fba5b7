/* Every registered affine variant, forward and backward, against the
 * reference on a table of shapes chosen to hit every edge of the packed
 * GEMMs: sizes of 1, primes, one below / at / one above the register tiles
 * (6 and 16 of the AVX2 microkernel, 8/32/48/64 for AVX-512 ones), the
 * reduction slice (256), the row block (144), the column block (3072), the
 * thread splits of omp_tiled, and the book's layers.
 * Each size plays every role in turn: batch N is the M of the fwd and dx
 * GEMMs and the reduction of dW; D the reduction of fwd, the columns of dx
 * and the rows of dW; M the columns of fwd and dW and the reduction of dx.
 * Integer-valued inputs must match exactly; real-valued inputs within the
 * bound documented in bench/check.h. Threads 1 and 2. */
#include "agreement.h"

static const char *const shapes[] = {
    "mb1ic1oc1",          /* the tiny case */
    "mb1ic2oc3",
    "mb2ic1oc1",
    "mb3ic5oc7",          /* small primes */
    "mb7ic13oc17",
    "mb5ic6oc15",         /* tile - 1 */
    "mb6ic16oc16",        /* tile exactly */
    "mb7ic17oc17",        /* tile + 1 */
    "mb11ic31oc33",       /* around 32 */
    "mb12ic32oc32",
    "mb13ic8oc9",         /* 8 and 8 + 1 */
    "mb17ic47oc49",       /* around 48 */
    "mb23ic63oc65",       /* around 64 */
    "mb29ic64oc7",
    "mb31ic255oc19",      /* reduction slice - 1 */
    "mb19ic256oc31",      /* slice exactly */
    "mb37ic257oc23",      /* slice + 1: two slices */
    "mb257ic9oc11",       /* batch over a slice: dW reduces in two slices */
    "mb143ic10oc20",      /* around the 144-row block */
    "mb145ic20oc10",
    "mb2ic3oc3073",       /* one column past the 3072-column block */
    /* Big enough for two threads (kb_affine_parts), so every split of
     * omp_tiled runs: rows or columns of y, dx and dW (kb_affine_plan), with
     * tails, and a part left empty. */
    "mb1ic2049oc1001",    /* batch 1: y split by columns, dW by rows */
    "mb3ic997oc333",      /* few rows: y and dx by columns */
    "mb61ic300oc45",      /* rows with a short last part */
    "mb200ic7oc500",      /* dW short and wide: by columns */
    "mb5ic3000oc40",      /* dx short and wide: by columns; dW by rows */
    "mb6ic30000oc16",     /* one row tile and one column tile: part 2 is empty */
    "mb4ic1oc100",        /* reduction of 1 */
    "mb100ic784oc50",     /* the book's TwoLayerNet */
    "mb100ic50oc10",
    "mb100ic4320oc100",   /* the book's SimpleConvNet */
    "mb100ic100oc10",
};

int main(void) {
    return kb_agreement_run(KB_KERNEL_AFFINE, shapes, sizeof shapes / sizeof shapes[0]);
}
