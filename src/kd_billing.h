/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_billing.h
 * @brief WHMCS's settings, the activity log, invoices and what paying
 * one does.
 */
#ifndef KD_BILLING_H
#define KD_BILLING_H

#include "mod_kdata.h"
#include "kd_db.h"
#include "kd_money.h"

extern const kd_stmt kd_stmts_billing[];

/* The tblconfiguration settings the writes depend on. */
typedef struct {
    const char *date_format;        /* DateFormat */
    int tax_enabled;                /* TaxEnabled */
    int tax_inclusive;              /* TaxType = Inclusive */
    int tax_l2_compound;            /* TaxL2Compound */
    int auto_apply_credit;          /* NoAutoApplyCredit is off */
    int sequential;                 /* SequentialInvoiceNumbering */
    const char *sequential_format;  /* SequentialInvoiceNumberFormat */
    int cancel_invoice;             /* CancelInvoiceOnCancellation */
} kd_settings;

/* An invoice row as the billing code needs it. */
typedef struct {
    long long id;
    long long userid;
    const char *invoicenum;
    const char *status;
    kd_cents subtotal, credit, tax, tax2, total;
    long long taxrate, taxrate2;    /* thousandths of a percent */
    kd_cents payments;              /* sum of tblaccounts in - out */
} kd_invoice;

/* One tblconfiguration setting as a scalar subquery of a statement that
 * reads it with other things (one round trip fewer than kd_settings_load):
 * read as any plain read, never locked (tblconfiguration is last in the
 * lock order), and exact, where a per-process copy would act on a
 * setting changed meanwhile. */
#define KD_SETTING(name) \
    "(SELECT " KD_TXT("value", 255) " FROM tblconfiguration " \
    "WHERE setting = '" name "' LIMIT 1)"
/* Every setting of kd_settings, in kd_settings_from_row's order: X is
 * called with each name. */
#define KD_SETTINGS_LIST(X) \
    X("DateFormat") X("TaxEnabled") X("TaxType") X("TaxL2Compound") \
    X("NoAutoApplyCredit") X("SequentialInvoiceNumbering") \
    X("SequentialInvoiceNumberFormat") X("CancelInvoiceOnCancellation")
#define KD_SETTINGS_NCOLS 8
/* All of them as columns, each followed by ", ", each named after its
 * setting (a derived table needs its columns named). */
#define KD_SETTING_COL(name) KD_SETTING(name) " AS `" name "`, "
#define KD_SETTINGS_COLS KD_SETTINGS_LIST(KD_SETTING_COL)

/** Read the settings (one query). */
int kd_settings_load(kd_req *kr, kd_settings *s);
/** The settings from the KD_SETTINGS_COLS columns from col on, in row
 * i of rows (initialised first). */
void kd_settings_from_row(kd_settings *s, const kd_rows *rows, int i,
                          int col);
/** The settings WHMCS assumes when tblconfiguration has none. */
void kd_settings_init(kd_settings *s);
/** Setting k (a tblconfiguration name) to v, as read; NULL is ignored.
 * s keeps v. */
void kd_settings_set(kd_settings *s, const char *k, const char *v);
/** t as WHMCS writes times: "YYYY-MM-DD HH:MM:SS", local time. */
const char *kd_local_time(kd_req *kr, apr_time_t t);
/** "YYYY-MM-DD HH:MM:SS" local time of the request. */
const char *kd_now(kd_req *kr);
/** The local calendar date of the request. */
kd_date kd_today(kd_req *kr);
/** Write a tblactivitylog line for the caller, in WHMCS's wording. */
int kd_activity(kd_req *kr, const char *description);
/**
 * Apply amount of the caller's credit to inv (both rows locked by the
 * caller): invoice credit and total, client credit, a tblcredit line,
 * the activity log, and, once nothing is left to pay, what WHMCS does
 * on payment: Paid with datepaid, a sequential number when the
 * installation uses them, and each Hosting item's service due dates
 * moved one billing cycle on; with KdataWhmcsApi, what WHMCS then does
 * (its payment email, module creates) is queued (kd_outbox.h).  *paid
 * tells whether the invoice is now Paid.
 */
int kd_invoice_apply_credit(kd_req *kr, const kd_settings *s,
                            kd_invoice *inv, kd_cents amount, int *paid);
/**
 * Recompute an invoice's totals from its items (updateInvoiceTotal),
 * after items were removed; inv must be locked.
 */
int kd_invoice_recalc(kd_req *kr, const kd_settings *s, kd_invoice *inv);

#endif /* KD_BILLING_H */
