/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Unit tests for kd_money.c: amounts, rates, tax, currency formats,
 * WHMCS's (PHP mktime) date arithmetic and its billing cycles.
 */

#define _POSIX_C_SOURCE 200809L     /* setenv, tzset */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kd_money.h"
#include "tap.h"

static char name[256];

/* A test name built with printf formatting, valid until the next call. */
static const char *nm(const char *fmt, const char *arg)
{
    snprintf(name, sizeof(name), fmt, arg);
    return name;
}

/* s parses to want, and kd_money_str gives back canon. */
static void money_ok(const char *s, kd_cents want, const char *canon)
{
    kd_cents v = -12345;
    char buf[32], back[32];
    int rv = kd_money_parse(s, &v);

    is_int(rv, 0, nm("money_parse accepts '%s'", s));
    is_int(v, want, "  value");
    is_str(kd_money_str(buf, v), canon, "  kd_money_str");
    /* The canonical text parses to the same value. */
    strcpy(back, buf);
    v = -12345;
    ok(kd_money_parse(back, &v) == 0 && v == want, "  round trip");
}

static void money_bad(const char *s, const char *why)
{
    kd_cents v = -12345;
    char label[128];

    snprintf(label, sizeof(label), "money_parse rejects '%s' (%s)", s, why);
    ok(kd_money_parse(s, &v) == -1 && v == -12345, label);
}

static void test_money_parse(void)
{
    char buf[32];

    money_ok("0", 0, "0.00");
    money_ok("0.00", 0, "0.00");
    money_ok("12", 1200, "12.00");
    money_ok("12.5", 1250, "12.50");
    money_ok("12.50", 1250, "12.50");
    money_ok("-1.00", -100, "-1.00");
    money_ok("0.01", 1, "0.01");
    money_ok("-0.01", -1, "-0.01");
    money_ok("-0.5", -50, "-0.50");
    money_ok("1234.56", 123456, "1234.56");
    money_ok("007.10", 710, "7.10");
    money_ok("-0", 0, "0.00");
    money_ok("-0.00", 0, "0.00");
    money_ok("99999999999999.99", KD_CENTS_MAX, "99999999999999.99");
    money_ok("-99999999999999.99", -KD_CENTS_MAX, "-99999999999999.99");
    money_ok("00000000000000000000000000001", 100, "1.00");

    money_bad("", "empty");
    money_bad("-", "sign only");
    money_bad(".5", "no integer digits");
    money_bad("-.5", "no integer digits");
    money_bad("5.", "no fraction digits");
    money_bad("1e3", "exponent");
    money_bad(" 1", "leading space");
    money_bad("1 ", "trailing space");
    money_bad("+1", "plus sign");
    money_bad("--1", "two signs");
    money_bad("1.234", "third decimal");
    money_bad("1.2.3", "two points");
    money_bad("1,000.00", "thousands separator");
    money_bad("1,5", "decimal comma");
    money_bad("0x10", "hex");
    money_bad("12abc", "trailing junk");
    money_bad("100000000000000", "beyond decimal(16,2)");
    money_bad("100000000000000.00", "beyond decimal(16,2)");
    money_bad("-100000000000000", "beyond decimal(16,2), negative");
    money_bad("99999999999999999999999999999", "beyond 64 bits");
    ok(kd_money_parse(NULL, NULL) == -1, "money_parse rejects NULL");

    is_str(kd_money_str(buf, 5), "0.05", "money_str 5 cents");
    is_str(kd_money_str(buf, -5), "-0.05", "money_str -5 cents");
    is_str(kd_money_str(buf, LLONG_MAX), "92233720368547758.07",
           "money_str LLONG_MAX");
    is_str(kd_money_str(buf, LLONG_MIN), "-92233720368547758.08",
           "money_str LLONG_MIN");
}

static void rate_ok(const char *s, long long want)
{
    long long v = -1;

    ok(kd_rate_parse(s, &v) == 0 && v == want,
       nm("rate_parse accepts '%s'", s));
    if (v != want) {
        diag("got %lld, expected %lld", v, want);
    }
}

static void rate_bad(const char *s)
{
    long long v = -12345;

    ok(kd_rate_parse(s, &v) == -1 && v == -12345,
       nm("rate_parse rejects '%s'", s));
}

