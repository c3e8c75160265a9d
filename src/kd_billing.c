/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * What WHMCS does around invoices, shared by the operations that write
 * them: its settings, the activity log, applying credit, and marking an
 * invoice paid (sequential number, services' next due dates).  Every
 * function here runs inside the caller's transaction, on rows the caller
 * has locked.  Money is kd_cents throughout (kd_money.h).
 */

#include "apr_strings.h"
#include "apr_time.h"

#include "mod_kdata.h"
#include "kd_billing.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_money.h"
#include "kd_outbox.h"

const kd_stmt kd_stmts_billing[] = {
    {"kd_settings",
     "SELECT setting, " KD_TXT("value", 255) " FROM tblconfiguration "
     "WHERE setting IN "
     "('DateFormat', 'TaxEnabled', 'TaxType', 'TaxL2Compound', "
     "'NoAutoApplyCredit', 'SequentialInvoiceNumbering', "
     "'SequentialInvoiceNumberFormat', 'CancelInvoiceOnCancellation')", 0},
    /* WHMCS 8 records the acting user as well as the client. */
    {"kd_activity8",
     "INSERT INTO tblactivitylog (date, description, user, userid, "
     "user_id, admin_id, ipaddr) VALUES (%s, %s, 'Client', %d, %d, 0, %s)",
     1},
    {"kd_activity7",
     "INSERT INTO tblactivitylog (date, description, user, userid, ipaddr) "
     "VALUES (%s, %s, 'Client', %d, %s)", 0},
    /* Two lines in one round trip, ids in this order. */
    {"kd_activity8_2",
     "INSERT INTO tblactivitylog (date, description, user, userid, "
     "user_id, admin_id, ipaddr) VALUES (%s, %s, 'Client', %d, %d, 0, %s), "
     "(%s, %s, 'Client', %d, %d, 0, %s)", 1},
    {"kd_activity7_2",
     "INSERT INTO tblactivitylog (date, description, user, userid, ipaddr) "
     "VALUES (%s, %s, 'Client', %d, %s), (%s, %s, 'Client', %d, %s)", 0},
    /* Credit moved from the client to the invoice in one statement, on
     * the two rows the caller locked; the second also marks it Paid.
     * The invoice is named first: a multi-table UPDATE changes its first
     * table in place and keeps the new values of the others in a
     * temporary table, which goes to disk when it holds a TEXT column
     * (invoicenum): one disk table per payment with the client first. */
    {"kd_credit_move",
     "UPDATE tblinvoices i JOIN tblclients c ON i.id = %d "
     "SET c.credit = c.credit - %s, i.credit = %s, i.total = %s, "
     "i.updated_at = %s WHERE c.id = %d", 0},
    {"kd_credit_move_paid",
     "UPDATE tblinvoices i JOIN tblclients c ON i.id = %d "
     "SET c.credit = c.credit - %s, i.credit = %s, i.total = %s, "
     "i.status = 'Paid', i.datepaid = %s, i.invoicenum = %s, "
     "i.updated_at = %s WHERE c.id = %d", 0},
    {"kd_credit_line",
     "INSERT INTO tblcredit (clientid, admin_id, date, description, "
     "amount, relid) VALUES (%d, 0, %s, %s, %s, 0)", 0},
    {"kd_seq_value",
     "SELECT " KD_TXT("value", 32) " FROM tblconfiguration "
     "WHERE setting = 'SequentialInvoiceNumberValue' FOR UPDATE", 0},
    {"kd_seq_next",
     "UPDATE tblconfiguration SET value = %s, updated_at = %s "
     "WHERE setting = 'SequentialInvoiceNumberValue'", 0},
    {"kd_invoice_services",
     "SELECT h.id, h.nextduedate, " KD_TXT("h.billingcycle", 32)
     " FROM tblinvoiceitems i "
     "JOIN tblhosting h ON h.id = i.relid AND h.userid = i.userid "
     "WHERE i.invoiceid = %d AND i.type = 'Hosting' ORDER BY h.id "
     "FOR UPDATE", 0},
    {"kd_invoice_items",
     "SELECT amount, taxed FROM tblinvoiceitems WHERE invoiceid = %d", 0},
    {"kd_invoice_totals",
     "UPDATE tblinvoices SET subtotal = %s, tax = %s, tax2 = %s, "
     "total = %s, updated_at = %s WHERE id = %d", 0},
    {"kd_service_due",
     "UPDATE tblhosting SET nextduedate = %s, nextinvoicedate = %s, "
     "updated_at = %s WHERE id = %d", 0},
    {NULL, NULL, 0}
};

static int kd_on(const char *v)
{
    return v && (!strcasecmp(v, "on") || !strcmp(v, "1")
                 || !strcasecmp(v, "yes") || !strcasecmp(v, "true"));
}

void kd_settings_init(kd_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->date_format = "DD/MM/YYYY";
    s->sequential_format = "{NUMBER}";
    s->auto_apply_credit = 1;
}

void kd_settings_set(kd_settings *s, const char *k, const char *v)
{
    if (!k || !v) {
        return;
    }
    if (!strcmp(k, "DateFormat") && *v) {
        s->date_format = v;
    }
    else if (!strcmp(k, "TaxEnabled")) {
        s->tax_enabled = kd_on(v);
    }
    else if (!strcmp(k, "TaxType")) {
        s->tax_inclusive = !strcasecmp(v, "Inclusive");
    }
    else if (!strcmp(k, "TaxL2Compound")) {
        s->tax_l2_compound = kd_on(v);
    }
    else if (!strcmp(k, "NoAutoApplyCredit")) {
        s->auto_apply_credit = !kd_on(v);
    }
    else if (!strcmp(k, "SequentialInvoiceNumbering")) {
        s->sequential = kd_on(v);
    }
    else if (!strcmp(k, "SequentialInvoiceNumberFormat") && *v) {
        s->sequential_format = v;
    }
    else if (!strcmp(k, "CancelInvoiceOnCancellation")) {
        s->cancel_invoice = kd_on(v);
    }
}

int kd_settings_load(kd_req *kr, kd_settings *s)
{
    kd_rows *rows;
    int rc, i;

    kd_settings_init(s);
    if ((rc = kd_db_select(kr, "kd_settings", &rows, 0, NULL)) != KD_NEXT) {
        return rc;
    }
    for (i = 0; i < kd_rows_count(rows); i++) {
        kd_settings_set(s, kd_rows_get(rows, i, 0), kd_rows_get(rows, i, 1));
    }
    return KD_NEXT;
}

#define KD_SETTING_NAME(name) name,
static const char *const kd_setting_names[KD_SETTINGS_NCOLS] = {
    KD_SETTINGS_LIST(KD_SETTING_NAME)
};

void kd_settings_from_row(kd_settings *s, const kd_rows *rows, int i,
                          int col)
{
    int k;

    kd_settings_init(s);
    for (k = 0; k < KD_SETTINGS_NCOLS; k++) {
        kd_settings_set(s, kd_setting_names[k], kd_rows_get(rows, i,
                                                            col + k));
    }
}

const char *kd_local_time(kd_req *kr, apr_time_t t)
{
    apr_time_exp_t tm;
    apr_size_t n;
    char *buf = apr_palloc(kr->r->pool, 20);

    apr_time_exp_lt(&tm, t);
    apr_strftime(buf, &n, 20, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

const char *kd_now(kd_req *kr)
{
    return kd_local_time(kr, kr->r->request_time);
}

kd_date kd_today(kd_req *kr)
{
    return kd_date_local((time_t)apr_time_sec(kr->r->request_time));
}

/* One or two tblactivitylog lines for the caller, in one statement. */
static int kd_activity_lines(kd_req *kr, const char *first,
                             const char *second)
{
    const char *args[10];
    apr_pool_t *p = kr->r->pool;
    int v8 = kr->caller.user_id > 0, n = v8 ? 5 : 4;

    args[0] = kd_now(kr);
    args[1] = first;
    args[2] = kd_id(p, kr->caller.client_id);
    args[3] = v8 ? kd_id(p, kr->caller.user_id) : kr->r->useragent_ip;
    args[4] = kr->r->useragent_ip;
    if (!second) {
        return kd_db_exec(kr, v8 ? "kd_activity8" : "kd_activity7", NULL, n,
                          args);
    }
    memcpy(args + n, args, n * sizeof(*args));
    args[n + 1] = second;
    return kd_db_exec(kr, v8 ? "kd_activity8_2" : "kd_activity7_2", NULL,
                      2 * n, args);
}

int kd_activity(kd_req *kr, const char *description)
{
    return kd_activity_lines(kr, description, NULL);
}

/* SequentialInvoiceNumberFormat with {NUMBER} replaced, and the counter
 * moved on: the counter row is locked until the transaction ends, so two
 * invoices paid at once never get the same number. */
static int kd_next_invoicenum(kd_req *kr, const kd_settings *s,
                              const char **num)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[2], *v, *at;
    kd_rows *rows;
    apr_int64_t n;
    int rc;

    if ((rc = kd_db_select(kr, "kd_seq_value", &rows, 0, NULL)) != KD_NEXT) {
        return rc;
    }
    v = kd_rows_get(rows, 0, 0);
    n = v ? apr_atoi64(v) : 1;
    if (n < 1) {
        n = 1;
    }
    v = apr_psprintf(p, "%" APR_INT64_T_FMT, n);
    at = strstr(s->sequential_format, "{NUMBER}");
    *num = at ? apr_pstrcat(p, apr_pstrmemdup(p, s->sequential_format,
                                              (apr_size_t)(at -
                                              s->sequential_format)),
                            v, at + 8, NULL)
              : apr_pstrcat(p, s->sequential_format, v, NULL);
    args[0] = apr_psprintf(p, "%" APR_INT64_T_FMT, n + 1);
    args[1] = kd_now(kr);
    return kd_db_exec(kr, "kd_seq_next", NULL, 2, args);
}

/* The client's credit down and the invoice's credit and total up (and,
 * once paid, its status, datepaid and number: WHMCS writes the invoice
 * twice, the rows end the same), then the tblcredit line. */
static int kd_credit_write(kd_req *kr, const kd_invoice *inv,
                           const char *amt, kd_cents amount, int paid)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[8];
    char date[11];
    kd_date today = kd_today(kr);
    int rc, n = 0;

    args[n++] = kd_id(p, inv->id);
    args[n++] = amt;
    args[n++] = kd_cents_str(p, inv->credit);
    args[n++] = kd_cents_str(p, inv->total);
    if (paid) {
        args[n++] = kd_now(kr);                 /* datepaid */
        args[n++] = inv->invoicenum;
    }
    args[n++] = kd_now(kr);
    args[n++] = kd_id(p, inv->userid);
    rc = kd_db_exec(kr, paid ? "kd_credit_move_paid" : "kd_credit_move",
                    NULL, n, args);
    if (rc != KD_NEXT) {
        return rc;
    }
    args[0] = kd_id(p, inv->userid);
    args[1] = kd_date_str(date, &today);
    args[2] = apr_psprintf(p, "Credit Applied to Invoice #" KD_I64,
                           (apr_int64_t)inv->id);
    args[3] = kd_cents_str(p, -amount);
    return kd_db_exec(kr, "kd_credit_line", NULL, 4, args);
}

/* makeHostingPayment: each service billed moves one cycle on, from its
 * own next due date, with PHP's month arithmetic; then what WHMCS does
 * once an invoice is paid (kd_outbox.c). */
static int kd_invoice_paid_services(kd_req *kr, const kd_invoice *inv)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[4];
    kd_rows *rows;
    int rc, i;

    args[0] = kd_id(p, inv->id);
    rc = kd_db_select(kr, "kd_invoice_services", &rows, 1, args);
    if (rc != KD_NEXT) {
        return rc;
    }
    for (i = 0; i < kd_rows_count(rows); i++) {
        const char *due = kd_rows_get(rows, i, 1);
        int months = kd_cycle_months(kd_rows_get(rows, i, 2));
        kd_date d, next;
        char buf[11];

        if (months <= 0 || !due || kd_date_parse(due, &d)) {
            continue;       /* One Time, Free Account, no due date */
        }
        next = kd_date_add(&d, months, 0);
        args[0] = apr_pstrdup(p, kd_date_str(buf, &next));
        args[1] = args[0];
        args[2] = kd_now(kr);
        args[3] = kd_rows_get(rows, i, 0);
        if ((rc = kd_db_exec(kr, "kd_service_due", NULL, 4, args))
            != KD_NEXT) {
            return rc;
        }
    }
    return kd_outbox_paid(kr, inv->id);
}

