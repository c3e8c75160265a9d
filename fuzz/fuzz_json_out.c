/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * libFuzzer target: JSON replies, as the module writes them, from
 * database text that need not be UTF-8 (kd_json_str) and from exact
 * amounts (kd_json_amount, spliced into the text by hand the way
 * ep_credit.c does).
 *
 * Input layout (all of it optional; what is missing counts as zeros):
 *   byte 0      flags: bit 0 the amount is used as it comes (any 64-bit
 *               value) rather than reduced into a decimal(16,2) column's
 *               range; bit 1 the first field is a NULL column; bit 2 a
 *               second dump with JSON_ENSURE_ASCII | JSON_SORT_KEYS must
 *               load to an equal value
 *   bytes 1..8  the amount in cents, big-endian two's complement
 *   then        up to NFIELDS fields, each a length byte and that many
 *               bytes (0xff: all the rest of the input); a field is
 *               used as a C string, so it ends at its first NUL, as
 *               text from the database client library would.
 *
 * Checked: the dumped text loads back (duplicates refused) with every
 * key; a field that is UTF-8 comes back byte for byte and any other
 * comes back as ""; the amount text is a JSON number with no trailing
 * zeros, no "-0" and no exponent, which loads as a number and, when the
 * amount is in a column's range, kd_money_parse reads back to the same
 * cents.  Leaks show through libFuzzer's leak check.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kd_json.h"
#include "kd_money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 6

/* Top-level keys as in ep_product.c; the last two in a nested object. */
static const char *const keys[NFIELDS] = {
    "domain", "status", "username", "notes", "description", "hostname"
};
#define NTOP 4

/* A second, independent reading of UTF-8 (RFC 3629) for jansson's. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0, len, k;
    unsigned long cp, min;

    while (i < n) {
        unsigned char c = s[i];

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc0 && c < 0xe0) {
            len = 2;
            cp = c & 0x1fUL;
            min = 0x80;
        }
        else if (c >= 0xe0 && c < 0xf0) {
            len = 3;
            cp = c & 0x0fUL;
            min = 0x800;
        }
        else if (c >= 0xf0 && c < 0xf8) {
            len = 4;
            cp = c & 0x07UL;
            min = 0x10000;
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
            cp = (cp << 6) | (s[i + k] & 0x3fUL);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += len;
    }
    return 1;
}

/* JSON's number grammar, narrowed to what an amount may look like. */
static int amount_text_ok(const char *s)
{
    const char *dot;

    if (*s == '-') {
        s++;
    }
    if (*s == '0' && s[1] != '\0' && s[1] != '.') {
        return 0;               /* a leading zero */
    }
    if (*s < '0' || *s > '9') {
        return 0;
    }
    while (*s >= '0' && *s <= '9') {
        s++;
    }
    if (*s == '\0') {
        return 1;
    }
    if (*s != '.') {
        return 0;
    }
    dot = s++;
    while (*s >= '0' && *s <= '9') {
        s++;
    }
    /* One or two decimals, the last of them not a zero. */
    return *s == '\0' && s - dot >= 2 && s - dot <= 3 && s[-1] != '0';
}

/* Check that key k of o is the string that column text c should give. */
static void check_field(json_t *o, const char *k, const char *c)
{
    json_t *j = json_object_get(o, k);
    size_t n = c ? strlen(c) : 0;

    if (!json_is_string(j)) {
        abort();
    }
    if (c != NULL && utf8_ok((const unsigned char *)c, n)) {
        if (json_string_length(j) != n
            || memcmp(json_string_value(j), c, n) != 0) {
            abort();
        }
    }
    else if (json_string_length(j) != 0) {
        abort();
    }
}

/* What the reader gets: the text loaded back, with all keys in it. */
static void check_reply(const char *text, char *const *col, kd_cents v,
                        int in_range, json_t *built)
{
    json_error_t err;
    json_t *root, *nest, *amt;
    size_t i;

    root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL || !json_is_object(root)) {
        abort();
    }
    /* result, the top fields, the nested object and the amount. */
    if (json_object_size(root) != NTOP + 3) {
        abort();
    }
    if (!json_is_string(json_object_get(root, "result"))
        || strcmp(json_string_value(json_object_get(root, "result")),
                  "success") != 0) {
        abort();
    }
    for (i = 0; i < NTOP; i++) {
        check_field(root, keys[i], col[i]);
    }
    nest = json_object_get(root, "product");
    if (!json_is_object(nest) || json_object_size(nest) != NFIELDS - NTOP) {
        abort();
    }
    for (i = NTOP; i < NFIELDS; i++) {
        check_field(nest, keys[i], col[i]);
    }
    amt = json_object_get(root, "amount");
    if (!json_is_number(amt)) {
        abort();
    }
    /* Integral amounts stay integers: readers may rely on that. */
    if (in_range && (v % 100 == 0) != json_is_integer(amt)) {
        abort();
    }
    if (in_range && json_is_integer(amt)
        && json_integer_value(amt) != v / 100) {
        abort();
    }
    /* Without the amount the rest equals the object that was dumped. */
    json_object_del(root, "amount");
    if (!json_equal(root, built)) {
        abort();
    }
    json_decref(root);
}

