/* A generic reader for benchdnn-style descriptors made of <field><number>
 * tokens ("n1000003lr0.001t10"), for kernels whose descriptors are a flat
 * list of named values (relu, sigmoid, optim). conv2d keeps its own parser
 * (it infers sizes from each other).
 *
 * Grammar: tokens <name><value>, optionally separated by '_' or blanks, in any
 * order, each at most once, optionally ending with n"label" (ignored: shape
 * sets keep the label). A name is matched longest first, so "b1" is never
 * read as "b" + "1". Integer values are decimal digits; real values are what
 * strtod reads (0.001, 1e-3) but must start with a digit or '.', so "nan",
 * "inf" and signs are refused. */
#ifndef KB_CORE_DESCRIPTOR_FIELDS_H
#define KB_CORE_DESCRIPTOR_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernbench/status.h"

typedef struct kb_field {
    const char *name; /* the letters before the value */
    bool real;        /* a real value (double), else an integer */
    /* Filled by kb_fields_parse: */
    bool given;
    int64_t integer;
    double value;
} kb_field;

/* Reads `descriptor` into `fields` (their `given`, `integer`, `value`). On
 * failure writes one line naming the field or the unexpected text. */
kb_status kb_fields_parse(const char *descriptor, kb_field *fields, size_t n_fields, char *why,
                          size_t why_len);

/* The shortest decimal text (%g, 1 to 9 digits) that reads back as exactly
 * `value`: canonical descriptors print 0.001, not 0.00100000005. */
void kb_format_float(float value, char *buf, size_t buf_len);

#endif
