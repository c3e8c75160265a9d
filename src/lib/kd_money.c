/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * kd_money.c: exact money, WHMCS's date arithmetic and display formats.
 *
 * Amounts are integer cents and rates integer thousandths of a percent,
 * so every result is exact and matches what WHMCS (PHP) shows: products
 * go through a 128-bit intermediate and are rounded once, half away from
 * zero, as PHP's round() does.
 *
 * Choices the header leaves open, made here:
 * - kd_money_parse accepts "-0" and "-0.00" as 0 (MySQL never writes
 *   them, and refusing one but not the other would be arbitrary).
 * - kd_rate_parse caps rates at 9999999.999 (a decimal(10,3) column).
 * - kd_rate_str writes three decimals for any decimals other than 2.
 * - kd_money_percent and kd_money_inclusive_tax clamp a result that does
 *   not fit a kd_cents to +-LLONG_MAX (only rates far above any real
 *   tax reach that); kd_money_inclusive_tax returns 0 for rates of
 *   -100% or less, where its divisor 1 + rate is not positive.
 * - kd_money_tax clamps each sum it taxes or returns to +-LLONG_MAX in
 *   the same way (amount + tax1, amount - tax1, that - tax2), one at a
 *   time; only rates far above any real tax, or negative, reach that.
 * - kd_money_format puts a '-' before the prefix ("-$1,234.56 USD"),
 *   takes a NULL prefix or suffix as "", never writes "-0" (format 4
 *   rounding -0.40 gives "0"), and on failure leaves "" in buf when
 *   bufsz > 0.
 * - kd_date_parse takes years 0001 to 9999; kd_date_str and
 *   kd_date_format write an invalid date as zeros ("0000-00-00").
 * - kd_date_add clamps a year beyond int to INT_MIN / INT_MAX.
 * - kd_date_local returns {0, 0, 0} if localtime_r fails.
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L     /* localtime_r */
#endif

#include <limits.h>
#include <string.h>
#include <time.h>

#include "kd_money.h"

/* __extension__ keeps -pedantic builds quiet about the gcc/clang type. */
__extension__ typedef __int128 kd_i128;
__extension__ typedef unsigned __int128 kd_u128;

/* The largest rate a decimal(10,3) column holds, in thousandths. */
#define KD_RATE_MAX 9999999999LL

/* A rate in thousandths of a percent is this many times the fraction. */
#define KD_RATE_ONE 100000

/* Days in 400 Gregorian years: the calendar repeats after that. */
#define KD_DAYS_400Y 146097

/* Magnitude of v, exact even for LLONG_MIN. */
static unsigned long long mag_ull(long long v)
{
    return v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
}

/*
 * num / den rounded half away from zero (den > 0), clamped to +-LLONG_MAX
 * so that results stay symmetric and a caller may negate any of them.
 * |num| stays below 2^127, so negating it is safe.
 */
static long long div_round(kd_i128 num, kd_i128 den)
{
    int neg = num < 0;
    kd_u128 m = (kd_u128)(neg ? -num : num);
    kd_u128 d = (kd_u128)den;
    kd_u128 q = m / d, r = m % d;

    /* r >= d - r rather than 2r >= d: no overflow for any d. */
    if (r >= d - r) {
        q++;
    }
    if (q > (kd_u128)LLONG_MAX) {
        return neg ? -LLONG_MAX : LLONG_MAX;
    }
    return neg ? -(long long)q : (long long)q;
}

/*
 * Read "digits[.frac]" with 1..ndec fraction digits into a count of
 * 10^-ndec units; the integer part may not exceed maxint.  Strict: no
 * empty parts, signs, spaces or exponents.
 */
static int parse_fixed(const char *s, int ndec, unsigned long long maxint,
                       unsigned long long *out)
{
    unsigned long long ip = 0, fp = 0;
    int nfrac = 0, ndig = 0, i;

    while (*s >= '0' && *s <= '9') {
        ip = ip * 10 + (unsigned long long)(*s - '0');
        /* Checked every digit, so ip * 10 + 9 can never wrap. */
        if (ip > maxint) {
            return -1;
        }
        s++;
        ndig++;
    }
    if (ndig == 0) {
        return -1;
    }
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (++nfrac > ndec) {
                return -1;
            }
            fp = fp * 10 + (unsigned long long)(*s - '0');
            s++;
        }
        if (nfrac == 0) {
            return -1;
        }
    }
    if (*s != '\0') {
        return -1;
    }
    for (; nfrac < ndec; nfrac++) {
        fp *= 10;
    }
    for (i = 0; i < ndec; i++) {
        ip *= 10;
    }
    *out = ip + fp;
    return 0;
}

