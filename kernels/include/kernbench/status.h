/* Status codes returned by every kernbench entry point. */
#ifndef KERNBENCH_STATUS_H
#define KERNBENCH_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kb_status {
    KB_OK = 0,
    KB_ERR_INVALID,     /* a size or argument is out of range */
    KB_ERR_UNSUPPORTED, /* the variant cannot handle this problem (never a silent fallback) */
    KB_ERR_NOMEM,       /* an allocation failed */
    KB_ERR_BACKEND,     /* an external library (oneDNN, OpenBLAS) reported an error */
} kb_status;

const char *kb_status_name(kb_status status);

/* Error messages are one line: replaces every control character of `text`
 * (a newline or tab echoed from the user's input) with '?'. */
void kb_text_one_line(char *text);

#ifdef __cplusplus
}
#endif
#endif
