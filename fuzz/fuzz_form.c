/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * libFuzzer target: kd_form_parse_urlencoded, kd_form_parse_json and
 * kd_utf8_valid.  Whatever a decoder accepts must obey the limits and
 * promises of kd_form.h: non-empty NUL-free UTF-8 keys, values of vlen
 * bytes with a NUL after them, no key twice, no more than max_fields.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kd_form.h"
#include "kd_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXF 16

static const kd_form_limits limits = { MAXF, 64, 256 };

/* The accepted fields, all inside [lo, hi). */
static void check_fields(const kd_field *f, size_t n, const char *lo,
                         const char *hi)
{
    size_t i, j, klen;

    if (n > limits.max_fields) {
        abort();
    }
    for (i = 0; i < n; i++) {
        if (f[i].key < lo || f[i].key >= hi || f[i].val < lo
            || f[i].val >= hi || (size_t)(hi - f[i].val) <= f[i].vlen) {
            abort();
        }
        klen = strlen(f[i].key);
        if (klen == 0 || klen > limits.max_key
            || f[i].vlen > limits.max_value
            || f[i].val[f[i].vlen] != '\0'
            || memchr(f[i].val, '\0', f[i].vlen) != NULL
            || !kd_utf8_valid(f[i].key, klen)
            || !kd_utf8_valid(f[i].val, f[i].vlen)) {
            abort();
        }
        for (j = 0; j < i; j++) {
            if (strcmp(f[i].key, f[j].key) == 0) {
                abort();
            }
        }
    }
}

/* A second, slow reading of UTF-8 to hold kd_utf8_valid to. */
static int utf8_reference(const uint8_t *s, size_t n)
{
    size_t i = 0, k, len;
    unsigned long cp;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xe0) == 0xc0) {
            len = 2;
            cp = s[i] & 0x1f;
        }
        else if ((s[i] & 0xf0) == 0xe0) {
            len = 3;
            cp = s[i] & 0x0f;
        }
        else if ((s[i] & 0xf8) == 0xf0) {
            len = 4;
            cp = s[i] & 0x07;
        }
        else {
            return 0;
        }
        if (n - i < len) {
            return 0;
        }
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800)
            || (len == 4 && cp < 0x10000) || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += len;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kd_field fields[MAXF];
    char *buf, *arena;
    size_t n;

    if (size > 65536) {
        return 0;
    }
    /* len + 1 bytes: the decoder may write its terminator at buf[len]. */
    buf = malloc(size + 1);
    arena = malloc(2 * size + 16);
    if (buf == NULL || arena == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(buf, data, size);
    }
    /* Not a NUL: the decoders must not rely on one being there. */
    buf[size] = 'Z';

    if (kd_utf8_valid(buf, size) != utf8_reference((const uint8_t *)buf,
                                                   size)) {
        abort();
    }

    /* The JSON decoder first, as the other one changes buf. */
    if (kd_form_parse_json(buf, size, &limits, arena, 2 * size + 16,
                           fields, &n) == KD_FORM_OK) {
        check_fields(fields, n, arena, arena + 2 * size + 16);
    }
    else if (n != 0) {
        abort();
    }
    if (kd_form_parse_urlencoded(buf, size, &limits, fields, &n)
        == KD_FORM_OK) {
        check_fields(fields, n, buf, buf + size + 1);
    }
    else if (n != 0) {
        abort();
    }
    free(arena);
    free(buf);
    return 0;
}
