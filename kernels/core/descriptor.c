/* benchdnn-style descriptor tokens: see descriptor.h. */
#include "core/descriptor.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/window.h"
#include "kernbench/problem.h"

kb_status kb_desc_body_end(const char *descriptor, const char **body_end, char *why,
                           size_t why_len) {
    if (*descriptor == '\0') {
        snprintf(why, why_len, "descriptor: empty");
        return KB_ERR_INVALID;
    }
    /* A field's name is followed by its number, never by a quote (relu's
     * "n1000" is a field), so the first n" starts the name. */
    const char *name = strstr(descriptor, "n\"");
    if (!name) {
        *body_end = descriptor + strlen(descriptor);
        return KB_OK;
    }
    const char *close = strchr(name + 2, '"');
    if (!close || close[1] != '\0') {
        snprintf(why, why_len, "descriptor: bad name in '%s' (expected n\"...\" at the end)",
                 descriptor);
        return KB_ERR_INVALID;
    }
    *body_end = name;
    return KB_OK;
}

/* The word field whose word starts at *c, with *c moved past the word and
 * *index set to the word's; NULL when none. */
static kb_desc_field *match_word(const char **c, const char *end, kb_desc_field *fields,
                                 int n_fields, int64_t *index) {
    for (int f = 0; f < n_fields; f++) {
        for (int w = 0; fields[f].words && fields[f].words[w]; w++) {
            const size_t len = strlen(fields[f].words[w]);
            if ((size_t)(end - *c) < len || strncmp(*c, fields[f].words[w], len) != 0) continue;
            *c += len;
            *index = w;
            return &fields[f];
        }
    }
    return NULL;
}

/* The field whose <name><number> token starts at c; NULL when none. No name
 * is a prefix of another, so the first match is the match. An integer field
 * needs a digit (or a '-', refused below) after its name, which leaves names
 * followed by anything else to the word fields and to "unexpected"; a real's
 * name alone is enough, so that "alpha" or "deltainf" is refused with the
 * field's name. */
static kb_desc_field *match_field(const char *c, const char *end, kb_desc_field *fields,
                                  int n_fields) {
    for (int f = 0; f < n_fields; f++) {
        if (fields[f].words) continue;
        const size_t len = strlen(fields[f].name);
        if ((size_t)(end - c) < len || strncmp(c, fields[f].name, len) != 0) continue;
        const char *v = c + len;
        if (fields[f].real || (v < end && (isdigit((unsigned char)*v) || *v == '-')))
            return &fields[f];
    }
    return NULL;
}

/* Reads the number of real field `f` at *c (just past its name). */
static kb_status read_real(kb_desc_field *f, const char **c, const char *end,
                           const char *descriptor, char *why, size_t why_len) {
    const char *v = *c;
    const char *first = v + (f->sign && v < end && (*v == '-' || *v == '+'));
    /* A digit or '.' first: strtod alone would also take "inf", "nan", hex
     * without a digit and leading blanks. */
    if (first >= end || !(isdigit((unsigned char)*first) || *first == '.')) {
        snprintf(why, why_len, "%s: expected a number in '%s'", f->name, descriptor);
        return KB_ERR_INVALID;
    }
    errno = 0;
    char *stop;
    const double value = strtod(v, &stop);
    if (stop == v) {
        snprintf(why, why_len, "%s: expected a number in '%s'", f->name, descriptor);
        return KB_ERR_INVALID;
    }
    /* Every user keeps a float, so the value must survive the conversion:
     * finite, within FLT_MAX, and not a nonzero that becomes 0. A number
     * never contains the 'n' of n"name", so it ends before `end`; the check
     * keeps that true whatever strtod accepts. */
    if (errno == ERANGE || stop > end || !(fabs(value) <= FLT_MAX) ||
        (value != 0 && (float)value == 0)) {
        snprintf(why, why_len, "%s: %.*s is out of float range", f->name, (int)(stop - v), v);
        return KB_ERR_INVALID;
    }
    f->real_value = (float)value;
    *c = stop;
    return KB_OK;
}

