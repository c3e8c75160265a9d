/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * POST /api/v1/applycredit (invoiceid[, amount]): pays the caller's
 * Unpaid invoice from the credit on their account: the whole balance,
 * or the part an explicit amount names.  WHMCS's own ApplyCredit reads,
 * checks and then writes in separate steps, so two calls at once can
 * spend the same credit twice; here one transaction locks the client row
 * and then the invoice row, and every check is made again under those
 * locks.
 */

#include "apr_strings.h"

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_billing.h"
#include "kd_body.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_idem.h"
#include "kd_json.h"
#include "kd_money.h"
#include "kd_reply.h"
#include "kd_whmcs.h"

enum {                          /* kd_credit_invoice columns */
    KD_CI_USERID = 0, KD_CI_NUM, KD_CI_STATUS, KD_CI_SUBTOTAL, KD_CI_CREDIT,
    KD_CI_TAX, KD_CI_TAX2, KD_CI_TOTAL, KD_CI_RATE, KD_CI_RATE2,
    KD_CI_PAYMENTS, KD_CI_SEQ, KD_CI_SEQ_FORMAT
};

/* The caller's client, locked, with the caller checked in the same
 * round trip (kd_auth.h's KD_CALLER_LOCKED*: the user and its link are
 * subqueries naming c, read unlocked and only once c's row is held).
 * It was a derived table joined to the client: MariaDB materialized it
 * in a temporary table on disk on every call, and ran it before the
 * lock wait, so later plain reads of the transaction saw a snapshot
 * from before the wait.  t/61-round-trips.t counts the disk tables. */
#define KD_CREDIT_CLIENT(caller) \
    "SELECT " caller ", c.credit FROM tblclients c WHERE c.id = %d " \
    "FOR UPDATE"
#define KD_CC_CREDIT KD_CALLER_NCOLS

/* The two settings paying an invoice uses (kd_billing.h) are read with
 * the invoice (KD_SETTING). */
const kd_stmt kd_stmts_credit[] = {
    {"kd_credit_client7",
     KD_CREDIT_CLIENT(KD_CALLER_LOCKED7), KD_STMT_OWN},
    {"kd_credit_client8",
     KD_CREDIT_CLIENT(KD_CALLER_LOCKED8),
     KD_STMT_WHMCS8 | KD_STMT_OWN},
    {"kd_credit_invoice",
     "SELECT userid, " KD_TXT("invoicenum", 255) ", "
     KD_TXT("status", 32) ", subtotal, credit, tax, tax2, "
     "total, taxrate, taxrate2, (SELECT COALESCE(SUM(amountin - amountout),"
     " 0) FROM tblaccounts WHERE invoiceid = i.id), "
     KD_SETTING("SequentialInvoiceNumbering") ", "
     KD_SETTING("SequentialInvoiceNumberFormat") " "
     "FROM tblinvoices i WHERE id = %d FOR UPDATE", 0},
    {NULL, NULL, 0}
};

/* The caller's client, locked and checked (401 as kd_auth_client, 403
 * as kd_auth_allowed): the first statement of the transaction. */
static int kd_credit_client(kd_req *kr, kd_cents *credit)
{
    const char *args[5];
    kd_rows *rows;
    int rc, v8, n;

    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    n = kd_auth_bind_locked(kr, v8, args);
    args[n++] = kd_id(kr->r->pool, kr->caller.client_id);
    rc = kd_db_select(kr, v8 ? "kd_credit_client8" : "kd_credit_client7",
                      &rows, n, args);
    if (rc != KD_NEXT || (rc = kd_auth_from_rows(kr, rows, 0)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)) {
        return kd_denied(kr);
    }
    *credit = kd_cents_of(kd_rows_get(rows, 0, KD_CC_CREDIT));
    return KD_NEXT;
}

/* The caller's client and the invoice, locked in that order (kd_db.h);
 * 403 unless the invoice is the caller's and published (a Draft is
 * answered as getinvoice answers it: as one that does not exist), 409
 * unless it is Unpaid. */