static void test_rate(void)
{
    char buf[32];

    rate_ok("10.000", 10000);
    rate_ok("10", 10000);
    rate_ok("7.5", 7500);
    rate_ok("7.25", 7250);
    rate_ok("0.000", 0);
    rate_ok("0", 0);
    rate_ok("0.001", 1);
    rate_ok("9999999.999", 9999999999LL);
    rate_bad("-1");
    rate_bad("-0");
    rate_bad("-0.000");
    rate_bad("1.2345");
    rate_bad("10000000");
    rate_bad("");
    rate_bad(".5");
    rate_bad("5.");
    rate_bad("+1");
    rate_bad(" 1");
    rate_bad("1e2");
    rate_bad("10%");
    ok(kd_rate_parse(NULL, NULL) == -1, "rate_parse rejects NULL");

    is_str(kd_rate_str(buf, 10000, 3), "10.000", "rate_str 10.000");
    is_str(kd_rate_str(buf, 7500, 2), "7.50", "rate_str 7.50");
    is_str(kd_rate_str(buf, 12345, 2), "12.35", "rate_str 12.345 -> 12.35");
    is_str(kd_rate_str(buf, 12344, 2), "12.34", "rate_str 12.344 -> 12.34");
    is_str(kd_rate_str(buf, -12345, 2), "-12.35",
           "rate_str -12.345 -> -12.35");
    is_str(kd_rate_str(buf, -4, 2), "0.00", "rate_str -0.004 -> 0.00");
    is_str(kd_rate_str(buf, 0, 3), "0.000", "rate_str 0.000");
    is_str(kd_rate_str(buf, 9999999999LL, 3), "9999999.999",
           "rate_str largest rate");
    is_str(kd_rate_str(buf, 1, 7), "0.001",
           "rate_str other decimals: three");
}

static void test_percent(void)
{
    /* Ties at half a cent go away from zero, for both signs. */
    is_int(kd_money_percent(5, 10000), 1, "percent 0.05 @ 10% = 0.01");
    is_int(kd_money_percent(-5, 10000), -1, "percent -0.05 @ 10% = -0.01");
    is_int(kd_money_percent(4, 12500), 1, "percent 0.04 @ 12.5% = 0.01");
    is_int(kd_money_percent(-4, 12500), -1,
           "percent -0.04 @ 12.5% = -0.01");
    is_int(kd_money_percent(15, 10000), 2, "percent 0.15 @ 10% = 0.02");
    is_int(kd_money_percent(-15, 10000), -2,
           "percent -0.15 @ 10% = -0.02");
    is_int(kd_money_percent(4, 10000), 0, "percent 0.04 @ 10% = 0.00");
    is_int(kd_money_percent(-4, 10000), 0, "percent -0.04 @ 10% = 0.00");
    is_int(kd_money_percent(14, 10000), 1, "percent 0.14 @ 10% = 0.01");
    is_int(kd_money_percent(3, 16667), 1,
           "percent 0.03 @ 16.667% = 0.01 (0.0050001)");
    is_int(kd_money_percent(3, 16666), 0,
           "percent 0.03 @ 16.666% = 0.00 (0.0049998)");
    is_int(kd_money_percent(10000, 7500), 750, "percent 100.00 @ 7.5%");
    is_int(kd_money_percent(1999, 20000), 400, "percent 19.99 @ 20%");
    is_int(kd_money_percent(123456, 0), 0, "percent at 0%");
    is_int(kd_money_percent(0, 10000), 0, "percent of 0");
    is_int(kd_money_percent(123456, 100000), 123456, "percent at 100%");
    is_int(kd_money_percent(10000, -10000), -1000,
           "percent at -10% (a discount)");

    /* Exact beyond 2^53, where a binary fraction would round. */
    is_int(kd_money_percent(9999999999999995LL, 10000), 1000000000000000LL,
           "percent big tie 99999999999999.95 @ 10%");
    is_int(kd_money_percent(-9999999999999995LL, 10000),
           -1000000000000000LL, "percent big tie, negative");
    is_int(kd_money_percent(KD_CENTS_MAX, 999999), 99999899999999990LL,
           "percent KD_CENTS_MAX @ 999.999%");
    is_int(kd_money_percent(100000000000000LL, 999999999),
           999999999000000000LL,
           "percent 1000000000000.00 @ 999999.999%");
    /* The true result exceeds 64 bits: clamped, not wrapped. */
    is_int(kd_money_percent(KD_CENTS_MAX, 999999999), LLONG_MAX,
           "percent KD_CENTS_MAX @ 999999.999% clamps");
    is_int(kd_money_percent(-KD_CENTS_MAX, 999999999), -LLONG_MAX,
           "percent -KD_CENTS_MAX @ 999999.999% clamps");
    is_int(kd_money_percent(LLONG_MIN, LLONG_MIN), LLONG_MAX,
           "percent LLONG_MIN @ LLONG_MIN clamps");
    is_int(kd_money_percent(LLONG_MIN, 100000), -LLONG_MAX,
           "percent LLONG_MIN @ 100% clamps to -LLONG_MAX");
}

