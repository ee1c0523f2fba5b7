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
 * (the tokens and these rules are core/descriptor.h's, shared with pool2d).
 * The result is then validated (an output size that does not follow from the
 * other sizes is an error naming the field). */
#include <inttypes.h>
#include <stdio.h>

#include "conv2d.h"
#include "core/descriptor.h"

/* clang-format off */
enum { F_G, F_MB, F_IC, F_IH, F_IW, F_OC, F_OH, F_OW, F_KH, F_KW, F_SH, F_SW, F_PH, F_PW,
       F_DH, F_DW, F_COUNT };
/* clang-format on */

kb_status kb_conv2d_parse(const char *descriptor, kb_conv2d_shape *shape, char *why,
                          size_t why_len) {
    kb_desc_field f[F_COUNT] = {
        [F_G] = {"g"},   [F_MB] = {"mb"}, [F_IC] = {"ic"}, [F_IH] = {"ih"},
        [F_IW] = {"iw"}, [F_OC] = {"oc"}, [F_OH] = {"oh"}, [F_OW] = {"ow"},
        [F_KH] = {"kh"}, [F_KW] = {"kw"}, [F_SH] = {"sh"}, [F_SW] = {"sw"},
        [F_PH] = {"ph"}, [F_PW] = {"pw"}, [F_DH] = {"dh"}, [F_DW] = {"dw"},
    };
    kb_status status = kb_desc_parse(descriptor, f, F_COUNT, why, why_len);
    if (status != KB_OK) return status;
    if (f[F_G].given && f[F_G].value != 1) {
        snprintf(why, why_len, "g: %" PRId64 " groups are not supported (only g1)", f[F_G].value);
        return KB_ERR_INVALID;
    }
    if (!f[F_IC].given || !f[F_OC].given) {
        snprintf(why, why_len, "%s: missing in '%s'", f[F_IC].given ? "oc" : "ic", descriptor);
        return KB_ERR_INVALID;
    }
    const kb_desc_axis axes[2] = {{F_IH, F_OH, F_KH, F_SH, F_PH, F_DH},
                                  {F_IW, F_OW, F_KW, F_SW, F_PW, F_DW}};
    status = kb_desc_window_axes(f, axes, descriptor, why, why_len);
    if (status != KB_OK) return status;
    int64_t v[F_COUNT];
    for (int i = 0; i < F_COUNT; i++) v[i] = f[i].value;
    *shape = (kb_conv2d_shape){
        .batch = f[F_MB].given ? v[F_MB] : 2,
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
    int n = snprintf(buf, buf_len, "mb%" PRId64 "ic%" PRId64 "ih%" PRId64, s->batch, s->in_channels,
                     s->in_height);
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
