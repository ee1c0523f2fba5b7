#ifndef KB_SHAPES_H
#define KB_SHAPES_H
typedef struct kb_shape_set_text { const char *kernel, *name, *text; } kb_shape_set_text;
extern const kb_shape_set_text kb_shape_set_texts[];
#endif