/*
 * t is amount * r / (100000 + r) rounded half away from zero: checked
 * from the definition, with no division, for small values.
 */
static int is_inclusive_tax(long long amount, long long r, long long t)
{
    long long den = 100000 + r, x2 = 2 * (t * den - amount * r);

    if (x2 > den || x2 < -den) {
        return 0;
    }
    if (x2 == den || x2 == -den) {
        /* A tie: t must be the one further from zero. */
        return amount * r >= 0 ? t * den > amount * r
                               : t * den < amount * r;
    }
    return 1;
}

static void test_inclusive(void)
{
    static const long long rates[] = {
        0, 1, 5000, 7500, 10000, 12500, 16667, 20000, 21000, 25000,
        100000, 333333
    };
    long long a;
    size_t i;
    int bad = 0;

    is_int(kd_money_inclusive_tax(11000, 10000), 1000,
           "inclusive 110.00 @ 10% = 10.00");
    is_int(kd_money_inclusive_tax(10000, 10000), 909,
           "inclusive 100.00 @ 10% = 9.09");
    is_int(kd_money_inclusive_tax(-11000, 10000), -1000,
           "inclusive -110.00 @ 10% = -10.00");
    is_int(kd_money_inclusive_tax(-10000, 10000), -909,
           "inclusive -100.00 @ 10% = -9.09");
    is_int(kd_money_inclusive_tax(12000, 20000), 2000,
           "inclusive 120.00 @ 20% = 20.00");
    is_int(kd_money_inclusive_tax(10750, 7500), 750,
           "inclusive 107.50 @ 7.5% = 7.50");
    is_int(kd_money_inclusive_tax(12345, 0), 0, "inclusive at 0%");
    is_int(kd_money_inclusive_tax(0, 10000), 0, "inclusive of 0");
    /* At 100% the tax is half the amount: ties show the rounding. */
    is_int(kd_money_inclusive_tax(1, 100000), 1,
           "inclusive 0.01 @ 100% = 0.01 (0.005)");
    is_int(kd_money_inclusive_tax(-1, 100000), -1,
           "inclusive -0.01 @ 100% = -0.01");
    is_int(kd_money_inclusive_tax(3, 100000), 2,
           "inclusive 0.03 @ 100% = 0.02 (0.015)");
    is_int(kd_money_inclusive_tax(12, 25000), 2,
           "inclusive 0.12 @ 25% = 0.02 (0.024)");
    is_int(kd_money_inclusive_tax(13, 25000), 3,
           "inclusive 0.13 @ 25% = 0.03 (0.026)");
    is_int(kd_money_inclusive_tax(KD_CENTS_MAX, 10000), 909090909090909LL,
           "inclusive KD_CENTS_MAX @ 10%");
    is_int(kd_money_inclusive_tax(KD_CENTS_MAX, 9999999999LL),
           9999900000999979LL, "inclusive KD_CENTS_MAX @ 9999999.999%");
    is_int(kd_money_inclusive_tax(10000, -100000), 0,
           "inclusive at -100%: 0, no division by zero");

    /* The single rounding equals amount - amount / (1 + rate). */
    for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        for (a = -20000; a <= 20000; a++) {
            if (!is_inclusive_tax(a, rates[i],
                                  kd_money_inclusive_tax(a, rates[i]))) {
                if (bad++ < 5) {
                    diag("amount %lld rate %lld: %lld", a, rates[i],
                         kd_money_inclusive_tax(a, rates[i]));
                }
            }
        }
    }
    is_int(bad, 0, "inclusive: -200.00..200.00 at 12 rates match the "
           "definition");
}

static void tax_is(kd_cents amount, long long r1, long long r2, int incl,
                   int compound, kd_cents net, kd_cents t1, kd_cents t2)
{
    kd_tax t = kd_money_tax(amount, r1, r2, incl, compound);
    char label[200];

    snprintf(label, sizeof(label), "tax %lld @ %lld, %lld %s%s = net %lld, "
             "tax %lld, tax2 %lld", amount, r1, r2,
             incl ? "inclusive" : "exclusive", compound ? " compound" : "",
             net, t1, t2);
    if (!ok(t.net == net && t.tax1 == t1 && t.tax2 == t2, label)) {
        diag("got net %lld, tax %lld, tax2 %lld", t.net, t.tax1, t.tax2);
    }
}

/* The two taxes as addorder and the invoice recalculation both wrote
 * them before kd_money_tax: it must give the same in every case. */
