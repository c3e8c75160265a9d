/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements.  See the NOTICE file distributed with
 * this work for additional information regarding copyright ownership.
 * The ASF licenses this file to You under the Apache License, Version 2.0
 * (the "License"); you may not use this file except in compliance with
 * the License.  You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */


/*
 * Reading invoices: POST /api/v1/getinvoice (invoiceid), WHMCS
 * GetInvoice's shape with the balance left to pay, and
 * POST /api/v1/getinvoiceproduct (serviceid[, status]), the invoices
 * that bill one service, newest first.  Only the caller's own: anything
 * else gets the same 403 as something that does not exist.
 */

#include "apr_strings.h"

#include "mod_kdata.h"

enum {                          /* kd_getinvoice columns */
    KD_GI_ID = 0, KD_GI_NUM, KD_GI_USERID, KD_GI_DATE, KD_GI_DUEDATE,
    KD_GI_DATEPAID, KD_GI_CAPTURE, KD_GI_SUBTOTAL, KD_GI_CREDIT, KD_GI_TAX,
    KD_GI_TAX2, KD_GI_TOTAL, KD_GI_RATE, KD_GI_RATE2, KD_GI_STATUS,
    KD_GI_METHOD, KD_GI_NOTES, KD_GI_PAYMENTS, KD_GI_CC
};

const kd_stmt kd_stmts_invoice[] = {
    {"kd_getinvoice",
     "SELECT i.id, i.invoicenum, i.userid, i.date, i.duedate, i.datepaid, "
     "i.last_capture_attempt, i.subtotal, i.credit, i.tax, i.tax2, "
     "i.total, i.taxrate, i.taxrate2, i.status, i.paymentmethod, i.notes, "
     "(SELECT COALESCE(SUM(amountin - amountout), 0) FROM tblaccounts "
     "WHERE invoiceid = i.id), "
     "(SELECT COUNT(*) FROM tblpaymentgateways WHERE gateway = "
     "i.paymentmethod AND setting = 'type' AND value = 'CC') "
     "FROM tblinvoices i WHERE i.id = %d AND i.userid = %d", 0},
    {"kd_getinvoice_items",
     "SELECT id, type, relid, description, amount, taxed "
     "FROM tblinvoiceitems WHERE invoiceid = %d ORDER BY id", 0},
    {"kd_getinvoice_transactions",
     "SELECT id, userid, currency, gateway, date, description, amountin, "
     "fees, amountout, rate, transid, invoiceid, refundid "
     "FROM tblaccounts WHERE invoiceid = %d ORDER BY date, id", 0},
    /* The service's owner first: no row means not theirs (or none). */
    {"kd_invoiceproduct",
     "SELECT h.id, i.id, i.userid, i.invoicenum, i.date, i.duedate, "
     "i.datepaid, i.subtotal, i.credit, i.tax, i.tax2, i.total, i.taxrate, "
     "i.taxrate2, i.status, i.paymentmethod, i.notes "
     "FROM tblhosting h LEFT JOIN tblinvoices i ON i.userid = h.userid "
     "AND (%s = '' OR i.status = %s) AND i.id IN (SELECT invoiceid "
     "FROM tblinvoiceitems WHERE type = 'Hosting' AND relid = h.id) "
     "WHERE h.id = %d AND h.userid = %d "
     "ORDER BY i.date DESC, i.id DESC", 0},
    {NULL, NULL, 0}
};

static const char *const kd_invoice_statuses[] = {
    "Unpaid", "Paid", "Cancelled", "Refunded", "Collections", "Draft",
    "Payment Pending", NULL
};

static void kd_set(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, kd_json_str(v));
}

/* Money columns as WHMCS's API shows them: strings with two decimals. */
static void kd_set_money(apr_pool_t *p, json_t *o, const char *k,
                         kd_cents v)
{
    json_object_set_new(o, k, json_string(kd_cents_str(p, v)));
}

