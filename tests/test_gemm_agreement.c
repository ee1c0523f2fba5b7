/* Every registered gemm variant against the reference, on a table of shapes
 * chosen to hit every edge of the packed GEMMs: sizes around both
 * microkernels' tiles (6 x 16 for AVX2, 12 x 32 for AVX-512: tile - 1, tile,
 * tile + 1), 1 and primes, all four transposes, alpha in {1, 2, -1, 0.5,
 * 0.3, 0} and beta in {0, 1, -1, 3, 0.5} (beta 0: C is poisoned with NaN and
 * must be ignored), plus sizes around the run-time cache blocks (KC, MC, NC
 * +-1 for both kits, generated from kb_gemm_blocks_for so they follow the
 * caches of the machine running the test). Integer-valued inputs must match
 * exactly where kernels/gemm/problem.c says they are exact (alpha 0.3 is
 * not: it is checked with the real-valued tolerance); real-valued inputs
 * within the bound of bench/check.h. Threads 1 and 2 (omp_tiled splits rows
 * or columns depending on the shape). */
#include <inttypes.h>
#include <stdio.h>

#include "../kernels/gemm/packed.h" /* the block sizes the kits run with */
#include "agreement.h"

static const char *const fixed_shapes[] = {
    /* the tiny case, and 1 in each place */
    "m1n1k1",
    "m1n37k19",
    "m41n1k23",
    "m29n31k1",
    /* around the AVX2 tile (6 x 16) */
    "m5n15k8",
    "m6n16k9",
    "m7n17k16",
    "m12n32k7",
    "m13n33k17",
    "m11n31k33",
    /* around the AVX-512 tile (12 x 32) */
    "m11n31k8",
    "m12n32k16",
    "m13n33k9",
    "m24n64k31",
    "m25n65k32",
    "m23n63k64",
    "m12n48k5",
    "m36n8k11", /* one vector per row (<= 8 / <= 16 columns) */
    /* primes */
    "m37n53k71",
    "m97n89k83",
    "m127n131k113",
    /* all four transposes on ragged sizes */
    "m19n45k37tn",
    "m19n45k37nt",
    "m19n45k37tt",
    "m61n29k70tn",
    "m61n29k70nt",
    "m61n29k70tt",
    "m8n8k8tt",
    /* alpha and beta */
    "m13n33k17beta1",
    "m13n33k17alpha2beta-1",
    "m37n53k29alpha-1beta3",
    "m25n17k40alpha0.5beta0.5",
    "m25n17k40tnalpha0.3beta1",  /* not exact on integers: real tolerance */
    "m25n17k40ntalpha0.3",
    "m11n9k7alpha0beta2",        /* only C = beta * C */
    "m11n9k7alpha0",             /* C = 0, NaN in C ignored */
    "m70n33k19ttalpha2beta1",
    /* the book's Affine GEMMs and an im2col-like one */
    "m100n50k784",
    "m100n784k50nt",
    "m784n50k100tn",
    "m64n196k72nt",
};

enum {
    FIXED = sizeof fixed_shapes / sizeof fixed_shapes[0],
    PER_KIT = 9, /* shapes block_shapes() makes per kit */
    MAX_SHAPES = FIXED + 2 * PER_KIT
};

/* Shapes straddling the cache blocks of `kit`: two reduction slices (KC +- 1),
 * two row blocks (MC +- 1), two column blocks (NC +- 1), the other sizes
 * small so the reference stays cheap. */
static size_t block_shapes(const kb_gemm_kit *kit, char (*out)[96]) {
    const kb_gemm_blocks b = kb_gemm_blocks_for(kit->mr, kit->nr);
    size_t n = 0;
    snprintf(out[n++], 96, "m%dn%dk%" PRId64, kit->mr + 1, kit->nr + 3, b.kc - 1);
    snprintf(out[n++], 96, "m%dn%dk%" PRId64, kit->mr + 1, kit->nr + 3, b.kc);
    snprintf(out[n++], 96, "m%dn%dk%" PRId64 "beta-1", kit->mr + 1, kit->nr + 3, b.kc + 1);
    snprintf(out[n++], 96, "m%dn%dk%" PRId64 "tt", kit->mr * 2 + 1, kit->nr - 1, 2 * b.kc + 1);
    snprintf(out[n++], 96, "m%" PRId64 "n%dk%dtn", b.mc - 1, kit->nr + 1, 9);
    snprintf(out[n++], 96, "m%" PRId64 "n%dk%d", b.mc + 1, kit->nr + 1, 9);
    snprintf(out[n++], 96, "m%" PRId64 "n%dk%" PRId64 "alpha2beta1", b.mc + 1, 5, b.kc + 1);
    snprintf(out[n++], 96, "m%dn%" PRId64 "k%dnt", 5, b.nc - 1, 7);
    snprintf(out[n++], 96, "m%dn%" PRId64 "k%dbeta1", 14, b.nc + 1, 7);
    return n;
}

int main(void) {
    static char generated[2 * PER_KIT][96];
    const char *shapes[MAX_SHAPES];
    size_t count = 0;
    for (size_t i = 0; i < FIXED; i++) shapes[count++] = fixed_shapes[i];
    const kb_gemm_kit *kits[] = {&kb_gemm_avx2_kit, &kb_gemm_avx512_kit};
    size_t made = 0;
    for (size_t k = 0; k < 2; k++) {
        const size_t n = block_shapes(kits[k], generated + made);
        for (size_t i = 0; i < n; i++) shapes[count++] = generated[made + i];
        made += n;
    }
    return kb_agreement_run(KB_KERNEL_GEMM, shapes, count);
}