static kd_tax tax_as_before(kd_cents sub, long long r1, long long r2,
                            int incl, int compound)
{
    kd_tax t;

    t.net = sub;
    if (incl) {
        t.tax1 = kd_money_inclusive_tax(sub, r1);
        t.tax2 = kd_money_inclusive_tax(sub - t.tax1, r2);
        t.net -= t.tax1 + t.tax2;
    }
    else {
        t.tax1 = kd_money_percent(sub, r1);
        t.tax2 = kd_money_percent(sub + (compound ? t.tax1 : 0), r2);
    }
    return t;
}

static void test_tax(void)
{
    static const long long rates[] = {
        0, 1, 5000, 9975, 10000, 12500, 16667, 20000, 100000
    };
    long long a;
    size_t i, j;
    int m, bad = 0;

    /* Exclusive: the taxes come on top, the net is the amount. */
    tax_is(10000, 10000, 5000, 0, 0, 10000, 1000, 500);
    tax_is(10000, 10000, 5000, 0, 1, 10000, 1000, 550);
    tax_is(30000000, 10000, 0, 0, 0, 30000000, 3000000, 0);
    /* GST 5% and QST 9.975%: 9.975 is a tie, 10.47375 is not. */
    tax_is(10000, 5000, 9975, 0, 0, 10000, 500, 998);
    tax_is(10000, 5000, 9975, 0, 1, 10000, 500, 1047);
    /* Rounding half away from zero, at each level. */
    tax_is(5, 10000, 0, 0, 0, 5, 1, 0);
    tax_is(-5, 10000, 0, 0, 0, -5, -1, 0);
    tax_is(4, 10000, 0, 0, 0, 4, 0, 0);
    tax_is(1000, 5000, 5000, 0, 0, 1000, 50, 50);
    tax_is(1000, 5000, 5000, 0, 1, 1000, 50, 53);
    tax_is(-1000, 5000, 5000, 0, 1, -1000, -50, -53);
    /* Zero rates, and a level 2 rule only. */
    tax_is(12345, 0, 0, 0, 0, 12345, 0, 0);
    tax_is(12345, 0, 0, 0, 1, 12345, 0, 0);
    tax_is(10000, 0, 10000, 0, 0, 10000, 0, 1000);
    tax_is(10000, 0, 10000, 0, 1, 10000, 0, 1000);
    tax_is(0, 10000, 5000, 0, 1, 0, 0, 0);

    /* Inclusive: both come out of the amount; compound plays no part. */
    tax_is(11550, 10000, 5000, 1, 0, 10000, 1050, 500);
    tax_is(11550, 10000, 5000, 1, 1, 10000, 1050, 500);
    tax_is(11000, 10000, 0, 1, 0, 10000, 1000, 0);
    /* 9.0909 and 432.905: each rounded once, level 2 on what is left. */
    tax_is(10000, 10000, 5000, 1, 0, 8658, 909, 433);
    tax_is(-10000, 10000, 5000, 1, 0, -8658, -909, -433);
    /* Ties at 100%: 0.015 and then 0.005 round away from zero. */
    tax_is(3, 100000, 100000, 1, 0, 0, 2, 1);
    tax_is(-3, 100000, 100000, 1, 1, 0, -2, -1);
    tax_is(1, 100000, 0, 1, 0, 0, 1, 0);
    tax_is(12345, 0, 0, 1, 0, 12345, 0, 0);
    tax_is(12345, 0, 0, 1, 1, 12345, 0, 0);
    tax_is(11000, 0, 10000, 1, 0, 10000, 0, 1000);
    tax_is(0, 10000, 5000, 1, 0, 0, 0, 0);

    /* Far beyond any real tax, sums clamp as the products do. */
    tax_is(KD_CENTS_MAX, 9999999999LL, 9999999999LL, 0, 1, KD_CENTS_MAX,
           LLONG_MAX, LLONG_MAX);
    tax_is(-KD_CENTS_MAX, 9999999999LL, 9999999999LL, 0, 1,
           -KD_CENTS_MAX, -LLONG_MAX, -LLONG_MAX);
    tax_is(KD_CENTS_MAX, -99999, 0, 1, 0, LLONG_MAX, -LLONG_MAX, 0);
    tax_is(KD_CENTS_MAX, 9999999999LL, 9999999999LL, 1, 0, 999980,
           9999900000999979LL, 99998000040LL);

    /* The same as the code it replaces, wherever that had no overflow. */
    for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        for (j = 0; j < sizeof(rates) / sizeof(rates[0]); j++) {
            for (m = 0; m < 4; m++) {
                for (a = -20000; a <= 20000; a += 7) {
                    kd_tax t = kd_money_tax(a, rates[i], rates[j], m & 1,
                                            m >> 1);
                    kd_tax w = tax_as_before(a, rates[i], rates[j], m & 1,
                                             m >> 1);

                    if ((t.net != w.net || t.tax1 != w.tax1
                         || t.tax2 != w.tax2) && bad++ < 5) {
                        diag("amount %lld rates %lld %lld mode %d", a,
                             rates[i], rates[j], m);
                    }
                }
            }
        }
    }
    is_int(bad, 0, "tax: -200.00..200.00, 81 rate pairs, 4 modes: as "
           "addorder and the recalculation computed it");
}

