/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * libFuzzer target: kd_money_parse, kd_rate_parse, kd_date_parse,
 * kd_cycle_by_sys and kd_cycle_months on arbitrary bytes, and the
 * functions that take what they accept.
 *
 * The input is a string up to its first NUL; any bytes after the NUL are
 * parameters (a month and a day count for kd_date_add, a prefix and
 * suffix for kd_money_format).  Checked: parse(str(parse(x))) ==
 * parse(x); accepted values stay in range; kd_money_format writes
 * exactly what fits in a buffer of exactly bufsz bytes and refuses one
 * byte less; the rounding of kd_money_percent and
 * kd_money_inclusive_tax against their definitions; kd_money_tax against
 * a slow reference worked out from WHMCS's definitions; kd_date_add
 * against a day-number calendar.
 */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kd_money.h"

/* A system name the API takes names a cycle of the table, and has its
 * months; the table's own names all read back. */
static void check_cycle(const char *s)
{
    const kd_cycle *c = kd_cycle_by_sys(s);
    int i;

    if (c != NULL && (c < kd_cycles || c >= kd_cycles + KD_NCYCLES
                      || kd_cycle_months(s) != c->months)) {
        abort();
    }
    for (i = 0; i < KD_NCYCLES; i++) {
        if (kd_cycle_by_sys(kd_cycles[i].sys) != &kd_cycles[i]
            || kd_cycle_months(kd_cycles[i].display) != kd_cycles[i].months) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define RATE_MAX 9999999999LL

/*
 * Format into a heap buffer of exactly bufsz bytes, so ASan sees any
 * write past it; returns whether it fitted, and the text in out.
 */
static int format_in(size_t bufsz, kd_cents v, int format,
                     const char *prefix, const char *suffix, char *out,
                     size_t outsz)
{
    char *buf = malloc(bufsz > 0 ? bufsz : 1);
    char *rv;
    int fits;

    if (buf == NULL) {
        abort();
    }
    rv = kd_money_format(buf, bufsz, v, format, prefix, suffix);
    fits = rv != NULL;
    if (fits) {
        if (rv != buf || strlen(buf) >= bufsz || strlen(buf) >= outsz) {
            abort();
        }
        memcpy(out, buf, strlen(buf) + 1);
    }
    else if (bufsz > 0 && buf[0] != '\0') {
        abort();
    }
    free(buf);
    return fits;
}

static void check_format(kd_cents v, const char *prefix, const char *suffix)
{
    char big[1024], got[1024], plain[32];
    size_t len;
    int format;

    for (format = 0; format <= 5; format++) {
        if (kd_money_format(big, sizeof(big), v, format, prefix, suffix)
            == NULL) {
            if (format >= 1 && format <= 4
                && strlen(prefix) + strlen(suffix) < sizeof(big) - 40) {
                abort();
            }
            continue;
        }
        if (format < 1 || format > 4) {
            abort();
        }
        len = strlen(big);
        if (!format_in(len + 1, v, format, prefix, suffix, got, sizeof(got))
            || strcmp(got, big) != 0
            || format_in(len, v, format, prefix, suffix, got, sizeof(got))
            || format_in(len / 2, v, format, prefix, suffix, got,
                         sizeof(got))) {
            abort();
        }
    }
    /* Format 1 with no prefix or suffix is kd_money_str's text. */
    if (kd_money_format(big, sizeof(big), v, 1, "", "") == NULL
        || strcmp(big, kd_money_str(plain, v)) != 0) {
        abort();
    }
}

/* t is num / den (den > 0) rounded half away from zero, or clamped. */
static int rounded(i128 num, i128 den, long long t)
{
    i128 x2;

    /* Clamped to +-LLONG_MAX when the exact value is at least that. */
    if ((t == LLONG_MAX && num / den >= LLONG_MAX)
        || (t == -LLONG_MAX && num / den <= -LLONG_MAX)) {
        return 1;
    }
    x2 = 2 * ((i128)t * den - num);
    if (x2 > den || x2 < -den) {
        return 0;
    }
    if (x2 == den || x2 == -den) {
        return num >= 0 ? (i128)t * den > num : (i128)t * den < num;
    }
    return 1;
}

/* v clamped to +-LLONG_MAX, as kd_money.c documents for its results. */
static long long ref_clamp(i128 v)
{
    return v > LLONG_MAX ? LLONG_MAX : v < -LLONG_MAX ? -LLONG_MAX
                                                      : (long long)v;
}

/* n / d (d > 0) rounded half away from zero, the school way: the
 * magnitude plus one half, floored. */
static long long ref_round(i128 n, i128 d)
{
    u128 m = n < 0 ? (u128)0 - (u128)n : (u128)n;
    u128 q = (2 * m + (u128)d) / (2 * (u128)d);
    long long r = q > (u128)LLONG_MAX ? LLONG_MAX : (long long)q;

    return n < 0 ? -r : r;
}

/* The tax in x at rate r (thousandths): x - x / (1 + r), the way WHMCS
 * states it, over the common denominator 1 + r; none when 1 + r <= 0. */
static long long ref_inclusive(long long x, long long r)
{
    i128 den = (i128)100000 + r;

    if (den <= 0) {
        return 0;
    }
    return ref_round((i128)x * den - (i128)x * 100000, den);
}

/*
 * kd_money_tax worked out again from its definition: exclusive, each
 * level a percentage of the amount (level 2 of the amount plus level 1
 * when compound); inclusive, each level the tax contained in what is
 * left.  Sums are exact and then clamped, one at a time.
 */
static void check_tax_one(kd_cents a, long long r1, long long r2, int incl,
                          int compound)
{
    kd_tax t = kd_money_tax(a, r1, r2, incl, compound);
    kd_tax neg = kd_money_tax(-a, r1, r2, incl, compound);
    long long t1, t2, net, rest;

    if (incl) {
        t1 = ref_inclusive(a, r1);
        rest = ref_clamp((i128)a - t1);
        t2 = ref_inclusive(rest, r2);
        net = ref_clamp((i128)rest - t2);
    }
    else {
        t1 = ref_round((i128)a * r1, 100000);
        t2 = ref_round((i128)(compound ? ref_clamp((i128)a + t1) : a) * r2,
                       100000);
        net = a;
    }
    if (t.tax1 != t1 || t.tax2 != t2 || t.net != net) {
        abort();
    }
    /* A refund is taxed as the mirror of the sale. */
    if (neg.tax1 != -t.tax1 || neg.tax2 != -t.tax2 || neg.net != -t.net) {
        abort();
    }
    /* Inclusive at real rates, the parts add up to the amount. */
    if (incl && r1 >= 0 && r2 >= 0
        && (i128)t.net + t.tax1 + t.tax2 != a) {
        abort();
    }
}

/* Rates of the table and, from the parameter bytes, two more, in
 * -RATE_MAX .. RATE_MAX (negative ones are discounts). */
static void check_tax(kd_cents v, const uint8_t *param, size_t nparam)
{
    long long rates[10] = { 0, 1, 5000, 9975, 10000, 100000, RATE_MAX,
                            -10000 };
    size_t n = 8, i, j;
    unsigned long long u;
    int mode;

    for (i = 0; i < 2 && nparam >= 8 * (i + 1); i++) {
        memcpy(&u, param + 8 * i, sizeof(u));
        rates[n++] = (long long)(u % (2 * (unsigned long long)RATE_MAX + 1))
                     - RATE_MAX;
    }
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            for (mode = 0; mode < 4; mode++) {
                check_tax_one(v, rates[i], rates[j], mode & 1, mode >> 1);
            }
        }
    }
}

