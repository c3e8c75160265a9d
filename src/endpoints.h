/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file endpoints.h
 * @brief The routes' entry points, one file per family (ep_*.c).
 */
#ifndef ENDPOINTS_H
#define ENDPOINTS_H

#include "mod_kdata.h"
#include "kd_db.h"

typedef int (*kd_endpoint_fn)(kd_req *kr);

/* The families' statements (kd_db_prepare_all). */
extern const kd_stmt kd_stmts_login[];
extern const kd_stmt kd_stmts_product[];
extern const kd_stmt kd_stmts_order[];
extern const kd_stmt kd_stmts_credit[];
extern const kd_stmt kd_stmts_invoice[];
extern const kd_stmt kd_stmts_cancel[];
extern const kd_stmt kd_stmts_list[];

/* ep_login.c */
int kd_ep_login(kd_req *kr);
/* ep_product.c */
int kd_ep_getproduct(kd_req *kr);
/* ep_order.c */
int kd_ep_addorder(kd_req *kr);
/* ep_credit.c */
int kd_ep_applycredit(kd_req *kr);
/* ep_invoice.c */
int kd_ep_getinvoice(kd_req *kr);
int kd_ep_getinvoiceproduct(kd_req *kr);
/* ep_list.c */
int kd_ep_getclientsproducts(kd_req *kr);
int kd_ep_getinvoices(kd_req *kr);
int kd_ep_getclientsdetails(kd_req *kr);
/* ep_cancel.c */
int kd_ep_cancelrequest(kd_req *kr);
/* ep_session.c */
int kd_ep_logout(kd_req *kr);
int kd_ep_refresh(kd_req *kr);

#endif /* ENDPOINTS_H */