int kd_ep_getinvoice(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[2];
    long long iid;
    kd_rows *inv, *items, *tx;
    json_t *body, *list, *o;
    int rc, i;

    if ((rc = kd_field_id(kr, "invoiceid", &iid)) != KD_NEXT
        || (rc = kd_auth_client(kr)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr, "invoices")) {
        return kd_error(kr, HTTP_FORBIDDEN, "messages", "Permission denied!");
    }
    args[0] = kd_id(p, iid);
    args[1] = kd_id(p, kr->caller.client_id);
    if ((rc = kd_db_select(kr, "kd_getinvoice", &inv, 2, args)) != KD_NEXT) {
        return rc;
    }
    if (kd_rows_count(inv) != 1) {
        return kd_error(kr, HTTP_FORBIDDEN, "messages", "Permission denied!");
    }
    if ((rc = kd_db_select(kr, "kd_getinvoice_items", &items, 1, args))
        != KD_NEXT
        || (rc = kd_db_select(kr, "kd_getinvoice_transactions", &tx, 1,
                              args)) != KD_NEXT) {
        return rc;
    }

    body = json_object();
    kd_set(body, "result", "success");
    kd_set(body, "invoiceid", kd_rows_get(inv, 0, KD_GI_ID));
    kd_set(body, "invoicenum", kd_rows_get(inv, 0, KD_GI_NUM));
    kd_set(body, "userid", kd_rows_get(inv, 0, KD_GI_USERID));
    kd_set(body, "date", kd_rows_get(inv, 0, KD_GI_DATE));
    kd_set(body, "duedate", kd_rows_get(inv, 0, KD_GI_DUEDATE));
    kd_set(body, "datepaid", kd_rows_get(inv, 0, KD_GI_DATEPAID));
    kd_set(body, "lastcaptureattempt", kd_rows_get(inv, 0, KD_GI_CAPTURE));
    kd_set_money(p, body, "subtotal",
                 kd_cents_of(kd_rows_get(inv, 0, KD_GI_SUBTOTAL)));
    kd_set_money(p, body, "credit",
                 kd_cents_of(kd_rows_get(inv, 0, KD_GI_CREDIT)));
    kd_set_money(p, body, "tax", kd_cents_of(kd_rows_get(inv, 0, KD_GI_TAX)));
    kd_set_money(p, body, "tax2",
                 kd_cents_of(kd_rows_get(inv, 0, KD_GI_TAX2)));
    kd_set_money(p, body, "total",
                 kd_cents_of(kd_rows_get(inv, 0, KD_GI_TOTAL)));
    /* What is left to pay: the total less what tblaccounts records as
     * paid (credit has already come off the total). */
    kd_set_money(p, body, "balance",
                 kd_cents_of(kd_rows_get(inv, 0, KD_GI_TOTAL))
                 - kd_cents_of(kd_rows_get(inv, 0, KD_GI_PAYMENTS)));
    kd_set(body, "taxrate", kd_rate_text(p, kd_rows_get(inv, 0, KD_GI_RATE)));
    kd_set(body, "taxrate2",
           kd_rate_text(p, kd_rows_get(inv, 0, KD_GI_RATE2)));
    kd_set(body, "status", kd_rows_get(inv, 0, KD_GI_STATUS));
    kd_set(body, "paymentmethod", kd_rows_get(inv, 0, KD_GI_METHOD));
    kd_set(body, "notes", kd_rows_get(inv, 0, KD_GI_NOTES));
    json_object_set_new(body, "ccgateway",
                        json_boolean(strcmp(kd_rows_get(inv, 0, KD_GI_CC),
                                            "0")));

    list = json_array();
    for (i = 0; i < kd_rows_count(items); i++) {
        o = json_object();
        kd_set(o, "id", kd_rows_get(items, i, 0));
        kd_set(o, "type", kd_rows_get(items, i, 1));
        kd_set(o, "relid", kd_rows_get(items, i, 2));
        kd_set(o, "description", kd_rows_get(items, i, 3));
        kd_set_money(p, o, "amount", kd_cents_of(kd_rows_get(items, i, 4)));
        kd_set(o, "taxed", kd_rows_get(items, i, 5));
        json_array_append_new(list, o);
    }
    o = json_object();
    json_object_set_new(o, "item", list);
    json_object_set_new(body, "items", o);

    if (kd_rows_count(tx) == 0) {
        kd_set(body, "transactions", "");
    }
    else {
        list = json_array();
        for (i = 0; i < kd_rows_count(tx); i++) {
            int c;

            o = json_object();
            for (c = 0; c < kd_rows_ncols(tx); c++) {
                kd_set(o, kd_rows_name(tx, c), kd_rows_get(tx, i, c));
            }
            json_array_append_new(list, o);
        }
        o = json_object();
        json_object_set_new(o, "transaction", list);
        json_object_set_new(body, "transactions", o);
    }
    return kd_reply(kr, HTTP_OK, body);
}

