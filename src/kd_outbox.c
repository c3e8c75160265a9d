/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The outbox, written side: after a write, what WHMCS itself would have
 * done (its emails with its templates and mail settings, its provisioning
 * modules) is queued as calls to WHMCS's external API, one row of
 * mod_kdata_outbox each, inside the write's own transaction: a row exists
 * exactly when the write committed, and a refused or rolled-back write
 * leaves none.  kd_deliver.c sends them later, outside any request.
 *
 * Which calls, and why (WHMCS's API reference, developers.whmcs.com/
 * api-reference/; README and conf/kdata.conf list them for the admin):
 *  - an order: SendAdminEmail "New Order Notification" (the admins' mail
 *    WHMCS's checkout sends), and ModuleCreate of the service when its
 *    product sets up "on order": WHMCS's checkout creates the account at
 *    once and leaves the order Pending for review, which AcceptOrder
 *    would not (it accepts the order).  The client's "Order Confirmation"
 *    cannot be sent: SendEmail refuses that template by name.
 *  - an invoice turned Paid: SendEmail "Invoice Payment Confirmation"
 *    with the invoice's id, and ModuleCreate of each Pending service on
 *    it whose product sets up "on payment" (processPaidInvoice's
 *    makeHostingPayment); WHMCS sends the Welcome email when a module
 *    create succeeds.
 *  - a cancellation request: SendEmail "Cancellation Request
 *    Confirmation" with the service's id and SendAdminEmail "New
 *    Cancellation Request", as WHMCS's client area does.
 * Hooks (AfterShoppingCartCheckout, InvoicePaid, CancellationRequest)
 * run only inside WHMCS's own code paths; no API call can run them.
 *
 * Each row holds the action and its form fields, URL-encoded as WHMCS
 * reads them (never the credentials, which kd_deliver.c adds).
 */

#include "apr_strings.h"

#include "mod_kdata.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_outbox.h"

const kd_stmt kd_stmts_outbox[] = {
    {"kd_outbox_add",
     "INSERT INTO mod_kdata_outbox (kind, payload, origin, next_at, "
     "created) VALUES (%s, %s, %s, %d, %d)", KD_STMT_OWN},
    /* The services an invoice pays for that WHMCS would now create. */
    {"kd_outbox_setup_paid",
     "SELECT h.id FROM tblinvoiceitems ii "
     "JOIN tblhosting h ON h.id = ii.relid "
     "JOIN tblproducts p ON p.id = h.packageid "
     "WHERE ii.invoiceid = %d AND ii.type = 'Hosting' "
     "AND h.domainstatus = 'Pending' AND p.autosetup = 'payment' "
     "ORDER BY h.id", 0},
    {NULL, NULL, 0}
};

/* name=value&... from NULL-terminated name, value pairs, encoded as an
 * HTML form (and PHP's http_build_query) encodes them. */
static const char *kd_form_of(apr_pool_t *p, const char *const *kv)
{
    const char *out = "";
    int i;

    for (i = 0; kv[i]; i += 2) {
        out = apr_pstrcat(p, out, i ? "&" : "",
                          ap_escape_urlencoded(p, kv[i]), "=",
                          ap_escape_urlencoded(p, kv[i + 1]), NULL);
    }
    return out;
}

/* One call owed to WHMCS, due at once. */
static int kd_outbox_add(kd_req *kr, const char *action,
                         const char *const *kv, const char *origin)
{
    const char *args[5];

    args[0] = action;
    args[1] = kd_form_of(kr->r->pool, kv);
    args[2] = origin;
    args[3] = apr_ltoa(kr->r->pool, (long)apr_time_sec(kr->r->request_time));
    args[4] = args[3];
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, kr->r, KDLOGNO(01300)
                  "outbox: %s queued for %s", action, origin);
    return kd_db_exec(kr, "kd_outbox_add", NULL, 5, args);
}

