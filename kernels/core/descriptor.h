/* benchdnn-style descriptor tokens, shared by the kernels' parsers: a sequence
 * of <field><number> tokens ("mb1ic64ih56") and word tokens ("spatial", "tn"),
 * optionally separated by '_' or blanks, optionally ending with n"name" (kept
 * by the shape sets, ignored here). Errors are one line that starts with the
 * field name (or "descriptor:"), as the CLI and the tests expect. */
#ifndef KB_CORE_DESCRIPTOR_H
#define KB_CORE_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernbench/status.h"

typedef struct kb_desc_field {
    const char *name; /* letters, e.g. "mb"; no name may be a prefix of another */
    int64_t value;
    bool given;
    /* Optional, off when zero (as in {"mb"}): */
    int64_t max;       /* the largest integer accepted; 0 means KB_MAX_DIM */
    bool real;         /* a decimal number (0.001, 1e-3, .5) read into real_value;
                          it must survive the conversion to float (1e-50 is not 0) */
    bool sign;         /* with real: the number may start with '-' or '+' */
    float real_value;
    /* A word field: given by one of these words (NULL-terminated) instead of
     * <name><number>, value is the index of the word, and name only names it
     * in messages ("spatial", or "transposes" for {"nn", "nt", "tn", "tt"}).
     * Words are tried before the other fields, so "nn" is not the field n. */
    const char *const *words;
} kb_desc_field;

/* Where the tokens of `descriptor` end: at its n"name" (checked to be the
 * last thing in it) or at its end. Rejects an empty descriptor. */
kb_status kb_desc_body_end(const char *descriptor, const char **body_end, char *why,
                           size_t why_len);

/* Parses the tokens in [begin, end) of `descriptor` into `fields` (integers
 * in [0, max or KB_MAX_DIM], reals and words as described above; each field
 * at most once; nothing else but separators). Messages quote the whole
 * descriptor. */
kb_status kb_desc_parse_fields(const char *descriptor, const char *begin, const char *end,
                               kb_desc_field *fields, int n_fields, char *why, size_t why_len);

/* The whole of `descriptor`: kb_desc_body_end, then kb_desc_parse_fields up
 * to the name (the parsers with no words of their own to take off first). */
kb_status kb_desc_parse(const char *descriptor, kb_desc_field *fields, int n_fields, char *why,
                        size_t why_len);

/* The shortest decimal text (%g, 1 to 9 significant digits) that reads back
 * as exactly `value`, for canonical forms: 0.001, not 0.00100000005. */
void kb_desc_format_real(float value, char *buf, size_t buf_len);

/* One spatial axis of a sliding-window descriptor, as indices into the field
 * array; dilation is -1 for kernels without one (dense windows). */
typedef struct kb_desc_axis {
    int in, out, kernel, stride, pad, dilation;
} kb_desc_axis;

/* benchdnn's defaults and inference for the two axes (h, then w):
 *   - when no field of one axis is given, each copies its twin of the other
 *     axis, so square problems name only the h fields;
 *   - in and kernel are required; stride defaults to 1, dilation to 0;
 *   - a missing output size is computed with the leading pad on both sides:
 *     (i + 2p - ((k-1)(d+1)+1)) / s + 1, which must be >= 1;
 *   - a missing pad with a given output size is computed:
 *     ((o-1)s - i + ((k-1)(d+1)+1)) / 2, clamped at 0; otherwise it is 0.
 * Consistency of a given output size is left to the kernel's validate. */
kb_status kb_desc_window_axes(kb_desc_field *fields, const kb_desc_axis axes[2],
                              const char *descriptor, char *why, size_t why_len);

#endif
