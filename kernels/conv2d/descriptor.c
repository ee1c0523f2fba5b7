/* benchdnn-style conv2d descriptors: "mb1ic64ih56oc64oh56kh3ph1".
 *
 * Grammar: a sequence of <field><integer> tokens, optionally separated by '_'
 * or blanks, optionally ending with n"name" (ignored here; shape sets keep the name).
 * Fields: g mb ic ih iw oc oh ow kh kw sh sw ph pw dh dw (g must be 1).
 * Defaults and inference follow benchdnn:
 *   - mb defaults to 2; strides to 1; dilations to 0;
 *   - when no width field is given, every width field copies its height twin
 *     (and the other way round), so square problems name only the h fields;
 *   - a missing output size is computed: (i + 2p - ((k-1)(d+1)+1)) / s + 1;
 *   - a missing pad with a given output size is computed:
 *     ((o-1)s - i + ((k-1)(d+1)+1)) / 2, otherwise it defaults to 0.
 * The result is then validated (an output size that does not follow from the
 * other sizes is an error naming the field). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"

enum { F_G, F_MB, F_IC, F_IH, F_IW, F_OC, F_OH, F_OW, F_KH, F_KW, F_SH, F_SW, F_PH, F_PW,
       F_DH, F_DW, F_COUNT };
static const char *const field_names[F_COUNT] = {"g",  "mb", "ic", "ih", "iw", "oc",
                                                 "oh", "ow", "kh", "kw", "sh", "sw",
                                                 "ph", "pw", "dh", "dw"};

kb_status kb_conv2d_parse(const char *descriptor, kb_conv2d_shape *shape, char *why,
                          size_t why_len) {
    int64_t v[F_COUNT] = {0};
    bool given[F_COUNT] = {false};
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
        if (c[0] == 'n' && c[1] == '"') { /* trailing name */
            const char *end = strchr(c + 2, '"');
            if (!end || end[1] != '\0') {
                snprintf(why, why_len, "descriptor: bad name in '%s' (expected n\"...\" at the end)",
                         descriptor);
                return KB_ERR_INVALID;
            }
            break;
        }
        /* No field name is a prefix of another, so the first match is the match. */
        int field = -1;
        for (int f = 0; f < F_COUNT && field < 0; f++) {
            size_t len = strlen(field_names[f]);
            if (strncmp(c, field_names[f], len) != 0) continue;
            if (c[len] == '-') {
                snprintf(why, why_len, "%s: negative value in '%s'", field_names[f], descriptor);
                return KB_ERR_INVALID;
            }
            if (isdigit((unsigned char)c[len])) field = f;
        }
        if (field < 0) {
            snprintf(why, why_len, "descriptor: unexpected '%.8s' in '%s'", c, descriptor);
            return KB_ERR_INVALID;
        }
        c += strlen(field_names[field]);
        errno = 0;
        char *end;
        long long value = strtoll(c, &end, 10);
        if (errno == ERANGE || value > KB_MAX_DIM) {
            snprintf(why, why_len, "%s: %.*s exceeds the limit %" PRId64, field_names[field],
                     (int)(end - c), c, KB_MAX_DIM);
            return KB_ERR_INVALID;
        }
        if (given[field]) {
            snprintf(why, why_len, "%s: given twice in '%s'", field_names[field], descriptor);
            return KB_ERR_INVALID;
        }
        v[field] = value;
        given[field] = true;
        c = end;
    }
    if (given[F_G] && v[F_G] != 1) {
        snprintf(why, why_len, "g: %" PRId64 " groups are not supported (only g1)", v[F_G]);
        return KB_ERR_INVALID;
    }
    if (!given[F_IC] || !given[F_OC]) {
        snprintf(why, why_len, "%s: missing in '%s'", given[F_IC] ? "oc" : "ic", descriptor);
        return KB_ERR_INVALID;
    }
    const int h_fields[] = {F_IH, F_OH, F_KH, F_SH, F_PH, F_DH};
    const int w_fields[] = {F_IW, F_OW, F_KW, F_SW, F_PW, F_DW};
    bool any_h = false, any_w = false;
    for (int i = 0; i < 6; i++) {
        any_h |= given[h_fields[i]];
        any_w |= given[w_fields[i]];
    }
    for (int i = 0; i < 6; i++) {
        if (!any_w) {
            v[w_fields[i]] = v[h_fields[i]];
            given[w_fields[i]] = given[h_fields[i]];
        } else if (!any_h) {
            v[h_fields[i]] = v[w_fields[i]];
            given[h_fields[i]] = given[w_fields[i]];
        }
    }
    /* Per axis: in, out, kernel, stride, pad, dilation. */
    const int axes[2][6] = {{F_IH, F_OH, F_KH, F_SH, F_PH, F_DH},
                            {F_IW, F_OW, F_KW, F_SW, F_PW, F_DW}};
    for (int a = 0; a < 2; a++) {
        const int in = axes[a][0], out = axes[a][1], k = axes[a][2], s = axes[a][3],
                  p = axes[a][4], d = axes[a][5];
        if (!given[in] || !given[k]) {
            snprintf(why, why_len, "%s: missing in '%s'", field_names[given[in] ? k : in],
                     descriptor);
            return KB_ERR_INVALID;
        }
        if (!given[s]) v[s] = 1;
        if (v[s] < 1) {
            snprintf(why, why_len, "%s: %" PRId64 " must be >= 1", field_names[s], v[s]);
            return KB_ERR_INVALID;
        }
        const int64_t effective = kb_conv2d_effective_kernel(v[k], v[d]);
        if (!given[out]) {
            v[out] = kb_conv2d_out_size(v[in], v[k], v[s], v[p], v[d]);
            if (v[out] < 1) {
                snprintf(why, why_len,
                         "%s: output size <= 0 (%s%" PRId64 " with pad %" PRId64
                         " is smaller than the effective kernel %" PRId64 ")",
                         field_names[out], field_names[in], v[in], v[p], effective);
                return KB_ERR_INVALID;
            }
        } else if (!given[p]) {
            int64_t pad = ((v[out] - 1) * v[s] - v[in] + effective) / 2;
            v[p] = pad < 0 ? 0 : pad;
        }
    }
    *shape = (kb_conv2d_shape){
        .batch = given[F_MB] ? v[F_MB] : 2,
        .in_channels = v[F_IC],
        .in_height = v[F_IH],
        .in_width = v[F_IW],
        .out_channels = v[F_OC],
        .out_height = v[F_OH],
        .out_width = v[F_OW],
        .kernel_h = v[F_KH],
        .kernel_w = v[F_KW],
        .stride_h = v[F_SH],
        .stride_w = v[F_SW],
        .pad_top = v[F_PH],
        .pad_left = v[F_PW],
        .dilation_h = v[F_DH],
        .dilation_w = v[F_DW],
    };
    return kb_conv2d_validate(shape, why, why_len);
}

