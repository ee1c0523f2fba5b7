/* Every registered conv2d variant, in every direction, against the reference,
 * on a table of shapes
 * chosen to hit every edge: 1x1 to 7x7 kernels, pads 0-3, strides 1-3,
 * dilation, channel counts and widths that are not multiples of the vector
 * tiles, batch 1 and 3, the 1x1x1x1 case and ResNet-50 layers.
 * Integer-valued inputs must match exactly; real-valued inputs within the
 * bound documented in bench/check.h. Threads 1 and 2. A variant the CPU or
 * the build cannot run is reported as skipped, with the reason. */
#include "agreement.h"

static const char *const shapes[] = {
    /* 1x1 */
    "mb1ic1ih1oc1oh1kh1ph0",             /* the tiny case */
    "mb1ic16ih10oc8oh10kh1ph0",
    "mb3ic7ih5iw11oc17oh5ow11kh1kw1ph0pw0",
    "mb1ic17ih9oc7oh5kh1sh2ph0",         /* strided 1x1, odd sizes */
    "mb1ic8ih7oc16oh9kh1ph1",            /* padded 1x1: border is bias only */
    /* 3x3 */
    "mb1ic3ih16oc8oh16kh3ph1",
    "mb1ic1ih5oc1oh5kh3ph1",
    "mb3ic7ih9oc17oh9kh3ph1",
    "mb1ic17ih13oc7oh11kh3ph0",
    "mb2ic8ih12oc16oh6kh3sh2ph1",
    "mb1ic5ih15oc9oh5kh3sh3ph1",         /* stride 3 */
    "mb1ic4ih20oc15oh20kh3ph1",          /* ow = 20: not a multiple of 8 or 16 */
    "mb1ic3ih33oc33oh33kh3ph1",          /* ow = 33: one past 32 */
    "mb1ic2ih18oc9oh16kh3ph0",           /* ow = 16 exactly */
    "mb1ic2ih25oc9oh23kh3ph0",           /* ow = 23: one below 24 */
    "mb1ic5ih13oc7oh9kh3ph0dh1",         /* dilation 1 (every other tap) */
    "mb1ic3ih14oc5oh14kh3ph3dh2",        /* dilation 2, pad 3 */
    "mb1ic3ih6oc4oh10kh3ph3",            /* pad 3 > kernel: rows of padding only */
    /* 5x5 and 7x7 */
    "mb1ic1ih28oc30oh24kh5ph0",          /* the book's SimpleConvNet layer */
    "mb1ic4ih9oc5oh5kh5ph0",
    "mb3ic3ih11oc6oh11kh5ph2",
    "mb1ic3ih32oc8oh16kh7sh2ph3",        /* the ResNet stem, small */
    "mb1ic3ih31oc7oh16kh7sh2ph3",        /* odd input: bottom pad smaller than top */
    "mb1ic2ih8oc3oh4kh7ph1",             /* kernel wider than the input minus pad */
    /* non-square everything */
    "mb1ic3ih7iw19oc5oh4ow10kh3kw2sh2sw2ph1pw1dh0dw0",
    "mb2ic5ih12iw9oc6oh6ow9kh5kw1sh2sw1ph2pw0dh0dw0",
    "mb1ic3ih10iw17oc4oh10ow5kh1kw5sh1sw3ph0pw2dh0dw1",
    "mb1ic7ih6iw40oc17oh2ow38kh5kw3sh1sw1ph0pw0dh0dw0",
    /* channel counts 1, 3, 7, 17 in and out */
    "mb1ic17ih8oc1oh8kh3ph1",
    "mb1ic1ih8oc17oh8kh3ph1",
    "mb3ic7ih7oc3oh4kh3sh2ph1",
    /* two ResNet-50 layers at batch 1 */
    "mb1ic512ih7oc512oh7kh3ph1",         /* res5a_branch2b */
    "mb1ic1024ih14oc256oh14kh1ph0",      /* res4b_branch2a */
};

int main(void) {
    return kb_agreement_run(KB_KERNEL_CONV2D, shapes, sizeof shapes / sizeof shapes[0]);
}
