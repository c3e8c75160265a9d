/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_catalog.h
 * @brief This process's snapshot of the configurable-option and
 * payment-gateway catalogue, for reads.
 */
#ifndef KD_CATALOG_H
#define KD_CATALOG_H

#include "mod_kdata.h"
#include "kd_db.h"

extern const kd_stmt kd_stmts_catalog[];

typedef struct kd_catalog kd_catalog;
typedef struct {
    long long id;
    long long order;
    const char *name;           /* tblproductconfigoptions.optionname */
    const char *type;           /* optiontype: "1".."4" */
} kd_copt;
typedef struct {
    long long configid;         /* the option it belongs to */
    const char *name;
} kd_csub;

void kd_catalog_child_init(apr_pool_t *p);
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

#endif /* KD_CATALOG_H */