kb_status kb_desc_parse_fields(const char *descriptor, const char *begin, const char *end,
                               kb_desc_field *fields, int n_fields, char *why, size_t why_len) {
    const char *c = begin;
    while (c < end) {
        if (*c == '_' || *c == ' ' || *c == '\t') {
            c++;
            continue;
        }
        int64_t word = 0;
        /* Words first: gemm's "nn" is a word, not the field n. */
        kb_desc_field *f = match_word(&c, end, fields, n_fields, &word);
        if (f) {
            f->value = word;
        } else if ((f = match_field(c, end, fields, n_fields))) {
            c += strlen(f->name);
            if (c < end && *c == '-' && !(f->real && f->sign)) {
                snprintf(why, why_len, "%s: negative value in '%s'", f->name, descriptor);
                return KB_ERR_INVALID;
            }
            if (f->real) {
                if (read_real(f, &c, end, descriptor, why, why_len) != KB_OK) return KB_ERR_INVALID;
            } else {
                const int64_t max = f->max > 0 ? f->max : KB_MAX_DIM;
                errno = 0;
                char *stop;
                const long long value = strtoll(c, &stop, 10);
                if (errno == ERANGE || value > max) {
                    snprintf(why, why_len, "%s: %.*s exceeds the limit %" PRId64, f->name,
                             (int)(stop - c), c, max);
                    return KB_ERR_INVALID;
                }
                f->value = value;
                c = stop;
            }
        } else {
            snprintf(why, why_len, "descriptor: unexpected '%.8s' in '%s'", c, descriptor);
            return KB_ERR_INVALID;
        }
        if (f->given) {
            snprintf(why, why_len, "%s: given twice in '%s'", f->name, descriptor);
            return KB_ERR_INVALID;
        }
        f->given = true;
    }
    return KB_OK;
}

kb_status kb_desc_parse(const char *descriptor, kb_desc_field *fields, int n_fields, char *why,
                        size_t why_len) {
    const char *end;
    const kb_status status = kb_desc_body_end(descriptor, &end, why, why_len);
    if (status != KB_OK) return status;
    return kb_desc_parse_fields(descriptor, descriptor, end, fields, n_fields, why, why_len);
}

void kb_desc_format_real(float value, char *buf, size_t buf_len) {
    if (!buf || buf_len == 0) return;
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, buf_len, "%.*g", digits, (double)value);
        if (strtof(buf, NULL) == value) return;
    }
}

kb_status kb_desc_window_axes(kb_desc_field *f, const kb_desc_axis axes[2], const char *descriptor,
                              char *why, size_t why_len) {
    enum { AXIS_FIELDS = 6 };
    int index[2][AXIS_FIELDS];
    bool any[2] = {false, false};
    for (int a = 0; a < 2; a++) {
        const kb_desc_axis *x = &axes[a];
        const int i[AXIS_FIELDS] = {x->in, x->out, x->kernel, x->stride, x->pad, x->dilation};
        for (int j = 0; j < AXIS_FIELDS; j++) {
            index[a][j] = i[j];
            if (i[j] >= 0) any[a] |= f[i[j]].given;
        }
    }
    /* Square shorthand: an axis with no field at all copies the other one. */
    for (int a = 0; a < 2; a++) {
        if (any[a]) continue;
        for (int j = 0; j < AXIS_FIELDS; j++) {
            if (index[a][j] < 0) continue;
            f[index[a][j]].value = f[index[1 - a][j]].value;
            f[index[a][j]].given = f[index[1 - a][j]].given;
        }
    }
    for (int a = 0; a < 2; a++) {
        kb_desc_field *in = &f[axes[a].in], *out = &f[axes[a].out], *k = &f[axes[a].kernel],
                      *s = &f[axes[a].stride], *p = &f[axes[a].pad];
        const int64_t dilation = axes[a].dilation >= 0 ? f[axes[a].dilation].value : 0;
        if (!in->given || !k->given) {
            snprintf(why, why_len, "%s: missing in '%s'", in->given ? k->name : in->name,
                     descriptor);
            return KB_ERR_INVALID;
        }
        if (!s->given) s->value = 1;
        if (s->value < 1) {
            snprintf(why, why_len, "%s: %" PRId64 " must be >= 1", s->name, s->value);
            return KB_ERR_INVALID;
        }
        const int64_t extent = kb_conv2d_effective_kernel(k->value, dilation);
        if (!out->given) {
            out->value = kb_window_out_size(in->value, extent, s->value, p->value);
            if (out->value < 1) {
                snprintf(why, why_len,
                         "%s: output size <= 0 (%s%" PRId64 " with pad %" PRId64
                         " is smaller than the effective kernel %" PRId64 ")",
                         out->name, in->name, in->value, p->value, extent);
                return KB_ERR_INVALID;
            }
        } else if (!p->given) {
            const int64_t pad = ((out->value - 1) * s->value - in->value + extent) / 2;
            p->value = pad < 0 ? 0 : pad;
        }
    }
    return KB_OK;
}
