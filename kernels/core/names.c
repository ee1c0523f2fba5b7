/* Names of statuses, kernels, directions and tensor slots: the words the CLI,
 * the tests and the CSV rows share. */
#include <string.h>

#include "kernbench/problem.h"
#include "kernbench/status.h"

const char *kb_status_name(kb_status status) {
    switch (status) {
    case KB_OK: return "ok";
    case KB_ERR_INVALID: return "invalid argument";
    case KB_ERR_UNSUPPORTED: return "unsupported";
    case KB_ERR_NOMEM: return "out of memory";
    case KB_ERR_BACKEND: return "backend error";
    }
    return "unknown status";
}

void kb_text_one_line(char *text) {
    for (unsigned char *c = (unsigned char *)text; *c; c++)
        if (*c < 0x20 || *c == 0x7f) *c = '?';
}

static const char *const kernel_names[KB_KERNEL_COUNT] = {
    "conv2d", "gemm", "affine", "softmax", "softmax_xent", "batchnorm", "pool2d", "relu",
    "sigmoid", "optim"};
static const char *const direction_names[KB_DIR_COUNT] = {
    "fwd",       "bwd_data", "bwd_weights", "bwd",     "fwd_train", "fwd_infer",
    "sgd",       "momentum", "nesterov",    "adagrad", "rmsprop",   "adam"};
static const char *const arg_names[KB_ARG_COUNT] = {
    "src",          "weights",          "bias",       "dst",        "diff_src",
    "diff_weights", "diff_bias",        "diff_dst",   "labels",     "loss",
    "scale",        "shift",            "mean",       "variance",   "running_mean",
    "running_variance", "diff_scale",   "diff_shift", "state0",     "state1"};

static bool lookup(const char *const *names, int count, const char *name, int *index) {
    for (int i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            *index = i;
            return true;
        }
    }
    return false;
}

const char *kb_kernel_name(kb_kernel kernel) {
    return (kernel >= 0 && kernel < KB_KERNEL_COUNT) ? kernel_names[kernel] : "unknown";
}

bool kb_kernel_from_name(const char *name, kb_kernel *kernel) {
    int i;
    if (!lookup(kernel_names, KB_KERNEL_COUNT, name, &i)) return false;
    *kernel = (kb_kernel)i;
    return true;
}

const char *kb_direction_name(kb_direction direction) {
    return (direction >= 0 && direction < KB_DIR_COUNT) ? direction_names[direction] : "unknown";
}

bool kb_direction_from_name(const char *name, kb_direction *direction) {
    int i;
    if (!lookup(direction_names, KB_DIR_COUNT, name, &i)) return false;
    *direction = (kb_direction)i;
    return true;
}

const char *kb_arg_name(kb_arg arg) {
    return (arg >= 0 && arg < KB_ARG_COUNT) ? arg_names[arg] : "unknown";
}