void kb_conv2d_format(const kb_conv2d_shape *s, char *buf, size_t buf_len) {
    const bool square = s->in_width == s->in_height && s->out_width == s->out_height &&
                        s->kernel_w == s->kernel_h && s->stride_w == s->stride_h &&
                        s->pad_left == s->pad_top && s->dilation_w == s->dilation_h;
    int n = snprintf(buf, buf_len, "mb%" PRId64 "ic%" PRId64 "ih%" PRId64, s->batch,
                     s->in_channels, s->in_height);
    if (!square && n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "iw%" PRId64, s->in_width);
    if (n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "oc%" PRId64 "oh%" PRId64, s->out_channels,
                      s->out_height);
    if (!square && n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "ow%" PRId64, s->out_width);
    if (n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "kh%" PRId64, s->kernel_h);
    if (!square && n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "kw%" PRId64, s->kernel_w);
    if ((!square || s->stride_h != 1) && n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "sh%" PRId64, s->stride_h);
    if (!square && n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "sw%" PRId64, s->stride_w);
    if (n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "ph%" PRId64, s->pad_top);
    if (!square && n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "pw%" PRId64, s->pad_left);
    if ((!square || s->dilation_h != 0) && n >= 0 && (size_t)n < buf_len)
        n += snprintf(buf + n, buf_len - n, "dh%" PRId64, s->dilation_h);
    if (!square && n >= 0 && (size_t)n < buf_len)
        snprintf(buf + n, buf_len - n, "dw%" PRId64, s->dilation_w);
}
