#include "case.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

/* The tensors the variants run on: 64-byte aligned (one cache line, one
 * AVX-512 vector; malloc gives large blocks at page + 16 bytes, which splits
 * every other 32-byte vector across two lines), and from 2 MiB on aligned to
 * 2 MiB with transparent huge pages requested, so DRAM-sized cases do not
 * measure 4 KiB TLB misses (strided walks such as batchnorm's per-feature
 * columns touch a new page every row). Every variant, oneDNN and OpenBLAS
 * included, gets the same buffers. Released with free(). */
static void *tensor_alloc(size_t bytes) {
    const size_t huge = (size_t)2 << 20;
    const size_t align = bytes >= huge ? huge : 64;
    if (bytes > SIZE_MAX - align) return NULL;
    const size_t rounded = (bytes + align - 1) / align * align; /* aligned_alloc wants a multiple */
    void *p = aligned_alloc(align, rounded);
#ifdef MADV_HUGEPAGE
    if (p && align == huge) madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
}

static size_t add_saturating(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

size_t kb_case_bytes(const kb_problem *problem) {
    size_t bytes = 0;
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        size_t elems = kb_problem_arg_elems(problem, (kb_arg)arg);
        if (elems > SIZE_MAX / (3 * sizeof(float) + sizeof(double))) return SIZE_MAX;
        const kb_arg_role role = kb_problem_arg_role(problem, (kb_arg)arg);
        size_t per_elem = role == KB_ROLE_IN    ? sizeof(float)
                          : role == KB_ROLE_OUT ? 2 * sizeof(float) + sizeof(double)
                                                : 3 * sizeof(float) + sizeof(double);
        bytes = add_saturating(bytes, elems * per_elem);
    }
    return bytes;
}

static size_t physical_memory_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return (pages > 0 && page > 0) ? (size_t)pages * (size_t)page : SIZE_MAX;
}

kb_status kb_case_check_memory(const kb_problem *problem, char *why, size_t why_len) {
    const size_t needed = kb_case_bytes(problem), available = physical_memory_bytes();
    if (needed <= available / 2) return KB_OK;
    char descriptor[192];
    kb_problem_format(problem, descriptor, sizeof descriptor);
    snprintf(why, why_len,
             "shape: %s needs %.1f GiB for its tensors and reference; this machine has %.1f GiB",
             descriptor, (double)needed / (1 << 30), (double)available / (1 << 30));
    return KB_ERR_NOMEM;
}

/* The reference writes into its own output buffers, reading the same inputs. */
kb_status kb_case_recompute_reference(kb_case *c, char *why, size_t why_len) {
    const kb_problem *problem = &c->problem;
    kb_args ref_args = c->args;
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        if (!c->ref_outputs[arg]) continue;
        ref_args.tensor[arg] = c->ref_outputs[arg];
        if (c->initial[arg]) /* in-out: the reference starts from the same values */
            memcpy(c->ref_outputs[arg], c->initial[arg], c->elems[arg] * sizeof(float));
    }
    kb_status status = kb_reference_run(problem, &ref_args, &c->magnitudes);
    if (status != KB_OK)
        snprintf(why, why_len, "reference: %s %s has no reference (%s)",
                 kb_kernel_name(problem->kernel), kb_direction_name(problem->direction),
                 kb_status_name(status));
    return status;
}

kb_status kb_case_init(kb_case *c, const kb_problem *problem, kb_fill fill, uint64_t seed,
                       char *why, size_t why_len) {
    memset(c, 0, sizeof *c);
    c->problem = *problem;
    c->fill = fill;
    kb_status status = kb_case_check_memory(problem, why, why_len);
    if (status != KB_OK) return status;
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        size_t n = kb_problem_arg_elems(problem, (kb_arg)arg);
        c->elems[arg] = n;
        if (n == 0) continue;
        const kb_arg_role role = kb_problem_arg_role(problem, (kb_arg)arg);
        c->args.tensor[arg] = tensor_alloc(n * sizeof(float));
        bool ok = c->args.tensor[arg] != NULL;
        if (role != KB_ROLE_IN) {
            c->ref_outputs[arg] = malloc(n * sizeof(float));
            c->magnitudes.tensor[arg] = malloc(n * sizeof(double));
            ok = ok && c->ref_outputs[arg] && c->magnitudes.tensor[arg];
        }
        if (role == KB_ROLE_INOUT) {
            c->initial[arg] = malloc(n * sizeof(float));
            ok = ok && c->initial[arg];
        }
        if (ok && role != KB_ROLE_OUT) {
            kb_problem_fill(problem, (kb_arg)arg, c->args.tensor[arg], n, fill == KB_FILL_REAL,
                            seed + (uint64_t)arg * 7919);
            if (c->initial[arg]) memcpy(c->initial[arg], c->args.tensor[arg], n * sizeof(float));
        }
        if (!ok) {
            kb_case_free(c);
            snprintf(why, why_len, "shape: out of memory allocating %s (%zu floats)",
                     kb_arg_name((kb_arg)arg), n);
            return KB_ERR_NOMEM;
        }
    }
    status = kb_case_recompute_reference(c, why, why_len);
    if (status != KB_OK) kb_case_free(c);
    return status;
}

