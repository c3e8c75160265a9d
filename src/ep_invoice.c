/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Reading invoices: POST /api/v1/getinvoice (invoiceid), WHMCS
 * GetInvoice's shape with the balance left to pay, and
 * POST /api/v1/getinvoiceproduct (serviceid[, status]), the invoices
 * that bill one service, newest first.  Only the caller's own: anything
 * else gets the same 403 as something that does not exist.  A Draft
 * invoice is not the client's to see yet (WHMCS shows drafts to admins
 * only, until they are published): it is answered as one that does not
 * exist, and left out of a service's list.
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
 * its payments as one LEFT JOIN chain, the caller check in the same
 * statement.  A UNION of the three made MariaDB optimize and prepare
 * each branch again on every execution and copy the rows through a
 * temporary table (MariaDB CPU 112 -> 78 us a run for an invoice of
 * one item and one payment).  The join repeats each item for each
 * payment: the caller and invoice columns are read from the first row
 * only, items and payments are told apart by their own ids and put in
 * id order here (an ORDER BY would sort through a temporary table).
 * Items and payments join the invoice row, so another client's invoice
 * brings none.
 *
 * An invoice with many items and many payments would multiply into
 * items x payments rows, each costing MariaDB about 5 us where a line
 * of the UNION cost about 2.5: past some 16 rows the join costs more
 * than the UNION it replaced.  So the join stops at KD_GI_ROWS, and an
 * invoice that reaches it reads its items and payments again side by
 * side (kd_getinvoice_all: a second round trip, for those only; most
 * invoices have a few items and at most one or two payments).
 */
#define KD_GI_ROWS 16

enum {
    KD_GI_CALLER = 0,                           /* KD_CALLER_NCOLS */
    KD_GI_ID = KD_GI_CALLER + KD_CALLER_NCOLS, KD_GI_NUM, KD_GI_USERID,
    KD_GI_DATE, KD_GI_DUEDATE, KD_GI_DATEPAID, KD_GI_CAPTURE,
    KD_GI_SUBTOTAL, KD_GI_CREDIT, KD_GI_TAX, KD_GI_TAX2, KD_GI_TOTAL,
    KD_GI_RATE, KD_GI_RATE2, KD_GI_STATUS, KD_GI_METHOD, KD_GI_NOTES,
    /* An item (NULL id: none), then a payment (the same). */
    KD_GI_IT_ID, KD_GI_IT_TYPE, KD_GI_IT_RELID, KD_GI_IT_DESC,
    KD_GI_IT_AMOUNT, KD_GI_IT_TAXED,
    KD_GI_TX_ID, KD_GI_TX_USERID, KD_GI_TX_CURRENCY,
    KD_GI_TX_GATEWAY, KD_GI_TX_DATE, KD_GI_TX_DESC, KD_GI_TX_AMOUNTIN,
    KD_GI_TX_FEES, KD_GI_TX_AMOUNTOUT, KD_GI_TX_RATE, KD_GI_TX_TRANSID,
    KD_GI_TX_INVOICEID, KD_GI_TX_REFUNDID
};
/* Items and payments read as text, as WHMCS's GetInvoice shows them
 * (and as the UNION this replaced read them: the same bytes). */
#define KD_C(col) KD_TXT(col, 255) ", "

#define KD_GETINVOICE_COLS \
    ", i.id, " KD_TXT("i.invoicenum", 255) ", i.userid, i.date, " \
    "i.duedate, i.datepaid, i.last_capture_attempt, i.subtotal, " \
    "i.credit, i.tax, i.tax2, i.total, i.taxrate, i.taxrate2, " \
    KD_TXT("i.status", 32) ", " KD_TXT("i.paymentmethod", 255) ", " \
    KD_TXT("i.notes", 16383) ", "
#define KD_GETINVOICE_ITEM \
    KD_C("it.id") KD_C("it.type") KD_C("it.relid") \
    KD_TXT("it.description", 16383) ", " KD_C("it.amount") \
    KD_TXT("it.taxed", 255)