int kd_invoice_apply_credit(kd_req *kr, const kd_settings *s,
                            kd_invoice *inv, kd_cents amount, int *paid)
{
    apr_pool_t *p = kr->r->pool;
    const char *amt = kd_cents_str(p, amount), *num;
    kd_cents total;
    int rc;

    /* updateInvoiceTotal: the credit comes off the total, never below 0 */
    inv->credit += amount;
    total = inv->subtotal + inv->tax + inv->tax2 - inv->credit;
    inv->total = total < 0 ? 0 : total;
    *paid = inv->total - inv->payments <= 0;
    if (*paid) {
        /* Paid as WHMCS marks it: a sequential number when the
         * installation uses them (tblconfiguration: last in the lock
         * order, after the client and the invoice). */
        num = inv->invoicenum ? inv->invoicenum : "";
        if (s->sequential && !*num
            && (rc = kd_next_invoicenum(kr, s, &num)) != KD_NEXT) {
            return rc;
        }
        inv->status = "Paid";
        inv->invoicenum = num;
    }
    if ((rc = kd_credit_write(kr, inv, amt, amount, *paid)) != KD_NEXT) {
        return rc;
    }
    rc = kd_activity_lines(kr, apr_psprintf(p, "Credit Applied - Amount: "
                                            "%s - Invoice ID: " KD_I64, amt,
                                            (apr_int64_t)inv->id),
                           *paid ? apr_psprintf(p, "Invoice Marked Paid - "
                                                "Invoice ID: " KD_I64,
                                                (apr_int64_t)inv->id)
                                 : NULL);
    if (rc != KD_NEXT || !*paid) {
        return rc;
    }
    return kd_invoice_paid_services(kr, inv);
}