/* Write the decimal digits of v at p; returns the number written. */
static size_t put_ull(char *p, unsigned long long v)
{
    char tmp[24];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++) {
        p[i] = tmp[n - 1 - i];
    }
    return n;
}

/* Write "[-]int.frac" with ndec (> 0) decimals of a fixed-point value. */
static char *fixed_str(char *buf, int neg, unsigned long long v, int ndec)
{
    unsigned long long unit = 1;
    char *p = buf;
    int i;

    for (i = 0; i < ndec; i++) {
        unit *= 10;
    }
    if (neg && v != 0) {
        *p++ = '-';
    }
    p += put_ull(p, v / unit);
    *p++ = '.';
    v %= unit;
    for (i = ndec - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    p[ndec] = '\0';
    return buf;
}

int kd_money_parse(const char *s, kd_cents *out)
{
    unsigned long long v;
    int neg = 0;

    if (s == NULL || out == NULL) {
        return -1;
    }
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (parse_fixed(s, 2, KD_CENTS_MAX / 100, &v) != 0
        || v > (unsigned long long)KD_CENTS_MAX) {
        return -1;
    }
    *out = neg ? -(kd_cents)v : (kd_cents)v;
    return 0;
}

char *kd_money_str(char *buf, kd_cents v)
{
    return fixed_str(buf, v < 0, mag_ull(v), 2);
}

int kd_rate_parse(const char *s, long long *milli)
{
    unsigned long long v;

    if (s == NULL || milli == NULL
        || parse_fixed(s, 3, KD_RATE_MAX / 1000, &v) != 0
        || v > (unsigned long long)KD_RATE_MAX) {
        return -1;
    }
    *milli = (long long)v;
    return 0;
}

char *kd_rate_str(char *buf, long long milli, int decimals)
{
    unsigned long long m = mag_ull(milli);

    if (decimals == 2) {
        /* Half away from zero on the magnitude, like PHP's round(). */
        return fixed_str(buf, milli < 0, m / 10 + (m % 10 >= 5), 2);
    }
    return fixed_str(buf, milli < 0, m, 3);
}

kd_cents kd_money_percent(kd_cents amount, long long rate_milli)
{
    /* Both factors are below 2^63 in magnitude: the product fits. */
    return div_round((kd_i128)amount * rate_milli, KD_RATE_ONE);
}

kd_cents kd_money_inclusive_tax(kd_cents amount, long long rate_milli)
{
    kd_i128 den = (kd_i128)KD_RATE_ONE + rate_milli;

    /*
     * amount - amount / (1 + r) is exactly amount * r / (1 + r), so one
     * division and one rounding give WHMCS's rounded tax with no error
     * from rounding the net amount first.
     */
    if (den <= 0) {
        return 0;
    }
    return div_round((kd_i128)amount * rate_milli, den);
}

/* a + b, or +-LLONG_MAX when the sum leaves that range (as div_round). */
static kd_cents add_clamped(kd_cents a, kd_cents b)
{
    kd_i128 v = (kd_i128)a + b;

    if (v > LLONG_MAX) {
        return LLONG_MAX;
    }
    return v < -LLONG_MAX ? -LLONG_MAX : (kd_cents)v;
}

kd_tax kd_money_tax(kd_cents amount, long long rate1_milli,
                    long long rate2_milli, int inclusive, int compound)
{
    kd_tax t;
    kd_cents rest;

    if (inclusive) {
        /* Level 2 is the tax in what level 1 leaves. */
        t.tax1 = kd_money_inclusive_tax(amount, rate1_milli);
        rest = add_clamped(amount, -t.tax1);
        t.tax2 = kd_money_inclusive_tax(rest, rate2_milli);
        t.net = add_clamped(rest, -t.tax2);
    }
    else {
        t.tax1 = kd_money_percent(amount, rate1_milli);
        t.tax2 = kd_money_percent(compound ? add_clamped(amount, t.tax1)
                                           : amount, rate2_milli);
        t.net = amount;
    }
    return t;
}

char *kd_money_format(char *buf, size_t bufsz, kd_cents v, int format,
                      const char *prefix, const char *suffix)
{
    unsigned long long m = mag_ull(v), units;
    char digits[24];
    char group, point;
    size_t nd, plen, slen, core, i;
    int decimals = 1;
    char *p;

    if (buf == NULL) {
        return NULL;
    }
    if (bufsz > 0) {
        buf[0] = '\0';
    }
    switch (format) {
    case 1:
        group = '\0';
        point = '.';
        break;
    case 2:
        group = ',';
        point = '.';
        break;
    case 3:
        group = '.';
        point = ',';
        break;
    case 4:
        group = ',';
        point = '\0';
        decimals = 0;
        /* Whole units, half away from zero; cannot wrap below 2^64. */
        m = (m + 50) / 100 * 100;
        break;
    default:
        return NULL;
    }
    prefix = prefix != NULL ? prefix : "";
    suffix = suffix != NULL ? suffix : "";
    units = m / 100;
    nd = put_ull(digits, units);
    plen = strlen(prefix);
    slen = strlen(suffix);

    /* Sign, digits, separators and decimals: at most 30 bytes. */
    core = (size_t)(m != 0 && v < 0) + nd;
    if (group != '\0') {
        core += (nd - 1) / 3;
    }
    if (decimals) {
        core += 3;
    }
    /* core + plen + slen + 1 <= bufsz, tested so that nothing wraps. */
    if (core >= bufsz || plen >= bufsz - core
        || slen >= bufsz - core - plen) {
        return NULL;
    }

    p = buf;
    if (m != 0 && v < 0) {
        *p++ = '-';
    }
    memcpy(p, prefix, plen);
    p += plen;
    for (i = 0; i < nd; i++) {
        if (group != '\0' && i > 0 && (nd - i) % 3 == 0) {
            *p++ = group;
        }
        *p++ = digits[i];
    }
    if (decimals) {
        *p++ = point;
        *p++ = (char)('0' + m % 100 / 10);
        *p++ = (char)('0' + m % 10);
    }
    memcpy(p, suffix, slen + 1);
    return buf;
}

static int is_leap(long long y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(long long y, int m)
{
    static const int dim[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* A real calendar date in the years kd_date_parse accepts. */
static int date_valid(const kd_date *d)
{
    return d->year >= 1 && d->year <= 9999 && d->month >= 1
           && d->month <= 12 && d->day >= 1
           && d->day <= days_in_month(d->year, d->month);
}

/* n decimal digits at s, or -1. */
static int get_digits(const char *s, int n)
{
    int v = 0;

    for (; n > 0; n--, s++) {
        if (*s < '0' || *s > '9') {
            return -1;
        }
        v = v * 10 + (*s - '0');
    }
    return v;
}

int kd_date_parse(const char *s, kd_date *out)
{
    kd_date d;

    /* Checked one byte at a time so a short string is never overread. */
    if (s == NULL || out == NULL || (d.year = get_digits(s, 4)) < 0
        || s[4] != '-' || (d.month = get_digits(s + 5, 2)) < 0
        || s[7] != '-' || (d.day = get_digits(s + 8, 2)) < 0
        || s[10] != '\0' || !date_valid(&d)) {
        return -1;
    }
    *out = d;
    return 0;
}

/* Write v as exactly n digits (0 <= v < 10^n). */
static char *put_fixed(char *p, int v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

char *kd_date_str(char *buf, const kd_date *d)
{
    return kd_date_format(buf, d, "YYYY-MM-DD");
}

kd_date kd_date_add(const kd_date *d, int months, int days)
{
    long long y = d->year, m = (long long)d->month - 1 + months;
    long long day = (long long)d->day + days, k;
    kd_date r;
    int mon;

    /* Months first, floored so that negative counts borrow years. */
    k = m >= 0 ? m / 12 : -((-m + 11) / 12);
    y += k;
    mon = (int)(m - k * 12) + 1;

    /*
     * Then the day, as mktime does: days past the month's end roll into
     * the next ones, day 0 and below into the previous ones.  Whole
     * 400-year cycles go first so the loops below stay short whatever
     * days is.
     */
    if (day > KD_DAYS_400Y) {
        k = (day - 1) / KD_DAYS_400Y;
        day -= k * KD_DAYS_400Y;
        y += 400 * k;
    }
    else if (day < 1) {
        k = -day / KD_DAYS_400Y + 1;
        day += k * KD_DAYS_400Y;
        y -= 400 * k;
    }
    while (day > days_in_month(y, mon)) {
        day -= days_in_month(y, mon);
        if (++mon > 12) {
            mon = 1;
            y++;
        }
    }
    r.year = y > INT_MAX ? INT_MAX : y < INT_MIN ? INT_MIN : (int)y;
    r.month = mon;
    r.day = (int)day;
    return r;
}

kd_date kd_date_local(time_t t)
{
    kd_date r = { 0, 0, 0 };
    struct tm tm;

    if (localtime_r(&t, &tm) != NULL) {
        r.year = tm.tm_year + 1900;
        r.month = tm.tm_mon + 1;
        r.day = tm.tm_mday;
    }
    return r;
}

char *kd_date_format(char *buf, const kd_date *d, const char *fmt)
{
    /* Field order (0 day, 1 month, 2 year) and separator per format. */
    static const struct {
        const char *name;
        char order[3];
        char sep;
    } fmts[] = {
        { "DD/MM/YYYY", { 0, 1, 2 }, '/' },
        { "DD.MM.YYYY", { 0, 1, 2 }, '.' },
        { "DD-MM-YYYY", { 0, 1, 2 }, '-' },
        { "MM/DD/YYYY", { 1, 0, 2 }, '/' },
        { "YYYY/MM/DD", { 2, 1, 0 }, '/' },
        { "YYYY-MM-DD", { 2, 1, 0 }, '-' }
    };
    size_t f = sizeof(fmts) / sizeof(fmts[0]) - 1, i;
    int val[3] = { 0, 0, 0 };
    char *p = buf;

    for (i = 0; fmt != NULL && i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        if (strcmp(fmt, fmts[i].name) == 0) {
            f = i;
            break;
        }
    }
    /* Zeros for a non-date keep the text inside 11 bytes. */
    if (d != NULL && date_valid(d)) {
        val[0] = d->day;
        val[1] = d->month;
        val[2] = d->year;
    }
    for (i = 0; i < 3; i++) {
        if (i > 0) {
            *p++ = fmts[f].sep;
        }
        p = put_fixed(p, val[(int)fmts[f].order[i]],
                      fmts[f].order[i] == 2 ? 4 : 2);
    }
    *p = '\0';
    return buf;
}

/* ASCII-only case-insensitive equality: no locale can change it. */
static int ascii_caseeq(const char *a, const char *b)
{
    unsigned char ca, cb;

    do {
        ca = (unsigned char)*a++;
        cb = (unsigned char)*b++;
        if (ca >= 'A' && ca <= 'Z') {
            ca = (unsigned char)(ca - 'A' + 'a');
        }
        if (cb >= 'A' && cb <= 'Z') {
            cb = (unsigned char)(cb - 'A' + 'a');
        }
        if (ca != cb) {
            return 0;
        }
    } while (ca != '\0');
    return 1;
}

/* In price column order; One Time is priced from the monthly pair. */
const kd_cycle kd_cycles[KD_NCYCLES] = {
    { "monthly", "Monthly", 1, 0 },
    { "quarterly", "Quarterly", 3, 1 },
    { "semiannually", "Semi-Annually", 6, 2 },
    { "annually", "Annually", 12, 3 },
    { "biennially", "Biennially", 24, 4 },
    { "triennially", "Triennially", 36, 5 },
    { "onetime", "One Time", 0, 0 },
    { "free", "Free Account", 0, -1 }
};

const kd_cycle *kd_cycle_by_sys(const char *sys)
{
    size_t i;

    for (i = 0; sys != NULL && i < KD_NCYCLES; i++) {
        if (ascii_caseeq(sys, kd_cycles[i].sys)) {
            return &kd_cycles[i];
        }
    }
    return NULL;
}

int kd_cycle_months(const char *cycle)
{
    size_t i;

    for (i = 0; cycle != NULL && i < KD_NCYCLES; i++) {
        if (ascii_caseeq(cycle, kd_cycles[i].display)
            || ascii_caseeq(cycle, kd_cycles[i].sys)) {
            return kd_cycles[i].months;
        }
    }
    return -1;
}
