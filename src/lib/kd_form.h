/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_form.h
 * @brief Strict request-body decoders: x-www-form-urlencoded and JSON.
 *
 * No httpd or APR types cross this API (unit-tested and fuzzed alone).
 */
#ifndef KD_FORM_H
#define KD_FORM_H

#include <stddef.h>

typedef struct {
    const char *key;            /* NUL-terminated, decoded */
    const char *val;            /* NUL-terminated, decoded */
    size_t vlen;
} kd_field;

typedef struct {
    size_t max_fields;          /* more fields: KD_FORM_TOO_MANY */
    size_t max_key;             /* longer decoded key: KD_FORM_TOO_LONG */
    size_t max_value;           /* longer decoded value: KD_FORM_TOO_LONG */
} kd_form_limits;

typedef enum {
    KD_FORM_OK = 0,
    KD_FORM_SYNTAX,             /* bad escape, bad JSON, empty key, ... */
    KD_FORM_NUL,                /* a NUL byte in a key or value */
    KD_FORM_UTF8,               /* invalid UTF-8 after decoding */
    KD_FORM_DUPLICATE,          /* the same key twice */
    KD_FORM_TOO_MANY,
    KD_FORM_TOO_LONG,
    KD_FORM_TYPE                /* JSON: a value not string/integer/bool */
} kd_form_status;

/**
 * Decode application/x-www-form-urlencoded in place (buf is modified;
 * buf[len] must be writable and is used for a terminator).  '+' is a
 * space; '%' must be followed by two hex digits.  Empty pairs from "&&"
 * or a trailing '&' are skipped; "key" with no '=' has an empty value.
 * fields must hold limits->max_fields entries.
 */
kd_form_status kd_form_parse_urlencoded(char *buf, size_t len,
                                        const kd_form_limits *limits,
                                        kd_field *fields, size_t *nfields);

/**
 * Decode a JSON object body whose members are strings, integers or
 * booleans (integers become their decimal text, booleans "true"/"false")
 * into fields.  Strings are copied into arena (at least 2 * len + 16
 * bytes).  Duplicate members are refused, nesting is refused (KD_FORM_TYPE).
 */
kd_form_status kd_form_parse_json(const char *buf, size_t len,
                                  const kd_form_limits *limits,
                                  char *arena, size_t arenasz,
                                  kd_field *fields, size_t *nfields);

/** A short English name for a status, for error messages and logs. */
const char *kd_form_strerror(kd_form_status st);

#endif /* KD_FORM_H */
