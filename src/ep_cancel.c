/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * POST /api/v1/cancelrequest (serviceid, reason[, type]): WHMCS's
 * AddCancelRequest for one of the caller's services.  WHMCS allows one
 * request per service but checks with a plain count, so two requests at
 * once can both get in; here the client's row and then the service's are
 * locked first, so the second waits, sees the first, and gets 409.  With
 * CancelInvoiceOnCancellation on, the service's lines come off its
 * Unpaid invoices as WHMCS does, and an invoice left with nothing is
 * Cancelled.
 */

#include "apr_strings.h"

#include <jansson.h>

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_billing.h"
#include "kd_body.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_idem.h"
#include "kd_money.h"
#include "kd_outbox.h"
#include "kd_reply.h"
#include "kd_whmcs.h"

const kd_stmt kd_stmts_cancel[] = {
    /* The client first: every write takes the client's row before the
     * invoices and services it touches (kd_db.h), so a cancellation and
     * a payment of one client wait for each other instead of deadlocking
     * on an invoice and a service taken in opposite orders. */
    {"kd_cancel_client",
     "SELECT id FROM tblclients WHERE id = %d FOR UPDATE", 0},
    {"kd_cancel_service",
     "SELECT id FROM tblhosting WHERE id = %d AND userid = %d FOR UPDATE",
     0},
    {"kd_cancel_exists",
     "SELECT COUNT(*) FROM tblcancelrequests WHERE relid = %d", 0},
    {"kd_cancel_insert",
     "INSERT INTO tblcancelrequests (date, relid, reason, type, created_at, "
     "updated_at) VALUES (%s, %d, %s, %s, %s, %s)", 0},
    /* The client's Unpaid invoices billing the service, locked. */
    {"kd_cancel_invoices",
     "SELECT id, " KD_TXT("invoicenum", 255) ", subtotal, credit, tax, "
     "tax2, total, taxrate, "
     "taxrate2 FROM tblinvoices WHERE userid = %d AND status = 'Unpaid' "
     "AND id IN (SELECT invoiceid FROM tblinvoiceitems WHERE type = "
     "'Hosting' AND relid = %d) ORDER BY id FOR UPDATE", 0},
    /* The Hosting line and the promotion/discount lines that go with it. */
    {"kd_cancel_items",
     "DELETE FROM tblinvoiceitems WHERE invoiceid = %d AND relid = %d "
     "AND type IN ('Hosting', 'PromoHosting', 'GroupDiscount')", 0},
    {"kd_cancel_left",
     "SELECT COUNT(*) FROM tblinvoiceitems WHERE invoiceid = %d", 0},
    {"kd_cancel_invoice",
     "UPDATE tblinvoices SET status = 'Cancelled', date_cancelled = %s, "
     "updated_at = %s WHERE id = %d", 0},
    {NULL, NULL, 0}
};

/* CancelInvoiceOnCancellation: what the service still owes goes. */
static int kd_cancel_invoices(kd_req *kr, const kd_settings *s,
                              const char *sid)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[3];
    kd_rows *rows, *left;
    int rc, i;

    args[0] = kd_id(p, kr->caller.client_id);
    args[1] = sid;
    if ((rc = kd_db_select(kr, "kd_cancel_invoices", &rows, 2, args))
        != KD_NEXT) {
        return rc;
    }
    for (i = 0; i < kd_rows_count(rows); i++) {
        kd_invoice inv;

        memset(&inv, 0, sizeof(inv));
        inv.id = apr_atoi64(kd_rows_get(rows, i, 0));
        inv.userid = kr->caller.client_id;
        inv.invoicenum = kd_rows_get(rows, i, 1);
        inv.status = "Unpaid";
        inv.credit = kd_cents_of(kd_rows_get(rows, i, 3));
        kd_rate_parse(kd_rows_get(rows, i, 7), &inv.taxrate);
        kd_rate_parse(kd_rows_get(rows, i, 8), &inv.taxrate2);

        args[0] = kd_rows_get(rows, i, 0);
        args[1] = sid;
        if ((rc = kd_db_exec(kr, "kd_cancel_items", NULL, 2, args))
            != KD_NEXT
            || (rc = kd_db_select(kr, "kd_cancel_left", &left, 1, args))
               != KD_NEXT) {
            return rc;
        }
        if (!strcmp(kd_rows_get(left, 0, 0), "0")) {
            args[0] = kd_now(kr);
            args[1] = args[0];
            args[2] = kd_rows_get(rows, i, 0);
            rc = kd_db_exec(kr, "kd_cancel_invoice", NULL, 3, args);
            if (rc != KD_NEXT) {
                return rc;
            }
        }
        if ((rc = kd_invoice_recalc(kr, s, &inv)) != KD_NEXT) {
            return rc;
        }
    }
    return KD_NEXT;
}

