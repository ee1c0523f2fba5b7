/* Pieces shared by the affine OpenBLAS variants. Include only from files
 * named openblas*.c (left out when built with -DKB_WITH_OPENBLAS=OFF). */
#ifndef KB_AFFINE_OPENBLAS_H
#define KB_AFFINE_OPENBLAS_H

#include <cblas.h>

/* The isa_used hook: the kernel set OpenBLAS dispatched to at load time
 * (e.g. "Haswell", "SkylakeX"; OPENBLAS_CORETYPE overrides its detection). */
static inline const char *kb_affine_openblas_isa_used(void *state) {
    (void)state;
    return openblas_get_corename();
}

#endif