/* The object a handler builds: json_object_set_new with kd_json_str. */
static json_t *build(char *const *col)
{
    json_t *o = json_object(), *nest = json_object();
    size_t i;

    if (o == NULL || nest == NULL) {
        abort();
    }
    json_object_set_new(o, "result", json_string("success"));
    for (i = 0; i < NTOP; i++) {
        json_object_set_new(o, keys[i], kd_json_str(col[i]));
    }
    for (i = NTOP; i < NFIELDS; i++) {
        json_object_set_new(nest, keys[i], kd_json_str(col[i]));
    }
    json_object_set_new(o, "product", nest);
    return o;
}

/* Splice ,"amount":num before the closing brace of a dumped object. */
static char *splice(const char *dumped, const char *num)
{
    static const char key[] = ",\"amount\":";
    size_t n = strlen(dumped), m = strlen(num);
    char *out;

    if (n < 2 || dumped[n - 1] != '}') {
        abort();
    }
    out = malloc(n - 1 + sizeof(key) - 1 + m + 2);
    if (out == NULL) {
        abort();
    }
    memcpy(out, dumped, n - 1);
    memcpy(out + n - 1, key, sizeof(key) - 1);
    memcpy(out + n - 1 + sizeof(key) - 1, num, m);
    memcpy(out + n - 1 + sizeof(key) - 1 + m, "}", 2);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *col[NFIELDS], *dumped, *text, *num;
    unsigned long long raw = 0;
    unsigned flags;
    kd_cents v, back;
    json_t *obj;
    size_t i, n;
    int in_range;

    if (size > 65536) {
        return 0;
    }
    flags = p < end ? *p++ : 0;
    for (i = 0; i < 8; i++) {
        raw = (raw << 8) | (p < end ? *p++ : 0);
    }
    v = (kd_cents)raw;
    if (!(flags & 1)) {
        v %= KD_CENTS_MAX + 1;
    }
    in_range = v >= -KD_CENTS_MAX && v <= KD_CENTS_MAX;

    /* Exact-size heap copies, so any overread shows. */
    for (i = 0; i < NFIELDS; i++) {
        n = p < end ? *p++ : 0;
        if (n == 0xff || n > (size_t)(end - p)) {
            n = (size_t)(end - p);
        }
        col[i] = malloc(n + 1);
        if (col[i] == NULL) {
            abort();
        }
        if (n > 0) {
            memcpy(col[i], p, n);
        }
        col[i][n] = '\0';
        p += n;
    }
    if (flags & 2) {
        free(col[0]);
        col[0] = NULL;
    }

    /* kd_json_amount's documented minimum buffer, exactly. */
    num = malloc(32);
    if (num == NULL) {
        abort();
    }
    kd_json_amount(num, v);
    if (!amount_text_ok(num)) {
        abort();
    }
    if (in_range && (kd_money_parse(num, &back) != 0 || back != v)) {
        abort();
    }

    obj = build(col);
    dumped = json_dumps(obj, JSON_COMPACT);
    if (dumped == NULL) {
        abort();
    }
    text = splice(dumped, num);
    check_reply(text, col, v, in_range, obj);
    free(text);
    free(dumped);

    if (flags & 4) {
        dumped = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII
                                 | JSON_SORT_KEYS);
        if (dumped == NULL) {
            abort();
        }
        /* Nothing but ASCII, and the same value. */
        for (i = 0; dumped[i] != '\0'; i++) {
            if ((unsigned char)dumped[i] >= 0x80) {
                abort();
            }
        }
        text = splice(dumped, num);
        check_reply(text, col, v, in_range, obj);
        free(text);
        free(dumped);
    }

    json_decref(obj);
    free(num);
    for (i = 0; i < NFIELDS; i++) {
        free(col[i]);
    }
    return 0;
}
