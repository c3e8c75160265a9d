/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_money.h
 * @brief Exact money, WHMCS's date arithmetic and display formats.
 *
 * Money is a count of cents in a 64-bit integer: WHMCS's columns are
 * decimal(16,2), so every value fits with room to spare, and no amount
 * ever passes through a floating-point type.  No httpd or APR types cross
 * this API (unit-tested and fuzzed alone).
 */
#ifndef KD_MONEY_H
#define KD_MONEY_H

#include <stddef.h>
#include <time.h>

typedef long long kd_cents;

/** Largest magnitude a decimal(16,2) column holds, in cents. */
#define KD_CENTS_MAX 9999999999999999LL

/**
 * Parse a decimal amount: optional '-', digits, optionally '.' and one
 * or two digits ("12", "12.5", "12.50", "-1.00").  Nothing else: no '+',
 * spaces, exponents, thousands separators or a third decimal.
 * @return 0 and *out, or -1.
 */
int kd_money_parse(const char *s, kd_cents *out);

/** Write "-1234.50" style text (two decimals, no separators); buf >= 32. */
char *kd_money_str(char *buf, kd_cents v);

/**
 * Parse a rate such as a tbltax taxrate ("10.000", "7.5", "0"): up to
 * three decimals, into thousandths of a percent.  @return 0 or -1.
 */
int kd_rate_parse(const char *s, long long *milli);

/** Write a rate with the given number of decimals (2 or 3); buf >= 32. */
char *kd_rate_str(char *buf, long long milli, int decimals);

/**
 * amount x rate% rounded half away from zero to the cent (PHP's round),
 * computed exactly (128-bit intermediate).
 */
kd_cents kd_money_percent(kd_cents amount, long long rate_milli);

/**
 * The tax contained in an amount that includes it (WHMCS's inclusive
 * tax): amount - amount / (1 + rate/100), rounded half away from zero.
 */
kd_cents kd_money_inclusive_tax(kd_cents amount, long long rate_milli);

/** A taxed amount split as an invoice shows it (kd_money_tax). */
typedef struct {
    kd_cents net;               /* what the amount adds to the subtotal */
    kd_cents tax1;              /* level 1 (tblinvoices.tax) */
    kd_cents tax2;              /* level 2 (tblinvoices.tax2) */
} kd_tax;

/**
 * WHMCS's two-level tax on a taxable amount (updateInvoiceTotal), rates
 * in thousandths of a percent (kd_rate_parse).  Exclusive: the taxes
 * come on top, tax1 = amount x rate1, tax2 = amount x rate2, or
 * (amount + tax1) x rate2 when level 2 is compound; net = amount.
 * Inclusive: the amount already holds both, tax1 is the rate1 tax in
 * amount, tax2 the rate2 tax in amount - tax1 (compound plays no part),
 * net = amount - tax1 - tax2.  Each tax is rounded once, half away from
 * zero (kd_money_percent, kd_money_inclusive_tax).
 */
kd_tax kd_money_tax(kd_cents amount, long long rate1_milli,
                    long long rate2_milli, int inclusive, int compound);

/**
 * WHMCS currency display: prefix + number + suffix, with format
 * 1 "1234.56", 2 "1,234.56", 3 "1.234,56", 4 "1,234" (rounded to whole
 * units, half away from zero).  buf must hold bufsz bytes.
 * @return buf, or NULL when it does not fit or the format is unknown.
 */
char *kd_money_format(char *buf, size_t bufsz, kd_cents v, int format,
                      const char *prefix, const char *suffix);

/** A calendar date (no time zone: WHMCS dates are plain dates). */
typedef struct {
    int year;                   /* e.g. 2017 */
    int month;                  /* 1..12 */
    int day;                    /* 1..31 */
} kd_date;

/** Parse "YYYY-MM-DD" (a real date, or "0000-00-00" -> -1). */
int kd_date_parse(const char *s, kd_date *out);

/** Write "YYYY-MM-DD"; buf >= 11. */
char *kd_date_str(char *buf, const kd_date *d);

/**
 * PHP mktime(0,0,0, month + months, day + days, year) semantics: the
 * month is added first, then overflowing days roll into the next month
 * (31 Jan + 1 month = 3 Mar; 29 Feb 2016 + 12 months = 1 Mar 2017).
 * months and days may be negative.
 */
kd_date kd_date_add(const kd_date *d, int months, int days);

/** The local calendar date of a Unix time (localtime_r). */
kd_date kd_date_local(time_t t);

/**
 * Format a date with a WHMCS DateFormat setting: DD/MM/YYYY, DD.MM.YYYY,
 * DD-MM-YYYY, MM/DD/YYYY, YYYY/MM/DD, YYYY-MM-DD (any other value: the
 * ISO form).  buf >= 11.
 */
char *kd_date_format(char *buf, const kd_date *d, const char *fmt);

/** WHMCS's billing cycles, in the order of its price columns. */
typedef enum {
    KD_CYCLE_MONTHLY = 0,
    KD_CYCLE_QUARTERLY,
    KD_CYCLE_SEMIANNUALLY,
    KD_CYCLE_ANNUALLY,
    KD_CYCLE_BIENNIALLY,
    KD_CYCLE_TRIENNIALLY,
    KD_CYCLE_ONETIME,
    KD_CYCLE_FREE,
    KD_NCYCLES
} kd_cycle_id;

/** One billing cycle, under both of WHMCS's names. */
typedef struct {
    const char *sys;            /* system name, what the API takes */
    const char *display;        /* display name (tblhosting.billingcycle) */
    int months;                 /* 1..36; 0 for One Time / Free Account */
    int price_col;              /* tblpricing column pair: 0 msetupfee and
                                 * monthly ... 5 tsetupfee and
                                 * triennially; -1 nothing to price */
} kd_cycle;

/** The cycles, indexed by kd_cycle_id. */
extern const kd_cycle kd_cycles[KD_NCYCLES];

/**
 * The cycle with this system name ("semiannually"), compared ASCII
 * case-insensitively; NULL if none.
 */
const kd_cycle *kd_cycle_by_sys(const char *sys);

/**
 * Months in a WHMCS billing cycle, by display name ("Monthly",
 * "Semi-Annually", ...) or system name ("monthly", "semiannually"):
 * 1, 3, 6, 12, 24, 36; 0 for One Time / Free Account; -1 if unknown.
 */
int kd_cycle_months(const char *cycle);

#endif /* KD_MONEY_H */
