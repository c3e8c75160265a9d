/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Reading invoices: POST /api/v1/getinvoice (invoiceid), WHMCS
 * GetInvoice's shape with the balance left to pay, and
 * POST /api/v1/getinvoiceproduct (serviceid[, status]), the invoices
 * that bill one service, newest first.  Only the caller's own: anything
 * else gets the same 403 as something that does not exist.
 */

#include "apr_strings.h"

#include <jansson.h>

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_billing.h"
#include "kd_body.h"
#include "kd_whmcs.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_json.h"
#include "kd_money.h"
#include "kd_reply.h"

/*
 * getinvoice in one round trip: the caller, the invoice, its items and
 * its payments as one UNION, told apart by the first column ('a'
 * invoice, 'b' item, 'c' transaction) and put in order (kind, then id)
 * here: an ORDER BY made MariaDB sort through a temporary table.  Only
 * 'a' is joined to the caller: items and payments are read by invoice
 * id alone and thrown away unless 'a' found the invoice the caller's
 * (joining each part again cost MariaDB more than the rows it saves).
 * What was paid is summed here from the 'c' rows.
 */
enum {
    KD_GI_KIND = 0,
    KD_GI_CALLER,                               /* KD_CALLER_NCOLS */
    KD_GI_ID = KD_GI_CALLER + KD_CALLER_NCOLS, KD_GI_NUM, KD_GI_USERID,
    KD_GI_DATE, KD_GI_DUEDATE, KD_GI_DATEPAID, KD_GI_CAPTURE,
    KD_GI_SUBTOTAL, KD_GI_CREDIT, KD_GI_TAX, KD_GI_TAX2, KD_GI_TOTAL,
    KD_GI_RATE, KD_GI_RATE2, KD_GI_STATUS, KD_GI_METHOD, KD_GI_NOTES
};
/* Columns of a 'c' row (a transaction), from KD_GI_ID on. */
#define KD_GI_AMOUNTIN (KD_GI_ID + 6)
#define KD_GI_AMOUNTOUT (KD_GI_ID + 8)
/* Items and transactions use the columns from KD_GI_ID on, each as
 * text: a UNION gives a column one type for all its rows, and a decimal
 * of another scale would reformat the invoice's own amounts. */
#define KD_GI_NULLS4 "NULL, NULL, NULL, NULL"
#define KD_C(col) KD_TXT(col, 255) ", "

#define KD_GETINVOICE_COLS \
    ", i.id, " KD_TXT("i.invoicenum", 255) ", i.userid, i.date, " \
    "i.duedate, i.datepaid, i.last_capture_attempt, i.subtotal, " \
    "i.credit, i.tax, i.tax2, i.total, i.taxrate, i.taxrate2, " \
    KD_TXT("i.status", 32) ", " KD_TXT("i.paymentmethod", 255) ", " \
    KD_TXT("i.notes", 16383) " "
#define KD_GETINVOICE_REST \
    " LEFT JOIN tblinvoices i ON i.id = %d AND i.userid = c.id " \
    "WHERE c.id = %d " \
    "UNION ALL SELECT 'b', " KD_GI_NULLS4 ", " KD_C("it.id") KD_C("it.type") \
    KD_C("it.relid") KD_TXT("it.description", 16383) ", " KD_C("it.amount") \
    KD_C("it.taxed") "NULL, NULL, NULL, NULL, NULL, " \
    "NULL, NULL, NULL, NULL, NULL, NULL " \
    "FROM tblinvoiceitems it WHERE it.invoiceid = %d " \
    "UNION ALL SELECT 'c', " KD_GI_NULLS4 ", " KD_C("a.id") KD_C("a.userid") \
    KD_C("a.currency") KD_C("a.gateway") KD_C("a.date") \
    KD_TXT("a.description", 1024) ", " KD_C("a.amountin") KD_C("a.fees") \
    KD_C("a.amountout") KD_C("a.rate") KD_C("a.transid") \
    KD_C("a.invoiceid") KD_C("a.refundid") "NULL, NULL, NULL, NULL " \
    "FROM tblaccounts a WHERE a.invoiceid = %d"