#define KD_GETINVOICE_PAYMENT \
    KD_C("a.id") KD_C("a.userid") KD_C("a.currency") KD_C("a.gateway") \
    KD_C("a.date") KD_TXT("a.description", 1024) ", " KD_C("a.amountin") \
    KD_C("a.fees") KD_C("a.amountout") KD_C("a.rate") KD_C("a.transid") \
    KD_C("a.invoiceid") KD_TXT("a.refundid", 255)
#define KD_GETINVOICE_JOINS \
    " LEFT JOIN tblinvoices i ON i.id = %d AND i.userid = c.id " \
    "AND i.status <> 'Draft' " \
    "LEFT JOIN tblinvoiceitems it ON it.invoiceid = i.id " \
    "LEFT JOIN tblaccounts a ON a.invoiceid = i.id " \
    "WHERE c.id = %d LIMIT " APR_STRINGIFY(KD_GI_ROWS)
/* The caller's and the invoice's columns, NULL (kd_getinvoice_all). */
#define KD_GETINVOICE_NULLS \
    KD_CALLER_NULLS ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, " \
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "

/* getinvoiceproduct: the caller, the service (h.id NULL: not theirs),
 * then its invoices, one row per Hosting line, found through WHMCS's
 * tblinvoiceitems (userid, type, relid) index however many invoices
 * the client has; lines of one invoice are merged and the invoices put
 * newest first here.
 *
 * MariaDB optimizes a prepared statement again on every execution, and
 * that, not reading the rows, is most of what this one costs it: each
 * index a condition could use is estimated with a dive into it.  So the
 * service and the invoices are read by primary key only (USE INDEX: the
 * plan is the same, the dives into tblinvoices' userid and status and
 * tblhosting's userid and serviceid indexes are gone), and a status
 * filter is a statement of its own rather than a (%s = '' OR ...) every
 * call evaluates.  mariadbd instructions per execution (callgrind, bench's
 * small set, a service with 4 invoices), with the columns read by
 * KD_STR: 610k -> 541k (WHMCS 8 caller), 528k -> 459k (WHMCS 7), 591k
 * -> 524k with a status. */
#define KD_INVOICEPRODUCT_COLS \
    ", h.id, i.id, i.userid, " KD_STR("i.invoicenum", 255) ", " \
    KD_STR("i.date", 19) ", " KD_STR("i.duedate", 19) ", " \
    KD_STR("i.datepaid", 19) ", i.subtotal, i.credit, i.tax, i.tax2, " \
    "i.total, i.taxrate, i.taxrate2, " KD_STR("i.status", 32) ", " \
    KD_STR("i.paymentmethod", 255) ", " KD_STR("i.notes", 16383) " "
#define KD_INVOICEPRODUCT_JOINS(status) \
    " LEFT JOIN tblhosting h USE INDEX (PRIMARY) ON h.id = %d " \
    "AND h.userid = c.id " \
    "LEFT JOIN tblinvoiceitems it ON it.userid = c.id " \
    "AND it.type = 'Hosting' AND it.relid = h.id " \
    "LEFT JOIN tblinvoices i USE INDEX (PRIMARY) ON i.id = it.invoiceid " \
    "AND i.userid = c.id AND i.status <> 'Draft'" status " WHERE c.id = %d"
/* The statement's text for a caller flavour (7, 8) and a status filter
 * (KD_IPQ_ANY, KD_IPQ_STATUS). */
#define KD_IPQ_ANY ""
#define KD_IPQ_STATUS " AND i.status = %s"
#define KD_INVOICEPRODUCT(v, status) \
    "SELECT " KD_CALLER_COLS##v KD_INVOICEPRODUCT_COLS \
    "FROM " KD_CALLER_FROM##v KD_INVOICEPRODUCT_JOINS(status)