static void fmt_is(kd_cents v, int format, const char *prefix,
                   const char *suffix, const char *want)
{
    char buf[64], label[160];

    snprintf(label, sizeof(label), "format %lld fmt %d '%s' '%s' = '%s'",
             v, format, prefix ? prefix : "(null)",
             suffix ? suffix : "(null)", want ? want : "NULL");
    is_str(kd_money_format(buf, sizeof(buf), v, format, prefix, suffix),
           want, label);
}

static void test_format(void)
{
    char buf[64];
    char *rv;

    fmt_is(123456, 1, "", "", "1234.56");
    fmt_is(123456, 2, "", "", "1,234.56");
    fmt_is(123456, 3, "", "", "1.234,56");
    fmt_is(123456, 4, "", "", "1,235");
    fmt_is(123456, 2, "$", " USD", "$1,234.56 USD");
    fmt_is(123456, 1, "$", " USD", "$1234.56 USD");
    fmt_is(5000000, 4, "VND", "VND", "VND50,000VND");
    fmt_is(123450, 4, "", "", "1,235");
    fmt_is(123449, 4, "", "", "1,234");
    fmt_is(-123450, 4, "", "", "-1,235");
    fmt_is(-123449, 4, "", "", "-1,234");
    fmt_is(-40, 4, "$", "", "$0");
    fmt_is(-50, 4, "$", "", "-$1");
    fmt_is(0, 1, "", "", "0.00");
    fmt_is(0, 2, "", "", "0.00");
    fmt_is(0, 3, "", "", "0,00");
    fmt_is(0, 4, "", "", "0");
    fmt_is(5, 2, "", "", "0.05");
    fmt_is(-123456, 2, "$", " USD", "-$1,234.56 USD");
    fmt_is(-123456, 1, "", "", "-1234.56");
    fmt_is(-123456, 3, "", " EUR", "-1.234,56 EUR");
    fmt_is(99999, 2, "", "", "999.99");
    fmt_is(100000, 2, "", "", "1,000.00");
    fmt_is(1000000, 3, "", "", "10.000,00");
    fmt_is(10000000000LL, 2, "", "", "100,000,000.00");
    fmt_is(KD_CENTS_MAX, 2, "", "", "99,999,999,999,999.99");
    fmt_is(KD_CENTS_MAX, 4, "", "", "100,000,000,000,000");
    fmt_is(LLONG_MIN, 2, "", "", "-92,233,720,368,547,758.08");
    fmt_is(LLONG_MAX, 4, "", "", "92,233,720,368,547,758");
    fmt_is(123456, 2, NULL, NULL, "1,234.56");
    fmt_is(123456, 0, "", "", NULL);
    fmt_is(123456, 5, "", "", NULL);
    fmt_is(123456, -1, "", "", NULL);

    /* "-$1,234.56 USD" is 14 bytes: 15 fit, 14 do not. */
    rv = kd_money_format(buf, 15, -123456, 2, "$", " USD");
    is_str(rv, "-$1,234.56 USD", "format fits in exactly 15 bytes");
    memset(buf, 'x', sizeof(buf));
    rv = kd_money_format(buf, 14, -123456, 2, "$", " USD");
    ok(rv == NULL && buf[0] == '\0' && buf[14] == 'x',
       "format in 14 bytes: NULL, '' and nothing written past");
    ok(kd_money_format(buf, 5, 123456, 1, "", "") == NULL,
       "format without room for the digits: NULL");
    ok(kd_money_format(buf, 8, 123456, 1, "", "") != NULL,
       "format 1234.56 in 8 bytes");
    ok(kd_money_format(buf, 7, 123456, 1, "", "") == NULL,
       "format 1234.56 in 7 bytes: NULL");
    ok(kd_money_format(buf, 0, 0, 1, "", "") == NULL,
       "format with bufsz 0: NULL");
    ok(kd_money_format(NULL, 64, 0, 1, "", "") == NULL,
       "format with no buf: NULL");
    ok(kd_money_format(buf, 10, 1, 1, "a long prefix", "") == NULL,
       "format with a prefix longer than buf: NULL");
    ok(kd_money_format(buf, 10, 1, 1, "", "a long suffix") == NULL,
       "format with a suffix longer than buf: NULL");
}

