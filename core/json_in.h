/* core/json_in.h: a small JSON reader (RFC 8259) into a tree of values,
 * for model files (XGBoost's save_model JSON).  Errors name the file, line
 * and column; nesting deeper than JSON_MAX_DEPTH is refused. */
#ifndef XAI_CORE_JSON_IN_H
#define XAI_CORE_JSON_IN_H

#include <stddef.h>

#include <xai/base.h>

#define JSON_MAX_DEPTH 64

typedef enum json_kind {
    JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_kind;

typedef struct json_value {
    json_kind kind;
    double num;               /* JSON_NUMBER; JSON_BOOL: 0 or 1 */
    char *str;                /* JSON_STRING (NUL-terminated, UTF-8) */
    size_t n;                 /* array items or object members */
    struct json_value *items; /* n values */
    char **keys;              /* JSON_OBJECT: n keys */
} json_value;

/* Parses text[0..len) (one value, surrounded by white space only). */
xai_status json_parse(const char *text, size_t len, const char *path,
                      json_value **out);

/* Reads and parses a file of at most max_bytes. */
xai_status json_parse_file(const char *path, size_t max_bytes, json_value **out);

void json_free(json_value *v);

/* The member `key` of an object, or NULL (also when v is not an object). */
const json_value *json_get(const json_value *v, const char *key);

#endif