static int kd_credit_load(kd_req *kr, long long iid, kd_cents *credit,
                          kd_invoice *inv, kd_settings *s)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[1];
    kd_rows *rows;
    int rc;

    if ((rc = kd_credit_client(kr, credit)) != KD_NEXT) {
        return rc;
    }
    args[0] = kd_id(p, iid);
    if ((rc = kd_db_select(kr, "kd_credit_invoice", &rows, 1, args))
        != KD_NEXT) {
        return rc;
    }
    if (kd_rows_count(rows) != 1
        || apr_atoi64(kd_rows_get(rows, 0, KD_CI_USERID))
           != kr->caller.client_id
        || !strcasecmp(kd_rows_get(rows, 0, KD_CI_STATUS), "Draft")) {
        return kd_denied(kr);
    }
    if (strcmp(kd_rows_get(rows, 0, KD_CI_STATUS), "Unpaid")) {
        return kd_error(kr, HTTP_CONFLICT, "message",
                        "Invoice Not in Unpaid Status");
    }
    kd_settings_init(s);
    kd_settings_set(s, "SequentialInvoiceNumbering",
                    kd_rows_get(rows, 0, KD_CI_SEQ));
    kd_settings_set(s, "SequentialInvoiceNumberFormat",
                    kd_rows_get(rows, 0, KD_CI_SEQ_FORMAT));
    memset(inv, 0, sizeof(*inv));
    inv->id = iid;
    inv->userid = kr->caller.client_id;
    inv->invoicenum = kd_rows_get(rows, 0, KD_CI_NUM);
    inv->status = "Unpaid";
    inv->subtotal = kd_cents_of(kd_rows_get(rows, 0, KD_CI_SUBTOTAL));
    inv->credit = kd_cents_of(kd_rows_get(rows, 0, KD_CI_CREDIT));
    inv->tax = kd_cents_of(kd_rows_get(rows, 0, KD_CI_TAX));
    inv->tax2 = kd_cents_of(kd_rows_get(rows, 0, KD_CI_TAX2));
    inv->total = kd_cents_of(kd_rows_get(rows, 0, KD_CI_TOTAL));
    inv->payments = kd_cents_of(kd_rows_get(rows, 0, KD_CI_PAYMENTS));
    kd_rate_parse(kd_rows_get(rows, 0, KD_CI_RATE), &inv->taxrate);
    kd_rate_parse(kd_rows_get(rows, 0, KD_CI_RATE2), &inv->taxrate2);
    return KD_NEXT;
}

/* What may be paid.  Without an amount the whole balance is paid or
 * nothing is (the contract, section 5): credit short of it is refused
 * like any amount above the credit, never spent on part of the invoice,
 * which a script reading "invoicepaid" could not tell from a failure.
 * Part payment takes an explicit amount. */
static int kd_credit_amount(kd_req *kr, kd_cents credit,
                            const kd_invoice *inv, kd_cents *amount)
{
    kd_cents balance = inv->total - inv->payments;

    if (!*amount) {
        *amount = balance;
    }
    if (*amount > credit) {
        return kd_error(kr, HTTP_CONFLICT, "message",
                        "Amount exceeds customer credit balance");
    }
    if (*amount > balance || *amount <= 0) {
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        "Amount Exceeds Invoice Balance");
    }
    return KD_NEXT;
}

int kd_ep_applycredit(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    const char *given = kd_arg(kr, "amount");
    char num[32];
    long long iid;
    kd_cents amount = 0, credit = 0;
    kd_settings s;
    kd_invoice inv;
    int rc, paid = 0;

    if ((rc = kd_field_id(kr, "invoiceid", &iid)) != KD_NEXT) {
        return rc;
    }
    /* WHMCS also takes "full"; a negative amount would move credit back
     * from the invoice to the client, so only amounts above 0 go. */
    if (given && *given && strcmp(given, "full")) {
        if (kd_money_parse(given, &amount) || amount <= 0) {
            return kd_error(kr, HTTP_BAD_REQUEST, "message",
                            "Credit Amount to apply must be greater than "
                            "zero");
        }
    }
    /* An Idempotency-Key is claimed after the caller is checked and
     * before the write begins (kd_idem.h); without one, the caller is
     * checked only with the client's lock (kd_credit_client). */
    if (apr_table_get(kr->r->headers_in, "Idempotency-Key")) {
        if ((rc = kd_auth_client(kr)) != KD_NEXT) {
            return rc;
        }
        if (!kd_auth_allowed(kr)) {
            return kd_denied(kr);
        }
        if ((rc = kd_idem_begin(kr, "applycredit")) != KD_NEXT) {
            return rc;
        }
    }
    if ((rc = kd_whmcs_begin_write(kr)) != KD_NEXT
        || (rc = kd_credit_load(kr, iid, &credit, &inv, &s)) != KD_NEXT
        || (rc = kd_credit_amount(kr, credit, &inv, &amount)) != KD_NEXT
        || (rc = kd_invoice_apply_credit(kr, &s, &inv, amount, &paid))
           != KD_NEXT) {
        return rc;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, kr->r, KDLOGNO(00801)
                  "client " KD_I64 " applies %s credit to invoice " KD_I64
                  "%s", (apr_int64_t)kr->caller.client_id,
                  kd_cents_str(p, amount), (apr_int64_t)iid,
                  paid ? " (paid)" : "");
    /* Built by hand: "amount" is a JSON number written from the exact
     * decimal (jansson would take it through a double). */
    return kd_idem_commit_raw(kr, HTTP_OK, apr_psprintf(p,
                              "{\"result\":\"success\",\"invoiceid\":\""
                              KD_I64 "\",\"amount\":%s,\"invoicepaid\":"
                              "\"%s\"}", (apr_int64_t)iid,
                              kd_json_amount(num, amount),
                              paid ? "true" : "false"));
}
