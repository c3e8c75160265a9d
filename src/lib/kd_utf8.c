/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * kd_utf8.c: one UTF-8 validator for the two places text crosses a
 * trust boundary: decoded request bodies (kd_form.c) and database text
 * on its way into a reply (kd_json.c).  Both are mostly ASCII, which
 * each loop passes a byte at a time without a call.
 */

#include <stdint.h>

#include "kd_utf8.h"

/*
 * Bytes taken by the multi-byte sequence at p, of which at most avail
 * may be read, or 0 when it is not a valid one.  The second byte's range
 * is what excludes overlong forms (C0, C1, E0 80-9F, F0 80-8F),
 * surrogates (ED A0-BF) and code points above U+10FFFF (F4 90-BF,
 * F5-FF).  A NUL is never a continuation byte, so reading stops at one.
 */
static size_t kd_utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xbf;
    size_t need, k;

    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    }
    else if (c == 0xe0) {
        need = 2;
        lo = 0xa0;
    }
    else if (c == 0xed) {
        need = 2;
        hi = 0x9f;
    }
    else if (c >= 0xe1 && c <= 0xef) {
        need = 2;
    }
    else if (c == 0xf0) {
        need = 3;
        lo = 0x90;
    }
    else if (c >= 0xf1 && c <= 0xf3) {
        need = 3;
    }
    else if (c == 0xf4) {
        need = 3;
        hi = 0x8f;
    }
    else {
        return 0;               /* a continuation byte, or C0/C1/F5+ */
    }
    if (avail <= need || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (k = 2; k <= need; k++) {
        if (p[k] < 0x80 || p[k] > 0xbf) {
            return 0;
        }
    }
    return need + 1;
}

int kd_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        if (!(k = kd_utf8_seq(p + i, n - i))) {
            return 0;
        }
        i += k;
    }
    return 1;
}

long kd_utf8_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k;

    while (*p) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (!(k = kd_utf8_seq(p, SIZE_MAX))) {
            return -1;
        }
        p += k;
    }
    return (long)(p - (const unsigned char *)s);
}
