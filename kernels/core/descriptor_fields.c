/* See descriptor_fields.h. */
#include "core/descriptor_fields.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest field name that `c` starts with, or -1. */
static int match_field(const char *c, const kb_field *fields, size_t n_fields) {
    int best = -1;
    size_t best_len = 0;
    for (size_t f = 0; f < n_fields; f++) {
        const size_t len = strlen(fields[f].name);
        if (len > best_len && strncmp(c, fields[f].name, len) == 0) {
            best = (int)f;
            best_len = len;
        }
    }
    return best;
}

kb_status kb_fields_parse(const char *descriptor, kb_field *fields, size_t n_fields, char *why,
                          size_t why_len) {
    for (size_t f = 0; f < n_fields; f++) fields[f].given = false;
    const char *c = descriptor;
    if (*c == '\0') {
        snprintf(why, why_len, "descriptor: empty");
        return KB_ERR_INVALID;
    }
    while (*c) {
        if (*c == '_' || *c == ' ' || *c == '\t') {
            c++;
            continue;
        }
        if (c[0] == 'n' && c[1] == '"') { /* trailing label */
            const char *end = strchr(c + 2, '"');
            if (!end || end[1] != '\0') {
                snprintf(why, why_len,
                         "descriptor: bad name in '%s' (expected n\"...\" at the end)", descriptor);
                return KB_ERR_INVALID;
            }
            break;
        }
        const int f = match_field(c, fields, n_fields);
        if (f < 0) {
            snprintf(why, why_len, "descriptor: unexpected '%.8s' in '%s'", c, descriptor);
            return KB_ERR_INVALID;
        }
        kb_field *field = &fields[f];
        c += strlen(field->name);
        if (*c == '-') {
            snprintf(why, why_len, "%s: negative value in '%s'", field->name, descriptor);
            return KB_ERR_INVALID;
        }
        if (!isdigit((unsigned char)*c) && !(field->real && *c == '.')) {
            snprintf(why, why_len, "%s: expected a number after '%s' in '%s'", field->name,
                     field->name, descriptor);
            return KB_ERR_INVALID;
        }
        if (field->given) {
            snprintf(why, why_len, "%s: given twice in '%s'", field->name, descriptor);
            return KB_ERR_INVALID;
        }
        char *end;
        errno = 0;
        if (field->real) {
            field->value = strtod(c, &end);
            if (errno == ERANGE || !isfinite(field->value)) {
                snprintf(why, why_len, "%s: %.*s is out of range", field->name, (int)(end - c), c);
                return KB_ERR_INVALID;
            }
        } else {
            const long long value = strtoll(c, &end, 10);
            if (errno == ERANGE) {
                snprintf(why, why_len, "%s: %.*s exceeds the limit %" PRId64, field->name,
                         (int)(end - c), c, INT64_MAX);
                return KB_ERR_INVALID;
            }
            field->integer = value;
        }
        field->given = true;
        c = end;
    }
    return KB_OK;
}

void kb_format_float(float value, char *buf, size_t buf_len) {
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, buf_len, "%.*g", digits, (double)value);
        if (strtof(buf, NULL) == value) return;
    }
}