kb_status kb_case_set_inputs(kb_case *c, float *const *inputs, char *why, size_t why_len) {
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        if (!inputs[arg] || kb_problem_arg_role(&c->problem, (kb_arg)arg) == KB_ROLE_OUT)
            continue;
        memcpy(c->args.tensor[arg], inputs[arg], c->elems[arg] * sizeof(float));
        if (c->initial[arg]) memcpy(c->initial[arg], inputs[arg], c->elems[arg] * sizeof(float));
    }
    return kb_case_recompute_reference(c, why, why_len);
}

void kb_case_free(kb_case *c) {
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        free(c->args.tensor[arg]);
        free(c->ref_outputs[arg]);
        free(c->magnitudes.tensor[arg]);
        free(c->initial[arg]);
    }
    memset(c, 0, sizeof *c);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

kb_status kb_prepared_init(kb_prepared *p, const kb_variant *variant, const kb_case *c,
                           int threads) {
    memset(p, 0, sizeof *p);
    p->variant = variant;
    p->ctx.threads = threads;
    size_t bytes = variant->workspace_bytes ? variant->workspace_bytes(&c->problem, &p->ctx) : 0;
    if (bytes > 0) {
        p->workspace = aligned_alloc(64, (bytes + 63) / 64 * 64);
        if (!p->workspace) return KB_ERR_NOMEM;
    }
    const double start = now_ms();
    kb_status status =
        variant->prepare ? variant->prepare(&c->problem, &c->args, &p->ctx, &p->state) : KB_OK;
    p->prepare_ms = now_ms() - start;
    if (status != KB_OK) {
        free(p->workspace);
        p->workspace = NULL;
    }
    return status;
}

kb_status kb_prepared_run(kb_prepared *p, const kb_case *c) {
    return p->variant->run(&c->problem, &c->args, &p->ctx, p->state, p->workspace);
}

void kb_prepared_release(kb_prepared *p) {
    if (p->variant && p->variant->release) p->variant->release(p->state);
    free(p->workspace);
    memset(p, 0, sizeof *p);
}

kb_status kb_case_run_and_check(kb_prepared *p, const kb_case *c, kb_check_result *result) {
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        if (c->initial[arg])
            memcpy(c->args.tensor[arg], c->initial[arg], c->elems[arg] * sizeof(float));
        else if (c->ref_outputs[arg])
            for (size_t i = 0; i < c->elems[arg]; i++) c->args.tensor[arg][i] = NAN;
    }
    kb_status status = kb_prepared_run(p, c);
    if (status != KB_OK) return status;
    *result = (kb_check_result){.pass = true};
    const bool exact = c->fill == KB_FILL_INTEGER && kb_problem_integer_exact(&c->problem);
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        if (!c->ref_outputs[arg]) continue;
        kb_check_result one = kb_check_compare(
            c->args.tensor[arg], c->ref_outputs[arg], c->magnitudes.tensor[arg], c->elems[arg],
            kb_problem_reduction_length(&c->problem, (kb_arg)arg), exact);
        kb_check_merge(result, &one);
    }
    return KB_OK;
}

const char *kb_prepared_isa(const kb_prepared *p) {
    if (p->variant->isa_used) return p->variant->isa_used(p->state);
    return kb_isa_name(p->variant->required_isa);
}

kb_status kb_case_copy_outputs(const kb_case *c, kb_output_copy *copy) {
    memset(copy, 0, sizeof *copy);
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        if (!c->ref_outputs[arg]) continue;
        copy->tensor[arg] = malloc(c->elems[arg] * sizeof(float));
        if (!copy->tensor[arg]) {
            kb_output_copy_free(copy);
            return KB_ERR_NOMEM;
        }
        memcpy(copy->tensor[arg], c->args.tensor[arg], c->elems[arg] * sizeof(float));
    }
    return KB_OK;
}

bool kb_case_outputs_equal(const kb_case *c, const kb_output_copy *copy) {
    for (int arg = 0; arg < KB_ARG_COUNT; arg++)
        if (copy->tensor[arg] &&
            memcmp(copy->tensor[arg], c->args.tensor[arg], c->elems[arg] * sizeof(float)) != 0)
            return false;
    return true;
}

void kb_output_copy_free(kb_output_copy *copy) {
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) free(copy->tensor[arg]);
    memset(copy, 0, sizeof *copy);
}

size_t kb_case_io_bytes(const kb_case *c) {
    size_t bytes = 0;
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) bytes += c->elems[arg] * sizeof(float);
    return bytes;
}

kb_status kb_case_clone_io(const kb_case *c, kb_case *copy) {
    memset(copy, 0, sizeof *copy);
    copy->problem = c->problem;
    copy->fill = c->fill;
    for (int arg = 0; arg < KB_ARG_COUNT; arg++) {
        copy->elems[arg] = c->elems[arg];
        if (!c->args.tensor[arg]) continue;
        copy->args.tensor[arg] = tensor_alloc(c->elems[arg] * sizeof(float));
        if (!copy->args.tensor[arg]) {
            kb_case_free(copy);
            return KB_ERR_NOMEM;
        }
        /* Outputs too: their pages are touched once here, not in the first timed run. */
        memcpy(copy->args.tensor[arg], c->args.tensor[arg], c->elems[arg] * sizeof(float));
    }
    return KB_OK;
}
