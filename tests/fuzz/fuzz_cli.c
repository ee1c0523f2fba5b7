/* libFuzzer target: the bench command line. The input is split at newlines
 * into argv. Properties: kb_options_parse returns 0 or 2, a refusal is one
 * non-empty line; an accepted --shape list resolves or is refused the same
 * way. No crash, no sanitizer report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shapes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[33] = {"bench"};
    int argc = 1;
    for (char *line = text; argc < 32;) {
        argv[argc++] = line;
        char *newline = strchr(line, '\n');
        if (!newline) break;
        *newline = '\0';
        line = newline + 1;
    }
    kb_options options;
    char why[1024] = "";
    const int rc = kb_options_parse(argc, argv, 2, 4, &options, why, sizeof why);
    if (rc != 0 && rc != 2) abort();
    if (rc == 2 && (why[0] == '\0' || strchr(why, '\n'))) abort();
    if (rc == 0 && options.kernel_given && !options.help && !options.compare_base) {
        const char *spec = options.shape_spec ? options.shape_spec
                                              : kb_shape_default_set(options.kernel);
        kb_shape_list shapes;
        if (spec) {
            why[0] = '\0';
            if (kb_shapes_resolve(options.kernel, spec, options.batch, &shapes, why, sizeof why) ==
                KB_OK)
                kb_shape_list_free(&shapes);
            else if (why[0] == '\0' || strchr(why, '\n'))
                abort();
        }
    }
    free(text);
    return 0;
}
