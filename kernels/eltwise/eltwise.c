/* See eltwise.h. */
#include "eltwise/eltwise.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/descriptor.h"

kb_status kb_eltwise_parse(const char *descriptor, kb_eltwise_shape *shape, char *why,
                           size_t why_len) {
    kb_desc_field n = {.name = "n", .max = KB_MAX_TENSOR_ELEMS};
    kb_status status = kb_desc_parse(descriptor, &n, 1, why, why_len);
    if (status != KB_OK) return status;
    if (!n.given) {
        snprintf(why, why_len, "n: missing in '%s' (the element count, e.g. n1000000)", descriptor);
        return KB_ERR_INVALID;
    }
    shape->elems = n.value;
    return kb_eltwise_validate(shape, why, why_len);
}

void kb_eltwise_format(const kb_eltwise_shape *shape, char *buf, size_t buf_len) {
    snprintf(buf, buf_len, "n%" PRId64, shape->elems);
}

kb_status kb_eltwise_validate(const kb_eltwise_shape *shape, char *why, size_t why_len) {
    if (shape->elems < 1) {
        snprintf(why, why_len, "n: %" PRId64 " must be >= 1", shape->elems);
        return KB_ERR_INVALID;
    }
    if (shape->elems > KB_MAX_TENSOR_ELEMS) {
        snprintf(why, why_len, "n: %" PRId64 " exceeds the limit %" PRId64, shape->elems,
                 KB_MAX_TENSOR_ELEMS);
        return KB_ERR_INVALID;
    }
    return KB_OK;
}

kb_arg_role kb_eltwise_arg_role(kb_direction direction, kb_arg saved, kb_arg arg) {
    switch (direction) {
    case KB_DIR_FWD:
        return arg == KB_ARG_SRC ? KB_ROLE_IN : arg == KB_ARG_DST ? KB_ROLE_OUT : KB_ROLE_NONE;
    case KB_DIR_BWD:
        if (arg == saved || arg == KB_ARG_DIFF_DST) return KB_ROLE_IN;
        return arg == KB_ARG_DIFF_SRC ? KB_ROLE_OUT : KB_ROLE_NONE;
    default:
        return KB_ROLE_NONE;
    }
}

bool kb_eltwise_set_extent(kb_problem *problem, int64_t extent) {
    problem->eltwise.elems = extent;
    return true;
}