int kd_ep_getinvoiceproduct(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    const char *status = kd_arg(kr, "status"), *args[4];
    long long sid;
    kd_rows *rows;
    json_t *body, *data, *o;
    int rc, i;

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
    if ((rc = kd_auth_client(kr)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr, "invoices")) {
        return kd_error(kr, HTTP_FORBIDDEN, "messages",
                        "Product not exists or Permission denied!");
    }
    args[0] = status;
    args[1] = status;
    args[2] = kd_id(p, sid);
    args[3] = kd_id(p, kr->caller.client_id);
    if ((rc = kd_db_select(kr, "kd_invoiceproduct", &rows, 4, args))
        != KD_NEXT) {
        return rc;
    }
    if (kd_rows_count(rows) == 0) {
        return kd_error(kr, HTTP_FORBIDDEN, "messages",
                        "Product not exists or Permission denied!");
    }

    data = json_array();
    for (i = 0; i < kd_rows_count(rows); i++) {
        if (!kd_rows_get(rows, i, 1)) {
            continue;           /* the service, with no invoice */
        }
        o = json_object();
        json_object_set_new(o, "id",
                            json_integer(apr_atoi64(kd_rows_get(rows, i, 1))));
        kd_set(o, "userid", kd_rows_get(rows, i, 2));
        kd_set(o, "invoicenum", kd_rows_get(rows, i, 3));
        kd_set(o, "date", kd_rows_get(rows, i, 4));
        kd_set(o, "duedate", kd_rows_get(rows, i, 5));
        kd_set(o, "datepaid", kd_rows_get(rows, i, 6));
        kd_set_money(p, o, "subtotal", kd_cents_of(kd_rows_get(rows, i, 7)));
        kd_set_money(p, o, "credit", kd_cents_of(kd_rows_get(rows, i, 8)));
        kd_set_money(p, o, "tax", kd_cents_of(kd_rows_get(rows, i, 9)));
        kd_set_money(p, o, "tax2", kd_cents_of(kd_rows_get(rows, i, 10)));
        kd_set_money(p, o, "total", kd_cents_of(kd_rows_get(rows, i, 11)));
        kd_set(o, "taxrate", kd_rate_text(p, kd_rows_get(rows, i, 12)));
        kd_set(o, "taxrate2", kd_rate_text(p, kd_rows_get(rows, i, 13)));
        kd_set(o, "status", kd_rows_get(rows, i, 14));
        kd_set(o, "paymentmethod", kd_rows_get(rows, i, 15));
        kd_set(o, "notes", kd_rows_get(rows, i, 16));
        json_array_append_new(data, o);
    }
    body = json_object();
    kd_set(body, "result", "true");
    json_object_set_new(body, "data", data);
    return kd_reply(kr, HTTP_OK, body);
}
