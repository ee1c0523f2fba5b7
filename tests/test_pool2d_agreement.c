/* Every registered pool2d variant, forward and backward, against the
 * reference, for all three algorithms on each geometry of the table: odd and
 * prime sizes, windows hanging over every edge, windows entirely in padding,
 * stride below, equal to and above the kernel, 1x1, the kernel as large as
 * the image, and output widths one below, at and one above the vector widths
 * (8 and 16) for strides 1, 2 (the even/odd split) and 3, 4 (gathers);
 * then the separable forward's edge rows and row ring, and the tiled max
 * backward; three shapes over 32 MiB for the streaming stores.
 * Integer inputs (many ties: max bwd must route each one to the first
 * maximum, like the reference) must match exactly for max; real inputs within
 * the bounds in kernels/pool2d/problem.c (max fwd: exactly). Threads 1 and 2. */
#include "agreement.h"

#define ALL_ALGORITHMS(geometry) "max_" geometry, "avg_" geometry, "avg_incl_" geometry

static const char *const shapes[] = {
    ALL_ALGORITHMS("mb1ic1ih1kh1"),                     /* the tiny case */
    ALL_ALGORITHMS("mb2ic3ih5kh2sh2"),                  /* odd: last row and column unused */
    ALL_ALGORITHMS("mb1ic2ih7kh3sh2ph1"),               /* ResNet's pool, small */
    ALL_ALGORITHMS("mb3ic5ih13iw11kh3kw2sh2sw1ph1pw0"), /* primes, non-square */
    ALL_ALGORITHMS("mb1ic2ih9iw11kh3kw4sh1sw2ph1pw2"),  /* stride < kernel: overlaps */
    ALL_ALGORITHMS("mb1ic2ih10iw11kh2kw2sh3sw4"),       /* stride > kernel: gaps */
    ALL_ALGORITHMS("mb1ic3ih5iw6kh1kw1"),               /* 1x1 */
    ALL_ALGORITHMS("mb1ic3ih5kh1sh2"),                  /* 1x1 stride 2 */
    ALL_ALGORITHMS("mb2ic5ih7kh7"),                     /* global (ResNet's avg pool, small) */
    ALL_ALGORITHMS("mb1ic3ih6iw9kh6kw9"),               /* global, non-square */
    ALL_ALGORITHMS("mb1ic2ih6kh4ph3"),                  /* pad 3 of kernel 4: one-tap windows */
    ALL_ALGORITHMS("mb1ic2ih3kh2ph2"),                  /* pad >= kernel: empty windows */
    ALL_ALGORITHMS("mb1ic1ih2iw3kh4kw5ph2pw3"),         /* kernel larger than the input */
    ALL_ALGORITHMS("mb1ic2ih3iw9kh2kw2"),               /* ow 8, stride 1 */
    ALL_ALGORITHMS("mb1ic2ih3iw18kh2kw2"),              /* ow 17 */
    ALL_ALGORITHMS("mb1ic2ih3iw34kh2kw2"),              /* ow 33 */
    ALL_ALGORITHMS("mb1ic2ih4iw30kh2kw2sh2sw2"),        /* ow 15, stride 2 */
    ALL_ALGORITHMS("mb1ic2ih4iw32kh2kw2sh2sw2"),        /* ow 16 */
    ALL_ALGORITHMS("mb1ic2ih4iw66kh2kw2sh2sw2"),        /* ow 33 */
    ALL_ALGORITHMS("mb1ic2ih5iw33kh3kw3sh2sw2ph1pw1"),  /* ow 17, 3x3 stride 2 */
    ALL_ALGORITHMS("mb1ic2ih7iw50kh3kw3sh3sw3ph1pw1"),  /* ow 17, stride 3 */
    ALL_ALGORITHMS("mb1ic2ih7iw40kh5kw5sh4sw4ph2pw2"),  /* stride 4 */
    ALL_ALGORITHMS("mb2ic16ih20kh3sh2ph1"),             /* 32 planes over 2 threads */
    ALL_ALGORITHMS("mb2ic30ih24oh12kh2sh2"),            /* the book's pool, 2 images */
    /* Separable forward: edge rows on both sides around in-place chunks,
     * the ring of H rows reused (kh > sh) and wrapping, kh != kw. */
    ALL_ALGORITHMS("mb1ic2ih9iw70kh3kw3sh2sw2ph1pw1"),  /* ow 35: left edge, interior, tail */
    ALL_ALGORITHMS("mb1ic2ih6iw40kh3kw3ph1pw1"),        /* stride 1, pad 1, ow 40 */
    ALL_ALGORITHMS("mb1ic2ih11iw45kh3kw2sh1sw2ph1pw0"), /* kh 3 over sh 1, kw 2 sw 2 */
    ALL_ALGORITHMS("mb1ic2ih13iw50kh5kw3sh2sw3ph2pw1"), /* ring of 5 at sh 2, stride 3 */
    ALL_ALGORITHMS("mb1ic1ih40iw20kh3kw3ph1pw1"),       /* 1 plane: bands of rows */
    /* Rows narrower than a vector in bands of a few rows: a partial last
     * vector stored whole while the rest of its band lies after it, masked
     * near the band's end (kept out of the next band and plane). */
    ALL_ALGORITHMS("mb1ic1ih30iw5kh2kw2"),              /* ow 4, bands of 4 to 8 rows */
    ALL_ALGORITHMS("mb1ic1ih30iw11kh3kw3sh2sw2ph1pw1"), /* ow 6, stride 2 */
    /* 2x2 stride 2 without padding: both rows at once, the last chunk overlapping. */
    ALL_ALGORITHMS("mb1ic3ih9iw33kh2kw2sh2sw2"),        /* ow 16: last row, column unused */
    ALL_ALGORITHMS("mb2ic3ih6iw64kh2kw2sh2sw2"),        /* ow 32 */
    /* Tiled max backward (2 wide, stride 2, kh = sh, no padding): tails,
     * an uncovered last column and last row, kh 3. */
    ALL_ALGORITHMS("mb1ic3ih8iw36kh2kw2sh2sw2"),        /* ow 18 */
    ALL_ALGORITHMS("mb1ic2ih9iw37kh2kw2sh2sw2"),        /* odd: row 8, column 36 unused */
    ALL_ALGORITHMS("mb1ic2ih10iw35kh3kw2sh3sw2"),       /* kh 3 at sh 3 */
    ALL_ALGORITHMS("mb1ic2ih8iw34kh2kw2sh2sw2ph1pw1"),  /* 2x2 stride 2 with padding */
    /* Gathered max backward (stride 2 across, overlapping or padded):
     * input rows not a multiple of 16 or 32 wide (odd, tails of 1..15),
     * even and odd left pads, kw 2, 4, 5, up to 3 output rows covering an
     * input row, uncovered rows (sh > kh), no in-place chunk at all. */
    ALL_ALGORITHMS("mb1ic2ih11iw113kh3kw3sh2sw2ph1pw1"), /* ResNet's pool, odd width */
    ALL_ALGORITHMS("mb1ic2ih9iw47kh3kw3sh2sw2ph0pw0"),   /* no padding */
    ALL_ALGORITHMS("mb1ic2ih9iw50kh3kw4sh2sw2ph2pw2"),   /* even pad 2, kw 4 */
    ALL_ALGORITHMS("mb1ic2ih12iw61kh5kw5sh1sw2ph2pw2"),  /* 5 rows cover: 3 at sh 1 */
    ALL_ALGORITHMS("mb1ic2ih9iw40kh3kw2sh2sw2ph1pw1"),   /* kw 2 sw 2, kh 3 overlaps */
    ALL_ALGORITHMS("mb1ic2ih13iw45kh2kw3sh4sw2ph1pw1"),  /* sh > kh: uncovered rows */
    ALL_ALGORITHMS("mb1ic2ih7iw9kh3kw5sh2sw2ph2pw3"),    /* narrow: edge chunks only */
    ALL_ALGORITHMS("mb2ic3ih32iw32kh3kw3sh2sw2ph1pw1"),  /* whole 16-column chunks */
    ALL_ALGORITHMS("mb1ic2ih9iw56kh3kw3sh2sw2ph1pw1"),   /* ResNet's on 56: ow 28 */
};

/* Calls touching over 32 MiB: streaming stores (core/stream.h) in the
 * separable forward, the tiled and gathered max backward and the gathered avg
 * backward; the odd width starts rows off the 32-byte grid. Real-valued
 * inputs only, not in the sanitizer pass (kb_agreement_large). */
static const char *const large_shapes[] = {
    "max_mb10ic64ih112kh3sh2ph1",
    "max_mb10ic64ih112kh2sh2",
    "avg_mb5ic64ih127kh3sh1ph1",
};

int main(void) {
    kb_agreement_large(KB_KERNEL_POOL2D, large_shapes, sizeof large_shapes / sizeof large_shapes[0]);
    return kb_agreement_run(KB_KERNEL_POOL2D, shapes, sizeof shapes / sizeof shapes[0]);
}
