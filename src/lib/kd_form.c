/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * kd_form.c: strict request-body decoders.
 *
 * Anything ambiguous is refused rather than guessed at: a key given twice
 * (which one wins differs between PHP, WHMCS and us), a NUL that C string
 * handling would cut short, bytes that are not UTF-8, nested JSON.
 */

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "kd_form.h"
#include "kd_utf8.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/*
 * Decode n bytes at s in place and NUL-terminate the result at s[*outlen]
 * (never past s[n], as decoding only shrinks).  A NUL, raw or escaped,
 * is refused: the result is used as a C string.
 */
static kd_form_status url_decode(char *s, size_t n, size_t *outlen)
{
    size_t i = 0, o = 0;
    int hi, lo;

    while (i < n) {
        char c = s[i];

        if (c == '+') {
            c = ' ';
            i++;
        }
        else if (c == '%') {
            if (n - i < 3 || (hi = hex_value(s[i + 1])) < 0
                || (lo = hex_value(s[i + 2])) < 0) {
                return KD_FORM_SYNTAX;
            }
            c = (char)((hi << 4) | lo);
            i += 3;
        }
        else {
            i++;
        }
        if (c == '\0') {
            return KD_FORM_NUL;
        }
        s[o++] = c;
    }
    s[o] = '\0';
    *outlen = o;
    return KD_FORM_OK;
}

/* Linear search: there are at most max_fields keys, a few dozen. */
static int key_seen(const kd_field *fields, size_t n, const char *key)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(fields[i].key, key) == 0) {
            return 1;
        }
    }
    return 0;
}

kd_form_status kd_form_parse_urlencoded(char *buf, size_t len,
                                        const kd_form_limits *limits,
                                        kd_field *fields, size_t *nfields)
{
    char *p = buf, *end = buf + len;
    size_t count = 0;

    if (nfields != NULL) {
        *nfields = 0;
    }
    if (buf == NULL || limits == NULL || nfields == NULL
        || (fields == NULL && limits->max_fields > 0)) {
        return KD_FORM_SYNTAX;
    }
    while (p < end) {
        char *amp = memchr(p, '&', (size_t)(end - p));
        char *pend = amp != NULL ? amp : end;
        char *eq, *kend, *val;
        size_t klen, vlen = 0;
        kd_form_status st;

        if (pend == p) {
            /* "&&" or a trailing '&': nothing between, nothing lost. */
            p = pend + 1;
            continue;
        }
        if (count >= limits->max_fields) {
            return KD_FORM_TOO_MANY;
        }
        eq = memchr(p, '=', (size_t)(pend - p));
        kend = eq != NULL ? eq : pend;
        if (kend == p) {
            return KD_FORM_SYNTAX;
        }
        /*
         * Both terminators land on or before the '=' or '&' already found
         * (or on buf[len]), so nothing still to be scanned is overwritten.
         */
        st = url_decode(p, (size_t)(kend - p), &klen);
        if (st != KD_FORM_OK) {
            return st;
        }
        if (eq != NULL) {
            val = eq + 1;
            st = url_decode(val, (size_t)(pend - val), &vlen);
            if (st != KD_FORM_OK) {
                return st;
            }
        }
        else {
            /* The key's own terminator: an empty value. */
            val = p + klen;
        }
        if (klen > limits->max_key || vlen > limits->max_value) {
            return KD_FORM_TOO_LONG;
        }
        if (!kd_utf8_valid(p, klen) || !kd_utf8_valid(val, vlen)) {
            return KD_FORM_UTF8;
        }
        if (key_seen(fields, count, p)) {
            return KD_FORM_DUPLICATE;
        }
        fields[count].key = p;
        fields[count].val = val;
        fields[count].vlen = vlen;
        count++;
        p = pend + 1;
    }
    *nfields = count;
    return KD_FORM_OK;
}

/* jansson's reason for refusing a body, in our terms. */
static kd_form_status json_error_status(const json_error_t *err)
{
    switch (json_error_code(err)) {
    case json_error_duplicate_key:
        return KD_FORM_DUPLICATE;
    case json_error_invalid_utf8:
        return KD_FORM_UTF8;
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return KD_FORM_NUL;
    case json_error_numeric_overflow:
        /* An integer beyond 64 bits: not one we could pass on. */
        return KD_FORM_TYPE;
    default:
        /* Includes "\ud800"-style escapes of lone surrogates. */
        return KD_FORM_SYNTAX;
    }
}

