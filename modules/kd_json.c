/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * JSON values from what the database returns.  Database text is not
 * trusted to be UTF-8 (a latin1 column, a byte-mangled import): jansson
 * refuses such strings, and a reply that silently dropped the key would
 * change shape, so they become "".  Amounts are written from their exact
 * decimal text, never through a double.
 */

#include <string.h>

#include "kd_json.h"

/*
 * Length of s when it is UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), else -1.  jansson checks the
 * same, a character at a time through function calls; database text is
 * mostly ASCII, which this passes through in one loop.
 */
static long kd_utf8_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (;;) {
        unsigned char c = *p;
        unsigned int cp;
        int n, i;

        if (c < 0x80) {
            if (!c) {
                return (long)(p - (const unsigned char *)s);
            }
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        }
        else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        }
        else {
            return -1;          /* a continuation byte, or C0/C1/F5+ */
        }
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return -1;      /* also stops at the NUL */
            }
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
            || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }
        p += n + 1;
    }
}

json_t *kd_json_str(const char *s)
{
    long n = s ? kd_utf8_len(s) : -1;
    json_t *j = n >= 0 ? json_stringn_nocheck(s, (size_t)n) : NULL;

    return j ? j : json_string("");
}

char *kd_json_amount(char *buf, kd_cents v)
{
    char *end;

    /* 450000.00 is written 450000 and 12.50 is 12.5. */
    kd_money_str(buf, v);
    end = buf + strlen(buf);
    while (end[-1] == '0') {
        *--end = '\0';
    }
    if (end[-1] == '.') {
        *--end = '\0';
    }
    return buf;
}