static void date_is(kd_date d, const char *want, const char *label)
{
    char buf[11];

    is_str(kd_date_str(buf, &d), want, label);
}

/* kd_date_add on an ISO date, checked against an ISO date. */
static void add_is(const char *from, int months, int days, const char *want)
{
    kd_date d;
    char label[96];

    snprintf(label, sizeof(label), "date_add %s %+d months %+d days = %s",
             from, months, days, want);
    if (kd_date_parse(from, &d) != 0) {
        ok(0, label);
        return;
    }
    date_is(kd_date_add(&d, months, days), want, label);
}

static void date_bad(const char *s)
{
    kd_date d = { 1, 2, 3 };

    ok(kd_date_parse(s, &d) == -1 && d.year == 1 && d.month == 2
       && d.day == 3, nm("date_parse rejects '%s'", s));
}

static void test_date_parse(void)
{
    kd_date d;
    char buf[11];

    ok(kd_date_parse("2017-01-31", &d) == 0 && d.year == 2017
       && d.month == 1 && d.day == 31, "date_parse 2017-01-31");
    is_str(kd_date_str(buf, &d), "2017-01-31", "  kd_date_str");
    ok(kd_date_parse("2016-02-29", &d) == 0, "date_parse 2016-02-29");
    ok(kd_date_parse("2000-02-29", &d) == 0, "date_parse 2000-02-29 "
       "(2000 is a leap year)");
    ok(kd_date_parse("0001-01-01", &d) == 0, "date_parse 0001-01-01");
    ok(kd_date_parse("9999-12-31", &d) == 0, "date_parse 9999-12-31");
    date_bad("2017-02-29");
    date_bad("1900-02-29");
    date_bad("2100-02-29");
    date_bad("2017-02-30");
    date_bad("2017-04-31");
    date_bad("2017-13-01");
    date_bad("2017-00-10");
    date_bad("2017-01-00");
    date_bad("2017-01-32");
    date_bad("0000-00-00");
    date_bad("0000-01-01");
    date_bad("17-01-01");
    date_bad("2017-1-01");
    date_bad("2017-01-1");
    date_bad("2017/01/01");
    date_bad("2017-01-01x");
    date_bad("2017-01-01 ");
    date_bad("2017-01-01 00:00:00");
    date_bad(" 2017-01-01");
    date_bad("+017-01-01");
    date_bad("2017-0a-01");
    date_bad("2017-01");
    date_bad("");
    ok(kd_date_parse(NULL, &d) == -1, "date_parse rejects NULL");

    d.year = 2017;
    d.month = 2;
    d.day = 30;
    date_is(d, "0000-00-00", "date_str of a non-date: zeros");
    d.year = 123456;
    d.month = 1;
    d.day = 1;
    date_is(d, "0000-00-00", "date_str of a 6-digit year: zeros");
}