enum {
    KD_IP_SERVICE = KD_CALLER_NCOLS,    /* h.id */
    KD_IP_ID,                           /* first invoice column */
    KD_IP_USERID, KD_IP_NUM, KD_IP_DATE, KD_IP_DUEDATE, KD_IP_DATEPAID,
    KD_IP_SUBTOTAL, KD_IP_CREDIT, KD_IP_TAX, KD_IP_TAX2, KD_IP_TOTAL,
    KD_IP_RATE, KD_IP_RATE2, KD_IP_STATUS, KD_IP_METHOD, KD_IP_NOTES
};

const kd_stmt kd_stmts_invoice[] = {
    {"kd_getinvoice7", "SELECT " KD_CALLER_COLS7 KD_GETINVOICE_COLS
     KD_GETINVOICE_ITEM ", " KD_GETINVOICE_PAYMENT
     " FROM " KD_CALLER_FROM7 KD_GETINVOICE_JOINS, KD_STMT_OWN},
    {"kd_getinvoice8", "SELECT " KD_CALLER_COLS8 KD_GETINVOICE_COLS
     KD_GETINVOICE_ITEM ", " KD_GETINVOICE_PAYMENT
     " FROM " KD_CALLER_FROM8 KD_GETINVOICE_JOINS,
     KD_STMT_WHMCS8 | KD_STMT_OWN},
    /* kd_getinvoice_all: the items, then the payments, of an invoice
     * the caller's join found theirs. */
    {"kd_getinvoice_all", "SELECT " KD_GETINVOICE_NULLS KD_GETINVOICE_ITEM
     ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
     "NULL, NULL FROM tblinvoiceitems it WHERE it.invoiceid = %d "
     "UNION ALL SELECT " KD_GETINVOICE_NULLS "NULL, NULL, NULL, NULL, "
     "NULL, NULL, " KD_GETINVOICE_PAYMENT
     " FROM tblaccounts a WHERE a.invoiceid = %d", 0},
    {"kd_invoiceproduct7", KD_INVOICEPRODUCT(7, KD_IPQ_ANY), KD_STMT_OWN},
    {"kd_invoiceproduct8", KD_INVOICEPRODUCT(8, KD_IPQ_ANY),
     KD_STMT_WHMCS8 | KD_STMT_OWN},
    {"kd_invoiceproduct7s", KD_INVOICEPRODUCT(7, KD_IPQ_STATUS), KD_STMT_OWN},
    {"kd_invoiceproduct8s", KD_INVOICEPRODUCT(8, KD_IPQ_STATUS),
     KD_STMT_WHMCS8 | KD_STMT_OWN},
    {NULL, NULL, 0}
};

typedef struct {
    int row;
    apr_int64_t id;
    const char *date;           /* getinvoiceproduct */
} kd_sorted;