static int kd_outbox_create(kd_req *kr, const char *sid, const char *origin)
{
    const char *kv[] = {"serviceid", sid, NULL};

    return kd_outbox_add(kr, "ModuleCreate", kv, origin);
}

int kd_outbox_order(kd_req *kr, long long orderid, const char *ordernum,
                    long long invoiceid, long long serviceid,
                    const char *autosetup, const char *total,
                    const char *gateway)
{
    apr_pool_t *p = kr->r->pool;
    const char *origin;
    int rc;

    if (!kr->sconf->api_url) {
        return KD_NEXT;
    }
    origin = apr_psprintf(p, "order " KD_I64, (apr_int64_t)orderid);
    {
        const char *kv[] = {
            "messagename", "New Order Notification", "type", "system",
            "mergefields[order_id]", kd_id(p, orderid),
            "mergefields[order_number]", ordernum,
            "mergefields[invoice_id]", kd_id(p, invoiceid),
            "mergefields[client_id]", kd_id(p, kr->caller.client_id),
            "mergefields[order_payment_method]", gateway,
            "mergefields[order_total]", total, NULL
        };
        if ((rc = kd_outbox_add(kr, "SendAdminEmail", kv, origin))
            != KD_NEXT) {
            return rc;
        }
    }
    if (autosetup && !strcmp(autosetup, "order")) {
        return kd_outbox_create(kr, kd_id(p, serviceid), origin);
    }
    return KD_NEXT;
}

int kd_outbox_paid(kd_req *kr, long long invoiceid)
{
    apr_pool_t *p = kr->r->pool;
    const char *iid = kd_id(p, invoiceid), *origin, *args[1];
    const char *kv[] = {"messagename", "Invoice Payment Confirmation",
                        "id", iid, NULL};
    kd_rows *rows;
    int rc, i;

    if (!kr->sconf->api_url) {
        return KD_NEXT;
    }
    origin = apr_pstrcat(p, "invoice ", iid, " paid", NULL);
    if ((rc = kd_outbox_add(kr, "SendEmail", kv, origin)) != KD_NEXT) {
        return rc;
    }
    args[0] = iid;
    if ((rc = kd_db_select(kr, "kd_outbox_setup_paid", &rows, 1, args))
        != KD_NEXT) {
        return rc;
    }
    for (i = 0; i < kd_rows_count(rows); i++) {
        if ((rc = kd_outbox_create(kr, kd_rows_get(rows, i, 0), origin))
            != KD_NEXT) {
            return rc;
        }
    }
    return KD_NEXT;
}

/* A cancellation's reason is the client's text, as long as the body
 * allows: the admins' mail gets its first KD_OUTBOX_REASON bytes, cut
 * between UTF-8 characters, so a row stays within its column. */
#define KD_OUTBOX_REASON 1000

static const char *kd_outbox_cut(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s);

    if (n <= KD_OUTBOX_REASON) {
        return s;
    }
    n = KD_OUTBOX_REASON;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;                    /* s[n] continues a character */
    }
    return apr_pstrmemdup(p, s, n);
}

int kd_outbox_cancel(kd_req *kr, const char *sid, const char *type,
                     const char *reason)
{
    apr_pool_t *p = kr->r->pool;
    const char *origin = apr_pstrcat(p, "cancel service ", sid, NULL);
    const char *client[] = {"messagename",
                            "Cancellation Request Confirmation",
                            "id", sid, NULL};
    const char *admin[] = {
        "messagename", "New Cancellation Request", "type", "account",
        "mergefields[client_id]", kd_id(p, kr->caller.client_id),
        "mergefields[service_id]", sid,
        "mergefields[service_cancellation_type]", type,
        "mergefields[service_cancellation_reason]", kd_outbox_cut(p, reason),
        NULL
    };
    int rc;

    if (!kr->sconf->api_url) {
        return KD_NEXT;
    }
    if ((rc = kd_outbox_add(kr, "SendEmail", client, origin)) != KD_NEXT) {
        return rc;
    }
    return kd_outbox_add(kr, "SendAdminEmail", admin, origin);
}