static void test_date_add(void)
{
    kd_date d;

    /* WHMCS next due dates: PHP mktime month overflow. */
    add_is("2017-01-31", 1, 0, "2017-03-03");
    add_is("2016-01-31", 1, 0, "2016-03-02");
    add_is("2016-02-29", 12, 0, "2017-03-01");
    add_is("2017-01-15", 1, 0, "2017-02-15");
    add_is("2017-03-31", 1, 0, "2017-05-01");
    add_is("2017-08-31", 6, 0, "2018-03-03");

    /* Invoice periods: mktime(month + N, day - 1). */
    add_is("2017-01-06", 1, -1, "2017-02-05");
    add_is("2017-01-31", 1, -1, "2017-03-02");
    add_is("2017-01-01", 1, -1, "2017-01-31");
    add_is("2017-03-01", 1, -1, "2017-03-31");
    add_is("2016-02-29", 12, -1, "2017-02-28");
    add_is("2017-11-30", 3, -1, "2018-03-01");
    add_is("2017-01-01", 12, -1, "2017-12-31");

    /* Leap years: 2000 is one, 1900 and 2100 are not. */
    add_is("2000-02-28", 0, 1, "2000-02-29");
    add_is("1900-02-28", 0, 1, "1900-03-01");
    add_is("2100-02-28", 0, 1, "2100-03-01");
    add_is("2016-02-28", 0, 1, "2016-02-29");
    add_is("2000-02-29", 1200, 0, "2100-03-01");
    add_is("2000-01-31", 1, 0, "2000-03-02");
    add_is("1900-01-31", 1, 0, "1900-03-03");

    /* Annual, biennial and triennial cycles from 29 Feb. */
    add_is("2016-02-29", 24, 0, "2018-03-01");
    add_is("2016-02-29", 36, 0, "2019-03-01");
    add_is("2016-02-29", 48, 0, "2020-02-29");

    /* December to January. */
    add_is("2017-12-15", 1, 0, "2018-01-15");
    add_is("2017-12-31", 1, 0, "2018-01-31");
    add_is("2017-11-30", 2, 0, "2018-01-30");
    add_is("2017-12-31", 0, 1, "2018-01-01");
    add_is("2017-12-01", 1, -1, "2017-12-31");
    add_is("2017-12-15", 25, 0, "2020-01-15");

    /* Negative months and days. */
    add_is("2017-03-31", -1, 0, "2017-03-03");
    add_is("2017-01-15", -1, 0, "2016-12-15");
    add_is("2017-01-15", -13, 0, "2015-12-15");
    add_is("2017-01-15", -12, 0, "2016-01-15");
    add_is("2016-02-29", -12, 0, "2015-03-01");
    add_is("2017-03-01", 0, -1, "2017-02-28");
    add_is("2016-03-01", 0, -1, "2016-02-29");
    add_is("2017-01-01", 0, -1, "2016-12-31");
    add_is("2017-01-01", 0, -365, "2016-01-02");
    add_is("2017-01-01", 0, -366, "2016-01-01");
    add_is("2017-01-31", -1, -31, "2016-11-30");
    add_is("2017-01-01", 0, 0, "2017-01-01");

    /* Whole 400-year cycles, and extreme counts without overflow. */
    add_is("2000-01-01", 0, 146097, "2400-01-01");
    add_is("2000-01-01", 0, -146097, "1600-01-01");
    add_is("2000-03-01", 0, -146098, "1600-02-29");
    d.year = 2017;
    d.month = 1;
    d.day = 1;
    d = kd_date_add(&d, 0, INT_MAX);
    ok(d.year == 5881627 && d.month == 7 && d.day == 12,
       "date_add 2017-01-01 + INT_MAX days = 5881627-07-12");
    d.year = 2017;
    d.month = 1;
    d.day = 1;
    d = kd_date_add(&d, 0, INT_MIN);
    ok(d.year == -5877594 && d.month == 6 && d.day == 23,
       "date_add 2017-01-01 + INT_MIN days = -5877594-06-23");
    d.year = 2017;
    d.month = 1;
    d.day = 1;
    d = kd_date_add(&d, INT_MAX, 0);
    ok(d.year == 178958987 && d.month == 8 && d.day == 1,
       "date_add 2017-01-01 + INT_MAX months");
    d.year = 2017;
    d.month = 1;
    d.day = 1;
    d = kd_date_add(&d, INT_MIN, 0);
    ok(d.year == -178954954 && d.month == 5 && d.day == 1,
       "date_add 2017-01-01 + INT_MIN months");

    /* Out-of-range fields normalise as mktime's do. */
    d.year = 2017;
    d.month = 3;
    d.day = 0;
    date_is(kd_date_add(&d, 0, 0), "2017-02-28", "date_add day 0");
    d.year = 2017;
    d.month = 13;
    d.day = 1;
    date_is(kd_date_add(&d, 0, 0), "2018-01-01", "date_add month 13");
    d.year = 2017;
    d.month = 0;
    d.day = 1;
    date_is(kd_date_add(&d, 0, 0), "2016-12-01", "date_add month 0");
}

static void test_date_local(void)
{
    kd_date d;

    /* POSIX TZ strings: the sign is west of UTC, so "XXX-10" is +10. */
    setenv("TZ", "UTC0", 1);
    tzset();
    date_is(kd_date_local(0), "1970-01-01", "date_local 0 in UTC");
    date_is(kd_date_local(1488326399), "2017-02-28",
            "date_local 2017-02-28 23:59:59Z in UTC");
    setenv("TZ", "XXX-10", 1);
    tzset();
    d = kd_date_local(1488326399);
    date_is(d, "2017-03-01", "date_local 2017-02-28 23:59:59Z at UTC+10");
}

static void test_date_format(void)
{
    kd_date d = { 2017, 3, 9 };
    char buf[11];

    is_str(kd_date_format(buf, &d, "DD/MM/YYYY"), "09/03/2017",
           "date_format DD/MM/YYYY");
    is_str(kd_date_format(buf, &d, "DD.MM.YYYY"), "09.03.2017",
           "date_format DD.MM.YYYY");
    is_str(kd_date_format(buf, &d, "DD-MM-YYYY"), "09-03-2017",
           "date_format DD-MM-YYYY");
    is_str(kd_date_format(buf, &d, "MM/DD/YYYY"), "03/09/2017",
           "date_format MM/DD/YYYY");
    is_str(kd_date_format(buf, &d, "YYYY/MM/DD"), "2017/03/09",
           "date_format YYYY/MM/DD");
    is_str(kd_date_format(buf, &d, "YYYY-MM-DD"), "2017-03-09",
           "date_format YYYY-MM-DD");
    is_str(kd_date_format(buf, &d, "d/m/Y"), "2017-03-09",
           "date_format unknown: ISO");
    is_str(kd_date_format(buf, &d, "dd/mm/yyyy"), "2017-03-09",
           "date_format is case-sensitive: ISO");
    is_str(kd_date_format(buf, &d, ""), "2017-03-09",
           "date_format empty: ISO");
    is_str(kd_date_format(buf, &d, NULL), "2017-03-09",
           "date_format NULL: ISO");
    d.day = 31;
    d.month = 4;
    is_str(kd_date_format(buf, &d, "DD/MM/YYYY"), "00/00/0000",
           "date_format of a non-date: zeros");
}