/* Columns of a transaction, as WHMCS's GetInvoice names them. */
static const char *const kd_tx_names[] = {
    "id", "userid", "currency", "gateway", "date", "description",
    "amountin", "fees", "amountout", "rate", "transid", "invoiceid",
    "refundid", NULL
};

/* getinvoiceproduct: the caller, the service (h.id NULL: not theirs),
 * then its invoices, one row per Hosting line, found through WHMCS's
 * tblinvoiceitems (userid, type, relid) index however many invoices
 * the client has; lines of one invoice are merged and the invoices put
 * newest first here. */
#define KD_INVOICEPRODUCT_COLS \
    ", h.id, i.id, i.userid, " KD_TXT("i.invoicenum", 255) ", " \
    KD_DATE("i.date") ", " KD_DATE("i.duedate") ", " KD_DATE("i.datepaid") \
    ", i.subtotal, i.credit, i.tax, i.tax2, " \
    "i.total, i.taxrate, i.taxrate2, " KD_TXT("i.status", 32) ", " \
    KD_TXT("i.paymentmethod", 255) ", " KD_TXT("i.notes", 16383) " "
#define KD_INVOICEPRODUCT_JOINS \
    " LEFT JOIN tblhosting h ON h.id = %d AND h.userid = c.id " \
    "LEFT JOIN tblinvoiceitems it ON it.userid = c.id " \
    "AND it.type = 'Hosting' AND it.relid = h.id " \
    "LEFT JOIN tblinvoices i ON i.id = it.invoiceid AND i.userid = c.id " \
    "AND (%s = '' OR i.status = %s) WHERE c.id = %d"
#define KD_IP (KD_CALLER_NCOLS + 1)     /* first invoice column */

const kd_stmt kd_stmts_invoice[] = {
    {"kd_getinvoice7", "SELECT 'a', " KD_CALLER_COLS7 KD_GETINVOICE_COLS
     "FROM " KD_CALLER_FROM7 KD_GETINVOICE_REST, 0},
    {"kd_getinvoice8", "SELECT 'a', " KD_CALLER_COLS8 KD_GETINVOICE_COLS
     "FROM " KD_CALLER_FROM8 KD_GETINVOICE_REST, 1},
    {"kd_invoiceproduct7", "SELECT " KD_CALLER_COLS7 KD_INVOICEPRODUCT_COLS
     "FROM " KD_CALLER_FROM7 KD_INVOICEPRODUCT_JOINS, 0},
    {"kd_invoiceproduct8", "SELECT " KD_CALLER_COLS8 KD_INVOICEPRODUCT_COLS
     "FROM " KD_CALLER_FROM8 KD_INVOICEPRODUCT_JOINS, 1},
    {NULL, NULL, 0}
};

typedef struct {
    const kd_rows *rows;
    int row;
    int kind;                   /* getinvoice: 'a', 'b', 'c' */
    apr_int64_t id;
    const char *date;           /* getinvoiceproduct */
} kd_sorted;

static int kd_by_kind_id(const void *a, const void *b)
{
    const kd_sorted *x = a, *y = b;

    if (x->kind != y->kind) {
        return x->kind - y->kind;
    }
    return x->id < y->id ? -1 : x->id > y->id;
}

static int kd_newest_first(const void *a, const void *b)
{
    const kd_sorted *x = a, *y = b;
    int c = strcmp(y->date, x->date);

    return c ? c : (y->id < x->id ? -1 : y->id > x->id);
}

static const char *const kd_invoice_statuses[] = {
    "Unpaid", "Paid", "Cancelled", "Refunded", "Collections", "Draft",
    "Payment Pending", NULL
};

static void kd_set(json_t *o, const char *k, const char *v)
{
    json_object_set_new_nocheck(o, k, kd_json_str(v));
}

/* Money columns as WHMCS's API shows them: strings with two decimals. */
static void kd_set_money(apr_pool_t *p, json_t *o, const char *k,
                         kd_cents v)
{
    json_object_set_new_nocheck(o, k, json_string(kd_cents_str(p, v)));
}

