/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * kd_fmt.c: numbers and names between the database's text and ours, in
 * request memory: ids and amounts as SQL arguments and JSON text, tax
 * rates and option names as WHMCS shows them.  The exact arithmetic is
 * kd_money.c's; this only moves it into pool strings.
 */

#include <string.h>

#include "apr_strings.h"

#include "mod_kdata.h"
#include "kd_fmt.h"
#include "kd_money.h"

const char *kd_cents_str(apr_pool_t *p, kd_cents v)
{
    char buf[32];

    return apr_pstrdup(p, kd_money_str(buf, v));
}

kd_cents kd_cents_of(const char *v)
{
    kd_cents c;

    return v && !kd_money_parse(v, &c) ? c : 0;
}

const char *kd_id(apr_pool_t *p, long long v)
{
    return apr_psprintf(p, KD_I64, (apr_int64_t)v);
}

const char *kd_rate_text(apr_pool_t *p, const char *v)
{
    long long milli = 0;
    char buf[32];

    /* WHMCS 7 stored rates with two decimals, 8 with three; the API has
     * always shown two ("0.00"), so a third appears only when it is
     * needed to be exact. */
    if (!v || kd_rate_parse(v, &milli)) {
        milli = 0;
    }
    return apr_pstrdup(p, kd_rate_str(buf, milli, milli % 10 ? 3 : 2));
}

const char *kd_display_name(apr_pool_t *p, const char *name)
{
    const char *bar = strchr(name, '|');
    const char *end;

    if (!bar) {
        return name;
    }
    /* WHMCS shows what follows the first '|', trimmed; what precedes it
     * is the machine value handed to provisioning modules. */
    for (bar++; *bar == ' '; bar++) {
    }
    for (end = bar + strlen(bar); end > bar && end[-1] == ' '; end--) {
    }
    return apr_pstrmemdup(p, bar, (apr_size_t)(end - bar));
}
