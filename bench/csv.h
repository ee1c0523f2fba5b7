/* The CSV report: one header, rows appended whole.
 *   - A new file is written under a temporary name and linked into place, so
 *     readers never see a file without its header.
 *   - Appends take an exclusive advisory lock (flock) and write each batch of
 *     rows with one write(), so concurrent bench runs never interleave lines
 *     and a run killed midway leaves only complete rows.
 *   - An existing file whose header differs is never appended to. */
#ifndef KB_CSV_H
#define KB_CSV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The columns, in order (documented in results/README.md). */
extern const char kb_csv_header[];

/* Checks before anything runs that `path` can take our rows: its directory
 * exists (created when it is the default results/ folder: `create_dir`), and an
 * existing file starts with kb_csv_header. Returns 0, or 2 with one line. */
int kb_csv_check(const char *path, int create_dir, char *why, size_t why_len);

/* Appends `rows` (complete lines, each ending in '\n'). Returns 0, or 1 with
 * one line in `why`. */
int kb_csv_append(const char *path, const char *rows, char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
#endif