static void check_money(const char *s, const uint8_t *param,
                        size_t nparam)
{
    static const long long rates[] = { 0, 1, 7500, 10000, 12500, 100000,
                                       RATE_MAX };
    char str[32];
    kd_cents v, w;
    size_t i, half;
    char *prefix, *suffix;

    if (kd_money_parse(s, &v) != 0) {
        return;
    }
    if (v > KD_CENTS_MAX || v < -KD_CENTS_MAX
        || strlen(kd_money_str(str, v)) >= sizeof(str)
        || kd_money_parse(str, &w) != 0 || w != v) {
        abort();
    }
    for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        if (!rounded((i128)v * rates[i], 100000,
                     kd_money_percent(v, rates[i]))
            || kd_money_percent(-v, rates[i])
               != -kd_money_percent(v, rates[i])
            || !rounded((i128)v * rates[i], 100000 + (i128)rates[i],
                        kd_money_inclusive_tax(v, rates[i]))) {
            abort();
        }
    }
    if (kd_money_percent(v, 100000) != v) {
        abort();
    }
    check_tax(v, param, nparam);

    /* Prefix and suffix from the parameter bytes, split in half. */
    half = nparam / 2;
    prefix = malloc(half + 1);
    suffix = malloc(nparam - half + 1);
    if (prefix == NULL || suffix == NULL) {
        abort();
    }
    memcpy(prefix, param, half);
    prefix[half] = '\0';
    memcpy(suffix, param + half, nparam - half);
    suffix[nparam - half] = '\0';
    check_format(v, prefix, suffix);
    check_format(v, "$", " USD");
    free(suffix);
    free(prefix);
}