int kd_ep_cancelrequest(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    const char *reason = kd_arg(kr, "reason"), *type = kd_arg(kr, "type");
    const char *args[6], *sid;
    long long id;
    kd_settings s;
    kd_rows *rows;
    json_t *body;
    int rc;

    if ((rc = kd_field_id(kr, "serviceid", &id)) != KD_NEXT) {
        return rc;
    }
    if (!reason || !*reason) {
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        "The reason field is required.");
    }
    /* WHMCS quietly turns any other type into End of Billing Period; an
     * "immediate" that was meant would then not happen, so it is named
     * back to the caller instead. */
    if (!type || !*type || !strcasecmp(type, "End of Billing Period")) {
        type = "End of Billing Period";
    }
    else if (!strcasecmp(type, "Immediate")) {
        type = "Immediate";
    }
    else {
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        "Invalid type: valid values are Immediate,"
                        "End of Billing Period");
    }
    if ((rc = kd_auth_client(kr)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)) {
        return kd_denied(kr);
    }
    if ((rc = kd_idem_begin(kr, "cancelrequest")) != KD_NEXT
        || (rc = kd_settings_load(kr, &s)) != KD_NEXT
        || (rc = kd_whmcs_begin_write(kr)) != KD_NEXT) {
        return rc;
    }
    sid = kd_id(p, id);
    args[0] = kd_id(p, kr->caller.client_id);
    if ((rc = kd_db_select(kr, "kd_cancel_client", &rows, 1, args))
        != KD_NEXT) {
        return rc;
    }
    args[0] = sid;
    args[1] = kd_id(p, kr->caller.client_id);
    if ((rc = kd_db_select(kr, "kd_cancel_service", &rows, 2, args))
        != KD_NEXT) {
        return rc;
    }
    if (kd_rows_count(rows) != 1) {
        return kd_denied(kr);
    }
    if ((rc = kd_db_select(kr, "kd_cancel_exists", &rows, 1, args))
        != KD_NEXT) {
        return rc;
    }
    if (strcmp(kd_rows_get(rows, 0, 0), "0")) {
        return kd_error(kr, HTTP_CONFLICT, "message",
                        "Existing Cancellation Request Exists");
    }
    args[0] = kd_now(kr);
    args[1] = sid;
    args[2] = reason;
    args[3] = type;
    args[4] = args[0];
    args[5] = args[0];
    if ((rc = kd_db_exec(kr, "kd_cancel_insert", NULL, 6, args)) != KD_NEXT) {
        return rc;
    }
    rc = kd_activity(kr, apr_pstrcat(p, "Automatic Cancellation Requested ",
                                     strcmp(type, "Immediate")
                                     ? "for End of Current Cycle"
                                     : "Immediately",
                                     " - Service ID: ", sid, NULL));
    if (rc != KD_NEXT) {
        return rc;
    }
    if (s.cancel_invoice && (rc = kd_cancel_invoices(kr, &s, sid))
                            != KD_NEXT) {
        return rc;
    }
    if ((rc = kd_outbox_cancel(kr, sid, type, reason)) != KD_NEXT) {
        return rc;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, kr->r, KDLOGNO(00901)
                  "client " KD_I64 " asks to cancel service %s (%s)",
                  (apr_int64_t)kr->caller.client_id, sid, type);

    body = json_object();
    json_object_set_new_nocheck(body, "result", json_string("success"));
    json_object_set_new_nocheck(body, "serviceid", json_string(sid));
    json_object_set_new_nocheck(body, "userid",
                                json_string(kd_id(p, kr->caller.client_id)));
    return kd_idem_commit(kr, HTTP_OK, body);
}