int kd_invoice_recalc(kd_req *kr, const kd_settings *s, kd_invoice *inv)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[6];
    kd_rows *rows;
    kd_cents sub = 0, taxable = 0, total;
    int rc, i;

    args[0] = kd_id(p, inv->id);
    if ((rc = kd_db_select(kr, "kd_invoice_items", &rows, 1, args))
        != KD_NEXT) {
        return rc;
    }
    for (i = 0; i < kd_rows_count(rows); i++) {
        kd_cents a = kd_cents_of(kd_rows_get(rows, i, 0));

        sub += a;
        if (strcmp(kd_rows_get(rows, i, 1), "0")) {
            taxable += a;
        }
    }
    /* The invoice keeps the rates it was made with (0 when the client
     * was exempt or tax was off); only the amounts change. */
    inv->tax = inv->tax2 = 0;
    if (s->tax_enabled && taxable) {
        kd_tax t = kd_money_tax(taxable, inv->taxrate, inv->taxrate2,
                                s->tax_inclusive, s->tax_l2_compound);

        inv->tax = t.tax1;
        inv->tax2 = t.tax2;
        sub -= taxable - t.net;     /* inclusive: the taxes come out */
    }
    inv->subtotal = sub;
    total = sub + inv->tax + inv->tax2 - inv->credit;
    inv->total = total < 0 ? 0 : total;
    args[0] = kd_cents_str(p, inv->subtotal);
    args[1] = kd_cents_str(p, inv->tax);
    args[2] = kd_cents_str(p, inv->tax2);
    args[3] = kd_cents_str(p, inv->total);
    args[4] = kd_now(kr);
    args[5] = kd_id(p, inv->id);
    return kd_db_exec(kr, "kd_invoice_totals", NULL, 6, args);
}
