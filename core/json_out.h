/* core/json_out.h: the two JSON value writers every JSON output shares. */
#ifndef XAI_CORE_JSON_OUT_H
#define XAI_CORE_JSON_OUT_H

#include <stdio.h>

/* A JSON string, always valid UTF-8 and never truncated: quotes,
 * backslashes and control characters escaped; well-formed UTF-8 passes
 * through; every byte that is not part of a well-formed UTF-8 sequence
 * (e.g. a Latin-1 header name) becomes U+FFFD, written as \ufffd. */
void xai_json_string(FILE *f, const char *s);

/* 1 if s is well-formed UTF-8 (RFC 3629), else 0. */
int xai_utf8_valid(const char *s);

/* A number with `digits` significant digits (9 round-trips a float, 17 a
 * double); NaN and infinities become null. */
void xai_json_number(FILE *f, double v, int digits);

#endif
