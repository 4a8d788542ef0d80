/* core/json_in.c: a recursive-descent JSON reader (core/json_in.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "json_in.h"

typedef struct parser {
    const char *s, *end, *path;
    const char *line_start;
    size_t line;
} parser;

static xai_status perr(parser *p, const char *what)
{
    return xai_fail(XAI_ERR_PARSE, "%s:%zu:%zu: malformed JSON: %s", p->path, p->line,
                    (size_t)(p->s - p->line_start) + 1, what);
}

static void skip_ws(parser *p)
{
    while (p->s < p->end) {
        char c = *p->s;
        if (c == '\n') {
            p->line++;
            p->line_start = p->s + 1;
        } else if (c != ' ' && c != '\t' && c != '\r')
            return;
        p->s++;
    }
}

static void value_free(json_value *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        value_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

void json_free(json_value *v)
{
    if (!v)
        return;
    value_free(v);
    free(v);
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* A string at p->s (the opening quote) into a new buffer. */
static xai_status parse_string(parser *p, char **out)
{
    p->s++;
    const char *q = p->s;
    while (q < p->end && *q != '"') /* the decoded text is never longer */
        q += *q == '\\' && q + 1 < p->end ? 2 : 1;
    if (q >= p->end)
        return perr(p, "unterminated string");
    char *b = malloc((size_t)(q - p->s) + 1), *o = b;
    if (!b)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading JSON", p->path);
    while (p->s < q) {
        unsigned char c = (unsigned char)*p->s++;
        if (c < 0x20) {
            free(b);
            p->s--;
            return perr(p, "control character in a string");
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        char e = *p->s++;
        unsigned u;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if (q - p->s < 4 || !hex4(p->s, &u)) {
                free(b);
                return perr(p, "bad \\u escape");
            }
            p->s += 4;
            /* a code unit as UTF-8 (a surrogate pair stays two units; model
             * files use ASCII names) */
            if (u < 0x80)
                *o++ = (char)u;
            else if (u < 0x800) {
                *o++ = (char)(0xc0 | (u >> 6));
                *o++ = (char)(0x80 | (u & 0x3f));
            } else {
                *o++ = (char)(0xe0 | (u >> 12));
                *o++ = (char)(0x80 | ((u >> 6) & 0x3f));
                *o++ = (char)(0x80 | (u & 0x3f));
            }
            break;
        default:
            free(b);
            return perr(p, "unknown escape in a string");
        }
    }
    *o = '\0';
    p->s = q + 1;
    *out = b;
    return XAI_OK;
}

static xai_status parse_number(parser *p, json_value *v)
{
    const char *q = p->s;
    if (q < p->end && *q == '-')
        q++;
    if (q >= p->end || *q < '0' || *q > '9')
        return perr(p, "unexpected character");
    while (q < p->end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
                          *q == 'E' || *q == '+' || *q == '-'))
        q++;
    char buf[64];
    size_t len = (size_t)(q - p->s);
    if (len >= sizeof buf)
        return perr(p, "number too long");
    memcpy(buf, p->s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    v->num = strtod(buf, &end);
    if (*end || errno == ERANGE)
        return perr(p, errno == ERANGE ? "number out of range" : "malformed number");
    v->kind = JSON_NUMBER;
    p->s = q;
    return XAI_OK;
}

static xai_status parse_value(parser *p, json_value *v, int depth);

/* Appends a zeroed slot to v's items (and keys for objects). */
static xai_status grow(parser *p, json_value *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t c = *cap ? 2 * *cap : 4;
        json_value *it = realloc(v->items, c * sizeof *it);
        if (!it)
            return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading JSON", p->path);
        v->items = it;
        if (v->kind == JSON_OBJECT) {
            char **k = realloc(v->keys, c * sizeof *k);
            if (!k)
                return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading JSON", p->path);
            v->keys = k;
        }
        *cap = c;
    }
    memset(&v->items[v->n], 0, sizeof v->items[0]);
    if (v->kind == JSON_OBJECT)
        v->keys[v->n] = NULL;
    v->n++;
    return XAI_OK;
}

static xai_status parse_container(parser *p, json_value *v, int depth)
{
    int obj = *p->s == '{';
    char close = obj ? '}' : ']';
    v->kind = obj ? JSON_OBJECT : JSON_ARRAY;
    if (depth >= JSON_MAX_DEPTH)
        return perr(p, "nested deeper than 64 levels");
    p->s++;
    skip_ws(p);
    size_t cap = 0;
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return XAI_OK;
    }
    for (;;) {
        XAI_TRY(grow(p, v, &cap));
        skip_ws(p);
        if (obj) {
            if (p->s >= p->end || *p->s != '"')
                return perr(p, "expected a member name");
            XAI_TRY(parse_string(p, &v->keys[v->n - 1]));
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':')
                return perr(p, "expected ':'");
            p->s++;
            skip_ws(p);
        }
        XAI_TRY(parse_value(p, &v->items[v->n - 1], depth + 1));
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return XAI_OK;
        }
        if (p->s >= p->end)
            return perr(p, "unexpected end of input");
        return perr(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int literal(parser *p, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return 0;
    p->s += n;
    return 1;
}

static xai_status parse_value(parser *p, json_value *v, int depth)
{
    skip_ws(p);
    if (p->s >= p->end)
        return perr(p, "unexpected end of input");
    switch (*p->s) {
    case '{':
    case '[':
        return parse_container(p, v, depth);
    case '"':
        v->kind = JSON_STRING;
        return parse_string(p, &v->str);
    case 't':
    case 'f':
    case 'n':
        if (literal(p, "true"))
            v->kind = JSON_BOOL, v->num = 1;
        else if (literal(p, "false"))
            v->kind = JSON_BOOL, v->num = 0;
        else if (literal(p, "null"))
            v->kind = JSON_NULL;
        else
            return perr(p, "unexpected word");
        return XAI_OK;
    default:
        return parse_number(p, v);
    }
}

xai_status json_parse(const char *text, size_t len, const char *path, json_value **out)
{
    *out = NULL;
    parser p = {text, text + len, path, text, 1};
    json_value *v = calloc(1, sizeof *v);
    if (!v)
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading JSON", path);
    xai_status s = parse_value(&p, v, 0);
    if (s == XAI_OK) {
        skip_ws(&p);
        if (p.s != p.end)
            s = perr(&p, "text after the value");
    }
    if (s != XAI_OK) {
        json_free(v);
        return s;
    }
    *out = v;
    return XAI_OK;
}

xai_status json_parse_file(const char *path, size_t max_bytes, json_value **out)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return xai_fail(XAI_ERR_IO, "%s: cannot open model: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return xai_fail(XAI_ERR_IO, "%s: cannot read model: is not a regular file", path);
    if ((uint64_t)st.st_size > max_bytes)
        return xai_fail(XAI_ERR_IO, "%s: %lld bytes, above the limit of %zu for a "
                        "JSON model", path, (long long)st.st_size, max_bytes);
    FILE *f = fopen(path, "rb");
    if (!f)
        return xai_fail(XAI_ERR_IO, "%s: cannot open model: %s", path, strerror(errno));
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return xai_fail(XAI_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, size);
    }
    size_t got = fread(buf, 1, size, f);
    fclose(f);
    if (got != size) {
        free(buf);
        return xai_fail(XAI_ERR_IO, "%s: read %zu of %zu bytes", path, got, size);
    }
    xai_status s = json_parse(buf, size, path, out);
    free(buf);
    return s;
}

const json_value *json_get(const json_value *v, const char *key)
{
    if (!v || v->kind != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            return &v->items[i];
    return NULL;
}