/* Whether an invoice's payment method is a card gateway (its "type"
 * setting is CC), from the catalogue snapshot; a gateway it does not
 * know (set up since) loads a new one. */
static int kd_cc_gateway(kd_req *kr, const char *method, int *cc)
{
    kd_catalog *cat;
    const char *type;
    int rc;

    *cc = 0;
    if (!method || !*method) {
        return KD_NEXT;
    }
    if ((rc = kd_catalog_get(kr, 0, &cat)) != KD_NEXT) {
        return rc;
    }
    if (!(type = kd_catalog_gateway_type(cat, method))) {
        if ((rc = kd_catalog_get(kr, 1, &cat)) != KD_NEXT) {
            return rc;
        }
        type = kd_catalog_gateway_type(cat, method);
    }
    *cc = type && !strcasecmp(type, "CC");
    return KD_NEXT;
}

int kd_ep_getinvoice(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[5], *iid_s, *cid_s;
    long long iid;
    kd_rows *rows;
    json_t *body, *items, *txs, *o;
    kd_sorted *sorted;
    kd_cents paid = 0;
    int rc, i, j, c, v8, n = 0, nsorted, cc;

    if ((rc = kd_field_id(kr, "invoiceid", &iid)) != KD_NEXT) {
        return rc;
    }
    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    iid_s = kd_id(p, iid);
    cid_s = kd_id(p, kr->caller.client_id);
    if (v8) {
        args[n++] = kd_id(p, kr->caller.user_id);
    }
    args[n++] = iid_s;
    args[n++] = cid_s;
    args[n++] = iid_s;
    args[n++] = iid_s;
    rc = kd_db_select(kr, v8 ? "kd_getinvoice8" : "kd_getinvoice7", &rows,
                      n, args);
    if (rc != KD_NEXT) {
        return rc;
    }
    /* The caller's row ('a') first; none at all: the client is gone. */
    for (i = 0; i < kd_rows_count(rows)
                && *kd_rows_get(rows, i, KD_GI_KIND) != 'a'; i++) {
    }
    if (i == kd_rows_count(rows)) {
        kd_rows_truncate(rows, 0);
    }
    kd_rows_move_first(rows, i);
    if ((rc = kd_auth_from_rows(kr, rows, KD_GI_CALLER)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr) || !kd_rows_get(rows, 0, KD_GI_ID)) {
        return kd_denied(kr);
    }

    for (i = 1; i < kd_rows_count(rows); i++) {
        if (*kd_rows_get(rows, i, KD_GI_KIND) == 'c') {
            paid += kd_cents_of(kd_rows_get(rows, i, KD_GI_AMOUNTIN))
                    - kd_cents_of(kd_rows_get(rows, i, KD_GI_AMOUNTOUT));
        }
    }

    body = json_object();
    kd_set(body, "result", "success");
    kd_set(body, "invoiceid", kd_rows_get(rows, 0, KD_GI_ID));
    kd_set(body, "invoicenum", kd_rows_get(rows, 0, KD_GI_NUM));
    kd_set(body, "userid", kd_rows_get(rows, 0, KD_GI_USERID));
    kd_set(body, "date", kd_rows_get(rows, 0, KD_GI_DATE));
    kd_set(body, "duedate", kd_rows_get(rows, 0, KD_GI_DUEDATE));
    kd_set(body, "datepaid", kd_rows_get(rows, 0, KD_GI_DATEPAID));
    kd_set(body, "lastcaptureattempt", kd_rows_get(rows, 0, KD_GI_CAPTURE));
    kd_set_money(p, body, "subtotal",
                 kd_cents_of(kd_rows_get(rows, 0, KD_GI_SUBTOTAL)));
    kd_set_money(p, body, "credit",
                 kd_cents_of(kd_rows_get(rows, 0, KD_GI_CREDIT)));
    kd_set_money(p, body, "tax", kd_cents_of(kd_rows_get(rows, 0, KD_GI_TAX)));
    kd_set_money(p, body, "tax2",
                 kd_cents_of(kd_rows_get(rows, 0, KD_GI_TAX2)));
    kd_set_money(p, body, "total",
                 kd_cents_of(kd_rows_get(rows, 0, KD_GI_TOTAL)));
    /* What is left to pay: the total less what tblaccounts records as
     * paid (credit has already come off the total). */
    kd_set_money(p, body, "balance",
                 kd_cents_of(kd_rows_get(rows, 0, KD_GI_TOTAL)) - paid);
    kd_set(body, "taxrate",
           kd_rate_text(p, kd_rows_get(rows, 0, KD_GI_RATE)));
    kd_set(body, "taxrate2",
           kd_rate_text(p, kd_rows_get(rows, 0, KD_GI_RATE2)));
    kd_set(body, "status", kd_rows_get(rows, 0, KD_GI_STATUS));
    kd_set(body, "paymentmethod", kd_rows_get(rows, 0, KD_GI_METHOD));
    kd_set(body, "notes", kd_rows_get(rows, 0, KD_GI_NOTES));
    if ((rc = kd_cc_gateway(kr, kd_rows_get(rows, 0, KD_GI_METHOD),
                            &cc)) != KD_NEXT) {
        json_decref(body);
        return rc;
    }
    json_object_set_new_nocheck(body, "ccgateway", json_boolean(cc));

    /* Row 0 is the invoice; the rest in order of kind, then id. */
    nsorted = kd_rows_count(rows) - 1;
    sorted = apr_palloc(p, sizeof(*sorted) * (nsorted + 1));
    for (i = 0; i < nsorted; i++) {
        sorted[i].row = i + 1;
        sorted[i].kind = *kd_rows_get(rows, i + 1, KD_GI_KIND);
        sorted[i].id = apr_atoi64(kd_rows_get(rows, i + 1, KD_GI_ID));
    }
    qsort(sorted, (size_t)nsorted, sizeof(*sorted), kd_by_kind_id);

    items = json_array();
    txs = json_array();
    for (j = 0; j < nsorted; j++) {
        const char *kind;

        i = sorted[j].row;
        kind = kd_rows_get(rows, i, KD_GI_KIND);

        o = json_object();
        if (*kind == 'b') {
            kd_set(o, "id", kd_rows_get(rows, i, KD_GI_ID));
            kd_set(o, "type", kd_rows_get(rows, i, KD_GI_ID + 1));
            kd_set(o, "relid", kd_rows_get(rows, i, KD_GI_ID + 2));
            kd_set(o, "description", kd_rows_get(rows, i, KD_GI_ID + 3));
            kd_set_money(p, o, "amount",
                         kd_cents_of(kd_rows_get(rows, i, KD_GI_ID + 4)));
            kd_set(o, "taxed", kd_rows_get(rows, i, KD_GI_ID + 5));
            json_array_append_new(items, o);
        }
        else {
            for (c = 0; kd_tx_names[c]; c++) {
                kd_set(o, kd_tx_names[c], kd_rows_get(rows, i, KD_GI_ID + c));
            }
            json_array_append_new(txs, o);
        }
    }
    o = json_object();
    json_object_set_new_nocheck(o, "item", items);
    json_object_set_new_nocheck(body, "items", o);
    if (json_array_size(txs) == 0) {
        json_decref(txs);
        kd_set(body, "transactions", "");
    }
    else {
        o = json_object();
        json_object_set_new_nocheck(o, "transaction", txs);
        json_object_set_new_nocheck(body, "transactions", o);
    }
    return kd_reply(kr, HTTP_OK, body);
}

