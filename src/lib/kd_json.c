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
#include "kd_utf8.h"

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