static void cycle_is(const char *cycle, int want)
{
    is_int(kd_cycle_months(cycle), want, nm("cycle_months '%s'", cycle));
}

static void test_cycle(void)
{
    cycle_is("Monthly", 1);
    cycle_is("Quarterly", 3);
    cycle_is("Semi-Annually", 6);
    cycle_is("Annually", 12);
    cycle_is("Biennially", 24);
    cycle_is("Triennially", 36);
    cycle_is("One Time", 0);
    cycle_is("Free Account", 0);
    cycle_is("monthly", 1);
    cycle_is("quarterly", 3);
    cycle_is("semiannually", 6);
    cycle_is("annually", 12);
    cycle_is("biennially", 24);
    cycle_is("triennially", 36);
    cycle_is("onetime", 0);
    cycle_is("free", 0);
    cycle_is("MONTHLY", 1);
    cycle_is("semi-annually", 6);
    cycle_is("SemiAnnually", 6);
    cycle_is("one time", 0);
    cycle_is("FREE ACCOUNT", 0);
    cycle_is("", -1);
    cycle_is("Monthly ", -1);
    cycle_is("Weekly", -1);
    cycle_is("Semi Annually", -1);
    cycle_is("Free Accoun", -1);
    is_int(kd_cycle_months(NULL), -1, "cycle_months NULL");
}

static void cycle_row(kd_cycle_id id, const char *sys, const char *display,
                      int months, int col)
{
    const kd_cycle *c = &kd_cycles[id];

    ok(!strcmp(c->sys, sys) && !strcmp(c->display, display)
       && c->months == months && c->price_col == col,
       nm("kd_cycles: %s", sys));
    ok(kd_cycle_by_sys(sys) == c, nm("cycle_by_sys '%s'", sys));
    is_int(kd_cycle_months(display), months, nm("  months of '%s'",
                                                display));
}

static void test_cycle_table(void)
{
    cycle_row(KD_CYCLE_MONTHLY, "monthly", "Monthly", 1, 0);
    cycle_row(KD_CYCLE_QUARTERLY, "quarterly", "Quarterly", 3, 1);
    cycle_row(KD_CYCLE_SEMIANNUALLY, "semiannually", "Semi-Annually", 6, 2);
    cycle_row(KD_CYCLE_ANNUALLY, "annually", "Annually", 12, 3);
    cycle_row(KD_CYCLE_BIENNIALLY, "biennially", "Biennially", 24, 4);
    cycle_row(KD_CYCLE_TRIENNIALLY, "triennially", "Triennially", 36, 5);
    cycle_row(KD_CYCLE_ONETIME, "onetime", "One Time", 0, 0);
    cycle_row(KD_CYCLE_FREE, "free", "Free Account", 0, -1);

    ok(kd_cycle_by_sys("SemiAnnually") == &kd_cycles[KD_CYCLE_SEMIANNUALLY],
       "cycle_by_sys ignores ASCII case");
    /* The API takes system names only. */
    ok(kd_cycle_by_sys("Semi-Annually") == NULL,
       "cycle_by_sys 'Semi-Annually': a display name is not one");
    ok(kd_cycle_by_sys("One Time") == NULL, "cycle_by_sys 'One Time'");
    ok(kd_cycle_by_sys("") == NULL, "cycle_by_sys ''");
    ok(kd_cycle_by_sys("monthly ") == NULL, "cycle_by_sys 'monthly '");
    ok(kd_cycle_by_sys("weekly") == NULL, "cycle_by_sys 'weekly'");
    ok(kd_cycle_by_sys(NULL) == NULL, "cycle_by_sys NULL");
}

int main(void)
{
    test_money_parse();
    test_rate();
    test_percent();
    test_inclusive();
    test_tax();
    test_format();
    test_date_parse();
    test_date_add();
    test_date_local();
    test_date_format();
    test_cycle();
    test_cycle_table();
    return done_testing();
}
