/* Shape-set and descriptor resolution. */
#include "shapes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const kb_shape_set_text *find_set(kb_kernel kernel, const char *name, size_t name_len) {
    for (const kb_shape_set_text *set = kb_shape_set_texts; set->kernel; set++)
        if (strcmp(set->kernel, kb_kernel_name(kernel)) == 0 && strlen(set->name) == name_len &&
            strncmp(set->name, name, name_len) == 0)
            return set;
    return NULL;
}

const char *kb_shape_default_set(kb_kernel kernel) {
    static const char *const preferred[] = {"resnet50", "square", "book"};
    for (size_t i = 0; i < sizeof preferred / sizeof preferred[0]; i++)
        if (find_set(kernel, preferred[i], strlen(preferred[i]))) return preferred[i];
    for (const kb_shape_set_text *set = kb_shape_set_texts; set->kernel; set++)
        if (strcmp(set->kernel, kb_kernel_name(kernel)) == 0) return set->name;
    return NULL;
}

void kb_shape_set_names(kb_kernel kernel, char *buf, size_t buf_len) {
    size_t used = 0;
    buf[0] = '\0';
    for (const kb_shape_set_text *set = kb_shape_set_texts; set->kernel; set++) {
        if (strcmp(set->kernel, kb_kernel_name(kernel)) != 0) continue;
        int n = snprintf(buf + used, buf_len - used, "%s%s", used ? ", " : "", set->name);
        if (n < 0 || (size_t)n >= buf_len - used) break;
        used += (size_t)n;
    }
}

static kb_status append(kb_shape_list *list, size_t *capacity, const kb_shape *shape) {
    if (list->count == *capacity) {
        size_t grown = *capacity ? 2 * *capacity : 16;
        kb_shape *items = realloc(list->items, grown * sizeof *items);
        if (!items) return KB_ERR_NOMEM;
        list->items = items;
        *capacity = grown;
    }
    list->items[list->count++] = *shape;
    return KB_OK;
}

/* Parses one descriptor (with an optional trailing n"label") into `shape`. */
static kb_status parse_one(kb_kernel kernel, const char *text, int64_t batch, kb_shape *shape,
                           char *why, size_t why_len) {
    memset(shape, 0, sizeof *shape);
    /* Any direction the kernel has: the shape is checked for each requested one later. */
    shape->problem.direction = KB_DIR_FWD;
    while (!kb_kernel_has_direction(kernel, shape->problem.direction) &&
           shape->problem.direction + 1 < KB_DIR_COUNT)
        shape->problem.direction++;
    kb_status status = kb_problem_parse(kernel, text, &shape->problem, why, why_len);
    if (status != KB_OK) return status;
    if (batch > 0) {
        if (!kb_problem_set_batch(&shape->problem, batch)) {
            snprintf(why, why_len, "--batch: %s shapes have no batch", kb_kernel_name(kernel));
            return KB_ERR_INVALID;
        }
        status = kb_problem_validate(&shape->problem, why, why_len);
        if (status != KB_OK) return status;
    }
    const char *label = strstr(text, "n\"");
    if (label) {
        label += 2;
        size_t len = strcspn(label, "\"");
        if (len >= sizeof shape->label) len = sizeof shape->label - 1;
        memcpy(shape->label, label, len);
    }
    kb_problem_format(&shape->problem, shape->descriptor, sizeof shape->descriptor);
    return KB_OK;
}

static kb_status add_set(kb_kernel kernel, const kb_shape_set_text *set, int64_t batch,
                         kb_shape_list *out, size_t *capacity, char *why, size_t why_len) {
    const char *line = set->text;
    int line_number = 0;
    while (*line) {
        line_number++;
        size_t len = strcspn(line, "\n");
        char buf[256];
        size_t start = 0;
        while (start < len && (line[start] == ' ' || line[start] == '\t')) start++;
        size_t end = len;
        const char *hash = memchr(line, '#', len);
        if (hash) end = (size_t)(hash - line);
        while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t' ||
                               line[end - 1] == '\r'))
            end--;
        if (end > start) {
            if (end - start >= sizeof buf) {
                snprintf(why, why_len, "shape: line %d of set %s is too long", line_number,
                         set->name);
                return KB_ERR_INVALID;
            }
            memcpy(buf, line + start, end - start);
            buf[end - start] = '\0';
            kb_shape shape;
            char inner[200];
            kb_status status = parse_one(kernel, buf, batch, &shape, inner, sizeof inner);
            if (status == KB_OK) status = append(out, capacity, &shape);
            if (status != KB_OK) {
                snprintf(why, why_len, "shape: set %s line %d: %s", set->name, line_number,
                         status == KB_ERR_NOMEM ? "out of memory" : inner);
                return status;
            }
        }
        line += len;
        if (*line == '\n') line++;
    }
    return KB_OK;
}

kb_status kb_shapes_resolve(kb_kernel kernel, const char *spec, int64_t batch,
                            kb_shape_list *out, char *why, size_t why_len) {
    out->items = NULL;
    out->count = 0;
    size_t capacity = 0;
    const char *item = spec;
    for (;;) {
        size_t len = strcspn(item, ",");
        kb_status status = KB_OK;
        if (len == 0) {
            snprintf(why, why_len, "shape: empty item in '%s'", spec);
            status = KB_ERR_INVALID;
        } else if (len >= 256) {
            snprintf(why, why_len, "shape: item longer than 255 characters in --shape");
            status = KB_ERR_INVALID;
        } else {
            const kb_shape_set_text *set = find_set(kernel, item, len);
            if (set) {
                status = add_set(kernel, set, batch, out, &capacity, why, why_len);
            } else {
                char text[256], inner[200];
                memcpy(text, item, len);
                text[len] = '\0';
                kb_shape shape;
                status = parse_one(kernel, text, batch, &shape, inner, sizeof inner);
                if (status == KB_OK) status = append(out, &capacity, &shape);
                if (status != KB_OK) {
                    char sets[128];
                    kb_shape_set_names(kernel, sets, sizeof sets);
                    snprintf(why, why_len, "shape: '%s' is neither a %s shape set (%s) nor a valid descriptor (%s)",
                             text, kb_kernel_name(kernel), sets,
                             status == KB_ERR_NOMEM ? "out of memory" : inner);
                }
            }
        }
        if (status != KB_OK) {
            kb_text_one_line(why);
            kb_shape_list_free(out);
            return status;
        }
        if (item[len] == '\0') break;
        item += len + 1;
    }
    return KB_OK;
}

void kb_shape_list_free(kb_shape_list *list) {
    free(list->items);
    list->items = NULL;
    list->count = 0;
}
