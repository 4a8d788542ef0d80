/* core/json_out.h: the two JSON value writers every JSON output shares. */
#ifndef XAI_CORE_JSON_OUT_H
#define XAI_CORE_JSON_OUT_H

#include <stdio.h>

/* A JSON string: quotes, backslashes and control characters escaped; other
 * bytes (UTF-8) pass through. */
void xai_json_string(FILE *f, const char *s);

/* A number with `digits` significant digits (9 round-trips a float, 17 a
 * double); NaN and infinities become null. */
void xai_json_number(FILE *f, double v, int digits);

#endif