int kd_ep_getinvoiceproduct(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    const char *status = kd_arg(kr, "status"), *args[5];
    long long sid;
    kd_rows *rows;
    kd_sorted *sorted;
    json_t *body, *data, *o;
    int rc, i, j, v8, n = 0;

    if ((rc = kd_field_id(kr, "serviceid", &sid)) != KD_NEXT) {
        return rc;
    }
    status = status ? status : "";
    if (*status) {
        for (i = 0; kd_invoice_statuses[i]; i++) {
            if (!strcmp(status, kd_invoice_statuses[i])) {
                break;
            }
        }
        if (!kd_invoice_statuses[i]) {
            return kd_error(kr, HTTP_BAD_REQUEST, "message",
                            "Invalid status: valid values are Unpaid,Paid,"
                            "Cancelled,Refunded,Collections,Draft,"
                            "Payment Pending");
        }
    }
    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    if (v8) {
        args[n++] = kd_id(p, kr->caller.user_id);
    }
    args[n++] = kd_id(p, sid);
    args[n++] = status;
    args[n++] = status;
    args[n++] = kd_id(p, kr->caller.client_id);
    rc = kd_db_select_common(kr, v8 ? "kd_invoiceproduct8"
                                    : "kd_invoiceproduct7",
                             &rows, n, args, KD_IP);
    if (rc != KD_NEXT || (rc = kd_auth_from_rows(kr, rows, 0)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)
        || !kd_rows_get(rows, 0, KD_CALLER_NCOLS)) {
        return kd_error(kr, HTTP_FORBIDDEN, "messages",
                        "Product not exists or Permission denied!");
    }

    /* One entry per invoice (an invoice may bill the service on more
     * than one line), newest first. */
    sorted = apr_palloc(p, sizeof(*sorted) * (kd_rows_count(rows) + 1));
    for (i = 0, n = 0; i < kd_rows_count(rows); i++) {
        if (!kd_rows_get(rows, i, KD_IP)) {
            continue;           /* the service, with no invoice */
        }
        sorted[n].row = i;
        sorted[n].id = apr_atoi64(kd_rows_get(rows, i, KD_IP));
        sorted[n].date = kd_rows_get(rows, i, KD_IP + 3);
        sorted[n].date = sorted[n].date ? sorted[n].date : "";
        n++;
    }
    qsort(sorted, (size_t)n, sizeof(*sorted), kd_newest_first);

    data = json_array();
    for (j = 0; j < n; j++) {
        i = sorted[j].row;
        if (j && sorted[j].id == sorted[j - 1].id) {
            continue;
        }
        o = json_object();
        json_object_set_new_nocheck(o, "id", json_integer(apr_atoi64(
                                kd_rows_get(rows, i, KD_IP))));
        kd_set(o, "userid", kd_rows_get(rows, i, KD_IP + 1));
        kd_set(o, "invoicenum", kd_rows_get(rows, i, KD_IP + 2));
        kd_set(o, "date", kd_rows_get(rows, i, KD_IP + 3));
        kd_set(o, "duedate", kd_rows_get(rows, i, KD_IP + 4));
        kd_set(o, "datepaid", kd_rows_get(rows, i, KD_IP + 5));
        kd_set_money(p, o, "subtotal",
                     kd_cents_of(kd_rows_get(rows, i, KD_IP + 6)));
        kd_set_money(p, o, "credit",
                     kd_cents_of(kd_rows_get(rows, i, KD_IP + 7)));
        kd_set_money(p, o, "tax",
                     kd_cents_of(kd_rows_get(rows, i, KD_IP + 8)));
        kd_set_money(p, o, "tax2",
                     kd_cents_of(kd_rows_get(rows, i, KD_IP + 9)));
        kd_set_money(p, o, "total",
                     kd_cents_of(kd_rows_get(rows, i, KD_IP + 10)));
        kd_set(o, "taxrate",
               kd_rate_text(p, kd_rows_get(rows, i, KD_IP + 11)));
        kd_set(o, "taxrate2",
               kd_rate_text(p, kd_rows_get(rows, i, KD_IP + 12)));
        kd_set(o, "status", kd_rows_get(rows, i, KD_IP + 13));
        kd_set(o, "paymentmethod", kd_rows_get(rows, i, KD_IP + 14));
        kd_set(o, "notes", kd_rows_get(rows, i, KD_IP + 15));
        json_array_append_new(data, o);
    }
    body = json_object();
    kd_set(body, "result", "true");
    json_object_set_new_nocheck(body, "data", data);
    return kd_reply(kr, HTTP_OK, body);
}