static void check_rate(const char *s)
{
    char str[32];
    long long r, w, r2;

    if (kd_rate_parse(s, &r) != 0) {
        return;
    }
    if (r < 0 || r > RATE_MAX
        || strlen(kd_rate_str(str, r, 3)) >= sizeof(str)
        || kd_rate_parse(str, &w) != 0 || w != r
        || strlen(kd_rate_str(str, r, 2)) >= sizeof(str)) {
        abort();
    }
    /* Two decimals, half away from zero; 9999999.999 becomes too big. */
    r2 = (r / 10 + (r % 10 >= 5)) * 10;
    if (r2 <= RATE_MAX ? kd_rate_parse(str, &w) != 0 || w != r2
                       : kd_rate_parse(str, &w) == 0) {
        abort();
    }
}

/* Days from 1970-01-01 of a proleptic Gregorian date (floor division). */
static long long day_number(long long y, long long m, long long d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* kd_date_add, done another way: months, then a day number. */
static void check_add(const kd_date *d, int months, int days)
{
    kd_date r = kd_date_add(d, months, days), back;
    long long m = (long long)d->month - 1 + months;
    long long y = d->year + (m >= 0 ? m / 12 : -((-m + 11) / 12));
    long long mon = m - (y - d->year) * 12 + 1;

    if (r.month < 1 || r.month > 12 || r.day < 1 || r.day > 31
        || day_number(r.year, r.month, r.day)
           != day_number(y, mon, 1) + d->day - 1 + days) {
        abort();
    }
    /* Days alone are a bijection: adding and removing them is a no-op. */
    r = kd_date_add(d, 0, days);
    back = kd_date_add(&r, 0, -days);
    if (back.year != d->year || back.month != d->month
        || back.day != d->day) {
        abort();
    }
}

static void check_date(const char *s, const uint8_t *param, size_t nparam)
{
    static const int cycles[] = { 1, 3, 6, 12, 24, 36, -1, -12 };
    static const char *const fmts[] = {
        "DD/MM/YYYY", "DD.MM.YYYY", "DD-MM-YYYY", "MM/DD/YYYY",
        "YYYY/MM/DD", "YYYY-MM-DD", "other"
    };
    char str[11];
    kd_date d, w;
    size_t i;
    int months = 0, days = 0;

    if (kd_date_parse(s, &d) != 0) {
        return;
    }
    /* The parser is strict, so the text is already canonical. */
    if (strcmp(kd_date_str(str, &d), s) != 0 || kd_date_parse(str, &w) != 0
        || w.year != d.year || w.month != d.month || w.day != d.day) {
        abort();
    }
    for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        if (strlen(kd_date_format(str, &d, fmts[i])) != 10) {
            abort();
        }
    }
    for (i = 0; i < sizeof(cycles) / sizeof(cycles[0]); i++) {
        check_add(&d, cycles[i], 0);
        check_add(&d, cycles[i], -1);
    }
    if (nparam >= 8) {
        memcpy(&months, param, sizeof(int));
        memcpy(&days, param + 4, sizeof(int));
        /* Keep the year in range, and -days defined for check_add. */
        months %= 1000000;
        if (days == INT_MIN) {
            days++;
        }
        check_add(&d, months, days);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul;
    size_t len, nparam = 0;
    char *s;

    if (size > 4096) {
        return 0;
    }
    nul = memchr(data, '\0', size);
    len = nul != NULL ? (size_t)(nul - data) : size;
    if (nul != NULL) {
        nparam = size - len - 1;
    }
    s = malloc(len + 1);
    if (s == NULL) {
        abort();
    }
    if (len > 0) {
        memcpy(s, data, len);
    }
    s[len] = '\0';

    check_money(s, nul != NULL ? nul + 1 : data, nparam);
    check_rate(s);
    check_date(s, nul != NULL ? nul + 1 : data, nparam);
    check_cycle(s);
    free(s);
    return 0;
}
