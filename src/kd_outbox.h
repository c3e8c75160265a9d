/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_outbox.h
 * @brief What WHMCS must still do after a write (emails, provisioning),
 * queued in mod_kdata_outbox inside the write's own transaction as calls
 * to WHMCS's external API; kd_deliver.c sends them.  Every function
 * here does nothing unless KdataWhmcsApi is set for the server.
 */
#ifndef KD_OUTBOX_H
#define KD_OUTBOX_H

#include "mod_kdata.h"
#include "kd_db.h"

extern const kd_stmt kd_stmts_outbox[];

/** What an order owes: the admin's New Order Notification, and the
 * service's module create when its product sets up on order (autosetup:
 * the product's tblproducts.autosetup, read with the order's product). */
int kd_outbox_order(kd_req *kr, long long orderid, const char *ordernum,
                    long long invoiceid, long long serviceid,
                    const char *autosetup, const char *total,
                    const char *gateway);
/** What an invoice turned Paid owes: Invoice Payment Confirmation, and
 * the module create of each Pending service on it whose product sets up
 * on payment.  The invoice's items must be written already. */
int kd_outbox_paid(kd_req *kr, long long invoiceid);
/** What a cancellation request owes: the client's Cancellation Request
 * Confirmation and the admins' New Cancellation Request. */
int kd_outbox_cancel(kd_req *kr, const char *sid, const char *type,
                     const char *reason);

#endif /* KD_OUTBOX_H */