/* Copy n bytes and a NUL into the arena; NULL when it is full. */
static char *arena_copy(char **arena, size_t *left, const char *s, size_t n)
{
    char *dst = *arena;

    if (n >= *left) {
        return NULL;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    *arena += n + 1;
    *left -= n + 1;
    return dst;
}

/* One member's value as text, checked; *s / *n point at the text. */
static kd_form_status json_member_text(json_t *v, char *num, size_t numsz,
                                       const char **s, size_t *n)
{
    int len;

    if (json_is_string(v)) {
        *s = json_string_value(v);
        *n = json_string_length(v);
        /* JSON_ALLOW_NUL lets "\u0000" through to be reported as such. */
        if (memchr(*s, '\0', *n) != NULL) {
            return KD_FORM_NUL;
        }
        return KD_FORM_OK;
    }
    if (json_is_integer(v)) {
        len = snprintf(num, numsz, "%" JSON_INTEGER_FORMAT,
                       json_integer_value(v));
        if (len < 0 || (size_t)len >= numsz) {
            return KD_FORM_TYPE;
        }
        *s = num;
        *n = (size_t)len;
        return KD_FORM_OK;
    }
    if (json_is_true(v)) {
        *s = "true";
        *n = 4;
        return KD_FORM_OK;
    }
    if (json_is_false(v)) {
        *s = "false";
        *n = 5;
        return KD_FORM_OK;
    }
    /* null, reals, arrays and objects have no one text form for us. */
    return KD_FORM_TYPE;
}

kd_form_status kd_form_parse_json(const char *buf, size_t len,
                                  const kd_form_limits *limits,
                                  char *arena, size_t arenasz,
                                  kd_field *fields, size_t *nfields)
{
    char num[32];
    json_error_t err;
    json_t *root, *v;
    const char *key;
    size_t count = 0;
    kd_form_status st = KD_FORM_OK;

    if (nfields != NULL) {
        *nfields = 0;
    }
    if (buf == NULL || limits == NULL || nfields == NULL || arena == NULL
        || (fields == NULL && limits->max_fields > 0)) {
        return KD_FORM_SYNTAX;
    }
    /* A raw NUL is a syntax error to jansson; report it as what it is. */
    if (memchr(buf, '\0', len) != NULL) {
        return KD_FORM_NUL;
    }
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                      &err);
    if (root == NULL) {
        return json_error_status(&err);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return KD_FORM_SYNTAX;
    }
    if (json_object_size(root) > limits->max_fields) {
        json_decref(root);
        return KD_FORM_TOO_MANY;
    }
    json_object_foreach(root, key, v) {
        size_t klen = strlen(key), vlen = 0;
        const char *s = NULL;
        char *k, *val;

        if (klen == 0) {
            st = KD_FORM_SYNTAX;
            break;
        }
        st = json_member_text(v, num, sizeof(num), &s, &vlen);
        if (st != KD_FORM_OK) {
            break;
        }
        if (klen > limits->max_key || vlen > limits->max_value) {
            st = KD_FORM_TOO_LONG;
            break;
        }
        /* jansson has checked the input; this also covers the copy. */
        if (!kd_utf8_valid(key, klen) || !kd_utf8_valid(s, vlen)) {
            st = KD_FORM_UTF8;
            break;
        }
        k = arena_copy(&arena, &arenasz, key, klen);
        val = k != NULL ? arena_copy(&arena, &arenasz, s, vlen) : NULL;
        if (val == NULL) {
            /* Only when the arena is smaller than documented. */
            st = KD_FORM_TOO_LONG;
            break;
        }
        fields[count].key = k;
        fields[count].val = val;
        fields[count].vlen = vlen;
        count++;
    }
    json_decref(root);
    if (st == KD_FORM_OK) {
        *nfields = count;
    }
    return st;
}

const char *kd_form_strerror(kd_form_status st)
{
    switch (st) {
    case KD_FORM_OK:
        return "ok";
    case KD_FORM_SYNTAX:
        return "syntax error";
    case KD_FORM_NUL:
        return "NUL byte";
    case KD_FORM_UTF8:
        return "invalid UTF-8";
    case KD_FORM_DUPLICATE:
        return "duplicate key";
    case KD_FORM_TOO_MANY:
        return "too many fields";
    case KD_FORM_TOO_LONG:
        return "key or value too long";
    case KD_FORM_TYPE:
        return "unsupported value type";
    }
    return "unknown status";
}