static int kd_by_id(const void *a, const void *b)
{
    const kd_sorted *x = a, *y = b;

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

/* How a column reads in a reply. */
typedef enum {
    KD_COL_TEXT,                /* a string, as stored ("" for NULL) */
    KD_COL_INT,                 /* a JSON number; never NULL */
    KD_COL_MONEY,               /* a string with two decimals */
    KD_COL_RATE,                /* a tax rate, "10.00" or "10.125" */
    KD_COL_BALANCE              /* money, less what was paid */
} kd_col_kind;

/* One key of a reply object: the column its value comes from, and how
 * it reads.  A map is a list of them in the reply's key order (the
 * tests compare bodies byte for byte), ended by a NULL key. */
typedef struct {
    const char *key;
    int col;
    kd_col_kind kind;
} kd_col;

/* getinvoice's invoice, as WHMCS's GetInvoice shows it. */
static const kd_col kd_gi_invoice[] = {
    {"invoiceid", KD_GI_ID, KD_COL_TEXT},
    {"invoicenum", KD_GI_NUM, KD_COL_TEXT},
    {"userid", KD_GI_USERID, KD_COL_TEXT},
    {"date", KD_GI_DATE, KD_COL_TEXT},
    {"duedate", KD_GI_DUEDATE, KD_COL_TEXT},
    {"datepaid", KD_GI_DATEPAID, KD_COL_TEXT},
    {"lastcaptureattempt", KD_GI_CAPTURE, KD_COL_TEXT},
    {"subtotal", KD_GI_SUBTOTAL, KD_COL_MONEY},
    {"credit", KD_GI_CREDIT, KD_COL_MONEY},
    {"tax", KD_GI_TAX, KD_COL_MONEY},
    {"tax2", KD_GI_TAX2, KD_COL_MONEY},
    {"total", KD_GI_TOTAL, KD_COL_MONEY},
    /* What is left to pay: the total less what tblaccounts records as
     * paid (credit has already come off the total). */
    {"balance", KD_GI_TOTAL, KD_COL_BALANCE},
    {"taxrate", KD_GI_RATE, KD_COL_RATE},
    {"taxrate2", KD_GI_RATE2, KD_COL_RATE},
    {"status", KD_GI_STATUS, KD_COL_TEXT},
    {"paymentmethod", KD_GI_METHOD, KD_COL_TEXT},
    {"notes", KD_GI_NOTES, KD_COL_TEXT},
    {NULL, 0, KD_COL_TEXT}
};

/* An item of getinvoice's items.item. */
static const kd_col kd_gi_item[] = {
    {"id", KD_GI_IT_ID, KD_COL_TEXT},
    {"type", KD_GI_IT_TYPE, KD_COL_TEXT},
    {"relid", KD_GI_IT_RELID, KD_COL_TEXT},
    {"description", KD_GI_IT_DESC, KD_COL_TEXT},
    {"amount", KD_GI_IT_AMOUNT, KD_COL_MONEY},
    {"taxed", KD_GI_IT_TAXED, KD_COL_TEXT},
    {NULL, 0, KD_COL_TEXT}
};

/* A payment of getinvoice's transactions.transaction: every
 * column as tblaccounts holds it. */
static const kd_col kd_gi_transaction[] = {
    {"id", KD_GI_TX_ID, KD_COL_TEXT},
    {"userid", KD_GI_TX_USERID, KD_COL_TEXT},
    {"currency", KD_GI_TX_CURRENCY, KD_COL_TEXT},
    {"gateway", KD_GI_TX_GATEWAY, KD_COL_TEXT},
    {"date", KD_GI_TX_DATE, KD_COL_TEXT},
    {"description", KD_GI_TX_DESC, KD_COL_TEXT},
    {"amountin", KD_GI_TX_AMOUNTIN, KD_COL_TEXT},
    {"fees", KD_GI_TX_FEES, KD_COL_TEXT},
    {"amountout", KD_GI_TX_AMOUNTOUT, KD_COL_TEXT},
    {"rate", KD_GI_TX_RATE, KD_COL_TEXT},
    {"transid", KD_GI_TX_TRANSID, KD_COL_TEXT},
    {"invoiceid", KD_GI_TX_INVOICEID, KD_COL_TEXT},
    {"refundid", KD_GI_TX_REFUNDID, KD_COL_TEXT},
    {NULL, 0, KD_COL_TEXT}
};

/* An invoice of getinvoiceproduct's data, as the seed API shows a
 * tblinvoices row (the id a number). */
static const kd_col kd_ip_invoice[] = {
    {"id", KD_IP_ID, KD_COL_INT},
    {"userid", KD_IP_USERID, KD_COL_TEXT},
    {"invoicenum", KD_IP_NUM, KD_COL_TEXT},
    {"date", KD_IP_DATE, KD_COL_TEXT},
    {"duedate", KD_IP_DUEDATE, KD_COL_TEXT},
    {"datepaid", KD_IP_DATEPAID, KD_COL_TEXT},
    {"subtotal", KD_IP_SUBTOTAL, KD_COL_MONEY},
    {"credit", KD_IP_CREDIT, KD_COL_MONEY},
    {"tax", KD_IP_TAX, KD_COL_MONEY},
    {"tax2", KD_IP_TAX2, KD_COL_MONEY},
    {"total", KD_IP_TOTAL, KD_COL_MONEY},
    {"taxrate", KD_IP_RATE, KD_COL_RATE},
    {"taxrate2", KD_IP_RATE2, KD_COL_RATE},
    {"status", KD_IP_STATUS, KD_COL_TEXT},
    {"paymentmethod", KD_IP_METHOD, KD_COL_TEXT},
    {"notes", KD_IP_NOTES, KD_COL_TEXT},
    {NULL, 0, KD_COL_TEXT}
};

/* Row i of rows set on o as map says, in the map's order; paid is what
 * a KD_COL_BALANCE takes off its column. */
static void kd_row_json(apr_pool_t *p, json_t *o, const kd_rows *rows,
                        int i, const kd_col *map, kd_cents paid)
{
    const char *v;

    for (; map->key; map++) {
        v = kd_rows_get(rows, i, map->col);
        switch (map->kind) {
        case KD_COL_TEXT:
            kd_set(o, map->key, v);
            break;
        case KD_COL_INT:
            json_object_set_new_nocheck(o, map->key,
                                        json_integer(apr_atoi64(v)));
            break;
        case KD_COL_MONEY:
            kd_set_money(p, o, map->key, kd_cents_of(v));
            break;
        case KD_COL_RATE:
            kd_set(o, map->key, kd_rate_text(p, v));
            break;
        case KD_COL_BALANCE:
            kd_set_money(p, o, map->key, kd_cents_of(v) - paid);
            break;
        }
    }
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

/*
 * getinvoice's round trip, with the caller checked and the invoice
 * found theirs (403 otherwise).
 */
static int kd_getinvoice_load(kd_req *kr, kd_rows **rowsp)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[5];
    long long iid;
    kd_rows *rows;
    int rc, v8, n;

    if ((rc = kd_field_id(kr, "invoiceid", &iid)) != KD_NEXT) {
        return rc;
    }
    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    n = kd_auth_bind(kr, v8, args);
    args[n++] = kd_id(p, iid);
    args[n++] = kd_id(p, kr->caller.client_id);
    /* The caller and the invoice are the same on every row. */
    rc = kd_db_select_common(kr, v8 ? "kd_getinvoice8" : "kd_getinvoice7",
                             &rows, n, args, KD_GI_IT_ID);
    if (rc != KD_NEXT
        || (rc = kd_auth_from_rows(kr, rows, KD_GI_CALLER)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr) || !kd_rows_get(rows, 0, KD_GI_ID)) {
        return kd_denied(kr);
    }
    *rowsp = rows;
    return KD_NEXT;
}

/* The rows that hold the invoice's items and payments: the join's, or,
 * when it stopped at KD_GI_ROWS (it may have left some out), the
 * items and then the payments read again one row each. */
static int kd_getinvoice_all(kd_req *kr, kd_rows *rows, kd_rows **linesp)
{
    const char *args[2];

    *linesp = rows;
    if (kd_rows_count(rows) < KD_GI_ROWS) {
        return KD_NEXT;
    }
    args[0] = args[1] = kd_rows_get(rows, 0, KD_GI_ID);
    return kd_db_select(kr, "kd_getinvoice_all", linesp, 2, args);
}

/* The rows of lines with an id in column col, each id once, in id
 * order (the join repeats an item for every payment and the other way
 * round); their number. */
static int kd_getinvoice_unique(apr_pool_t *p, const kd_rows *lines,
                                int col, kd_sorted **out)
{
    kd_sorted *s;
    const char *v;
    int i, n, kept;

    s = apr_palloc(p, sizeof(*s) * (kd_rows_count(lines) + 1));
    for (i = 0, n = 0; i < kd_rows_count(lines); i++) {
        if ((v = kd_rows_get(lines, i, col))) {
            s[n].row = i;
            s[n++].id = apr_atoi64(v);
        }
    }
    qsort(s, (size_t)n, sizeof(*s), kd_by_id);
    for (i = 0, kept = 0; i < n; i++) {
        if (!kept || s[i].id != s[kept - 1].id) {
            s[kept++] = s[i];
        }
    }
    *out = s;
    return kept;
}

/* What the payments record as paid towards the invoice: in less out. */
static kd_cents kd_getinvoice_paid(const kd_rows *lines,
                                   const kd_sorted *txs, int ntxs)
{
    kd_cents paid = 0;
    int i;

    for (i = 0; i < ntxs; i++) {
        paid += kd_cents_of(kd_rows_get(lines, txs[i].row,
                                        KD_GI_TX_AMOUNTIN))
                - kd_cents_of(kd_rows_get(lines, txs[i].row,
                                          KD_GI_TX_AMOUNTOUT));
    }
    return paid;
}

/* The reply's invoice keys, then whether its gateway takes cards (which
 * may read the catalogue, and so fail). */
static int kd_getinvoice_head(kd_req *kr, const kd_rows *rows,
                              kd_cents paid, json_t **bodyp)
{
    json_t *body = json_object();
    int rc, cc;

    kd_set(body, "result", "success");
    kd_row_json(kr->r->pool, body, rows, 0, kd_gi_invoice, paid);
    if ((rc = kd_cc_gateway(kr, kd_rows_get(rows, 0, KD_GI_METHOD),
                            &cc)) != KD_NEXT) {
        json_decref(body);
        return rc;
    }
    json_object_set_new_nocheck(body, "ccgateway", json_boolean(cc));
    *bodyp = body;
    return KD_NEXT;
}

/* The listed rows of lines as a JSON array of objects, map's keys. */
static json_t *kd_getinvoice_list(apr_pool_t *p, const kd_rows *lines,
                                  const kd_sorted *s, int n,
                                  const kd_col *map)
{
    json_t *a = json_array(), *o;
    int i;

    for (i = 0; i < n; i++) {
        o = json_object();
        kd_row_json(p, o, lines, s[i].row, map, 0);
        json_array_append_new(a, o);
    }
    return a;
}

int kd_ep_getinvoice(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    kd_rows *rows = NULL, *lines = NULL;
    kd_sorted *items, *txs;
    int rc, nitems, ntxs;
    json_t *body, *o;

    if ((rc = kd_getinvoice_load(kr, &rows)) != KD_NEXT
        || (rc = kd_getinvoice_all(kr, rows, &lines)) != KD_NEXT) {
        return rc;
    }
    nitems = kd_getinvoice_unique(p, lines, KD_GI_IT_ID, &items);
    ntxs = kd_getinvoice_unique(p, lines, KD_GI_TX_ID, &txs);
    rc = kd_getinvoice_head(kr, rows, kd_getinvoice_paid(lines, txs, ntxs),
                            &body);
    if (rc != KD_NEXT) {
        return rc;
    }
    o = json_object();
    json_object_set_new_nocheck(o, "item", kd_getinvoice_list(
                                    p, lines, items, nitems, kd_gi_item));
    json_object_set_new_nocheck(body, "items", o);
    /* No transactions at all read as "", not as an empty list. */
    if (!ntxs) {
        kd_set(body, "transactions", "");
    }
    else {
        o = json_object();
        json_object_set_new_nocheck(o, "transaction", kd_getinvoice_list(
                                        p, lines, txs, ntxs,
                                        kd_gi_transaction));
        json_object_set_new_nocheck(body, "transactions", o);
    }
    return kd_reply(kr, HTTP_OK, body);
}

/* getinvoiceproduct's optional status: "" for none, else one of WHMCS's
 * invoice statuses (400 for any other word). */
static int kd_invoiceproduct_status(kd_req *kr, const char **status)
{
    const char *s = kd_arg(kr, "status");
    int i;

    *status = s ? s : "";
    if (!**status) {
        return KD_NEXT;
    }
    for (i = 0; kd_invoice_statuses[i]; i++) {
        if (!strcmp(*status, kd_invoice_statuses[i])) {
            return KD_NEXT;
        }
    }
    return kd_error(kr, HTTP_BAD_REQUEST, "message",
                    "Invalid status: valid values are Unpaid,Paid,"
                    "Cancelled,Refunded,Collections,Draft,"
                    "Payment Pending");
}

/* getinvoiceproduct's round trip, with the caller checked and the
 * service found theirs (403 otherwise). */
static int kd_invoiceproduct_load(kd_req *kr, long long sid,
                                  const char *status, kd_rows **rowsp)
{
    apr_pool_t *p = kr->r->pool;
    static const char *const labels[2][2] = {
        {"kd_invoiceproduct7", "kd_invoiceproduct7s"},
        {"kd_invoiceproduct8", "kd_invoiceproduct8s"}
    };
    const char *args[5];
    kd_rows *rows;
    int rc, v8, n;

    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    n = kd_auth_bind(kr, v8, args);
    args[n++] = kd_id(p, sid);
    if (*status) {
        args[n++] = status;
    }
    args[n++] = kd_id(p, kr->caller.client_id);
    /* The caller and the service are the same on every row. */
    rc = kd_db_select_common(kr, labels[!!v8][!!*status], &rows, n, args,
                             KD_IP_ID);
    if (rc != KD_NEXT || (rc = kd_auth_from_rows(kr, rows, 0)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr) || !kd_rows_get(rows, 0, KD_IP_SERVICE)) {
        return kd_error(kr, HTTP_FORBIDDEN, "messages",
                        "Product not exists or Permission denied!");
    }
    *rowsp = rows;
    return KD_NEXT;
}

/* data: one entry per invoice (an invoice may bill the service on more
 * than one line), newest first. */
static json_t *kd_invoiceproduct_data(apr_pool_t *p, const kd_rows *rows)
{
    kd_sorted *sorted;
    json_t *data, *o;
    int i, n;

    sorted = apr_palloc(p, sizeof(*sorted) * (kd_rows_count(rows) + 1));
    for (i = 0, n = 0; i < kd_rows_count(rows); i++) {
        if (!kd_rows_get(rows, i, KD_IP_ID)) {
            continue;           /* the service, with no invoice */
        }
        sorted[n].row = i;
        sorted[n].id = apr_atoi64(kd_rows_get(rows, i, KD_IP_ID));
        sorted[n].date = kd_rows_get(rows, i, KD_IP_DATE);
        sorted[n].date = sorted[n].date ? sorted[n].date : "";
        n++;
    }
    qsort(sorted, (size_t)n, sizeof(*sorted), kd_newest_first);

    data = json_array();
    for (i = 0; i < n; i++) {
        if (i && sorted[i].id == sorted[i - 1].id) {
            continue;
        }
        o = json_object();
        kd_row_json(p, o, rows, sorted[i].row, kd_ip_invoice, 0);
        json_array_append_new(data, o);
    }
    return data;
}

int kd_ep_getinvoiceproduct(kd_req *kr)
{
    const char *status;
    long long sid;
    kd_rows *rows = NULL;
    json_t *body;
    int rc;

    if ((rc = kd_field_id(kr, "serviceid", &sid)) != KD_NEXT
        || (rc = kd_invoiceproduct_status(kr, &status)) != KD_NEXT
        || (rc = kd_invoiceproduct_load(kr, sid, status, &rows))
           != KD_NEXT) {
        return rc;
    }
    body = json_object();
    kd_set(body, "result", "true");
    json_object_set_new_nocheck(body, "data",
                                kd_invoiceproduct_data(kr->r->pool, rows));
    return kd_reply(kr, HTTP_OK, body);
}
