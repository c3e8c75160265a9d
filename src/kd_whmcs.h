/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_whmcs.h
 * @brief What this process knows about one server's WHMCS: its
 * generation (7 or 8), whether the tables writes use can roll back, and
 * a snapshot of the configurable-option and payment-gateway catalogue,
 * for reads.
 */
#ifndef KD_WHMCS_H
#define KD_WHMCS_H

#include "mod_kdata.h"
#include "kd_db.h"

extern const kd_stmt kd_stmts_whmcs[];

/* Which WHMCS credential layout the database has. */
typedef enum {
    KD_SCHEMA_WHMCS7 = 1,       /* credentials in tblclients */
    KD_SCHEMA_WHMCS8            /* tblusers + tblusers_clients */
} kd_schema;

/** A server's state (kd_srv_conf.whmcs), empty until its first request;
 * every server gets its own, a virtual host with a pool of its own may
 * be another WHMCS. */
kd_whmcs *kd_whmcs_make(apr_pool_t *p);
void kd_whmcs_child_init(apr_pool_t *p);

/**
 * Which credential layout the database has, checked at most once per
 * KdataSchemaRecheck seconds per process, together with whether every
 * table writes use can roll back (kd_whmcs_begin_write).
 * @return KD_NEXT with *out set, or a reply (503/500) already sent.
 */
int kd_whmcs_schema(kd_req *kr, kd_schema *out);
/**
 * Begin a write's transaction (kd_db_begin), unless a table it would
 * write is on an engine without transactions: then 503 (the check that
 * found it logged KD00305).
 */
int kd_whmcs_begin_write(kd_req *kr);

/* The catalogue, for reads: option and sub-option names, types and
 * order, and which payment gateways take cards.  Orders never use it:
 * what they charge is read in their own transaction. */
typedef struct kd_catalog kd_catalog;
typedef struct {
    long long id;
    long long order;
    const char *name;           /* tblproductconfigoptions.optionname */
    const char *type;           /* optiontype: "1".."4" */
    int hidden;                 /* hidden from clients (order form,
                                 * client area) */
} kd_copt;
typedef struct {
    long long configid;         /* the option it belongs to */
    const char *name;
} kd_csub;

/**
 * This process's snapshot, held until r->pool is cleared.  stale: the
 * caller missed an id in the snapshot it had; reload unless that one is
 * under a second old.  KD_NEXT, or a reply (503/500) already sent.
 */
int kd_catalog_get(kd_req *kr, int stale, kd_catalog **out);
/** By id (decimal text); NULL when the snapshot has none. */
const kd_copt *kd_catalog_option(const kd_catalog *c, const char *id);
const kd_csub *kd_catalog_sub(const kd_catalog *c, const char *id);
/** A payment gateway's "type" setting ("CC", ...); NULL when unknown. */
const char *kd_catalog_gateway_type(const kd_catalog *c, const char *name);

#endif /* KD_WHMCS_H */
