/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * POST /api/v1/getproduct (serviceid): one of the caller's services with
 * its configurable options under the seed's keys (os, cpu, ram, hdd,
 * "Extra ip").  A service that is missing and one that is another
 * client's get the same 403, so ids cannot be probed.
 */

#include "apr_strings.h"

#include <jansson.h>

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_body.h"
#include "kd_whmcs.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_json.h"
#include "kd_reply.h"

/* Columns: the caller (KD_CALLER_*), the service, then one row per
 * chosen option (NULLs when the service has none, or is not the
 * caller's): its option and sub-option ids, named from the catalogue
 * snapshot (kd_whmcs.c).  One round trip checks the caller and reads
 * the service.  No ORDER BY: sorting made MariaDB build a temporary
 * table for every call; when two options share a display name, the one
 * WHMCS lists first (order, then id) is picked here instead. */
enum {
    KD_P_ID = KD_CALLER_NCOLS, KD_P_REGDATE, KD_P_NEXTDUE, KD_P_STATUS,
    KD_P_DOMAIN, KD_P_DEDICATEDIP, KD_P_ASSIGNEDIPS, KD_P_CYCLE,
    KD_P_USERNAME, KD_P_CONFIGID, KD_P_OPTIONID, KD_P_QTY
};

#define KD_GETPRODUCT_COLS \
    ", h.id, " KD_STR("h.regdate", 19) ", " KD_STR("h.nextduedate", 19) \
    ", h.domainstatus, " \
    KD_STR("h.domain", 255) ", " KD_STR("h.dedicatedip", 255) ", " \
    KD_STR("h.assignedips", 8192) ", " KD_STR("h.billingcycle", 32) ", " \
    KD_STR("h.username", 255) ", hc.configid, hc.optionid, hc.qty "
#define KD_GETPRODUCT_JOINS \
    " LEFT JOIN tblhosting h ON h.id = %d AND h.userid = c.id " \
    "LEFT JOIN tblhostingconfigoptions hc ON hc.relid = h.id " \
    "WHERE c.id = %d"

const kd_stmt kd_stmts_product[] = {
    {"kd_getproduct7", "SELECT " KD_CALLER_COLS7 KD_GETPRODUCT_COLS
     "FROM " KD_CALLER_FROM7 KD_GETPRODUCT_JOINS, KD_STMT_OWN},
    {"kd_getproduct8", "SELECT " KD_CALLER_COLS8 KD_GETPRODUCT_COLS
     "FROM " KD_CALLER_FROM8 KD_GETPRODUCT_JOINS,
     KD_STMT_WHMCS8 | KD_STMT_OWN},
    {NULL, NULL, 0}
};

/* The service's columns under the seed's keys, in the seed's order. */
static const struct {
    const char *key;
    int col;
} kd_service_keys[] = {
    {"regdate", KD_P_REGDATE}, {"nextduedate", KD_P_NEXTDUE},
    {"status", KD_P_STATUS}, {"domain", KD_P_DOMAIN},
    {"dedicatedip", KD_P_DEDICATEDIP}, {"assignedips", KD_P_ASSIGNEDIPS},
    {"billingcycle", KD_P_CYCLE}, {"username", KD_P_USERNAME}
};

/* What WHMCS shows as an option's value: the sub-option for dropdowns
 * and radios (1, 2), Yes/No for a yes/no option (3), the quantity for a
 * quantity option (4).  A sub-option counts only under its own option,
 * as the join WHMCS's own pages use. */
static const char *kd_option_value(apr_pool_t *p, const kd_rows *rows,
                                   int i, const kd_copt *opt,
                                   const kd_csub *sub)
{
    const char *qty = kd_rows_get(rows, i, KD_P_QTY);

    if (!strcmp(opt->type, "3")) {
        return qty && strcmp(qty, "0") ? "Yes" : "No";
    }
    if (!strcmp(opt->type, "4")) {
        return qty ? qty : "0";
    }
    return sub && sub->name && sub->configid == opt->id
           ? kd_display_name(p, sub->name) : "";
}

int kd_ep_getproduct(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[4], *svc_s, *opt[KD_OPT_COUNT] = {0};
    struct {
        long long order, id;
    } best[KD_OPT_COUNT];
    long long sid;
    kd_rows *rows;
    kd_catalog *cat;
    json_t *body, *prod;
    int rc, i, k, v8, n, reloaded = 0;

    if ((rc = kd_field_id(kr, "serviceid", &sid)) != KD_NEXT) {
        return rc;
    }
    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    n = kd_auth_bind(kr, v8, args);
    args[n++] = svc_s = kd_id(p, sid);
    args[n++] = kd_id(p, kr->caller.client_id);
    rc = kd_db_select_common(kr, v8 ? "kd_getproduct8" : "kd_getproduct7",
                             &rows, n, args, KD_P_CONFIGID);
    if (rc != KD_NEXT || (rc = kd_auth_from_rows(kr, rows, 0)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)
        || !kd_rows_get(rows, 0, KD_P_ID)) {
        return kd_denied(kr);
    }

    if ((rc = kd_catalog_get(kr, 0, &cat)) != KD_NEXT) {
        return rc;
    }
    for (i = 0; i < kd_rows_count(rows); i++) {
        const char *cid = kd_rows_get(rows, i, KD_P_CONFIGID);
        const char *sid_s = kd_rows_get(rows, i, KD_P_OPTIONID);
        const kd_copt *o;
        const kd_csub *sub;
        const char *name;

        if (!cid) {
            continue;           /* no options (or not the caller's) */
        }
        o = kd_catalog_option(cat, cid);
        sub = kd_catalog_sub(cat, sid_s);
        /* Added since the snapshot was taken: take a new one, once. */
        if ((!o || (sid_s && strcmp(sid_s, "0") && !sub)) && !reloaded) {
            if ((rc = kd_catalog_get(kr, 1, &cat)) != KD_NEXT) {
                return rc;
            }
            reloaded = 1;
            o = kd_catalog_option(cat, cid);
            sub = kd_catalog_sub(cat, sid_s);
        }
        if (!o || !o->name) {
            continue;           /* the option is gone (a dangling row) */
        }
        name = kd_display_name(p, o->name);
        for (k = 0; k < KD_OPT_COUNT; k++) {
            if (strcasecmp(name, kr->sconf->opt_name[k])
                || (opt[k] && (o->order > best[k].order
                               || (o->order == best[k].order
                                   && o->id > best[k].id)))) {
                continue;
            }
            opt[k] = kd_option_value(p, rows, i, o, sub);
            best[k].order = o->order;
            best[k].id = o->id;
        }
    }

    prod = json_object();
    json_object_set_new_nocheck(prod, "serviceid", kd_json_str(svc_s));
    for (k = 0; k < (int)(sizeof(kd_service_keys)
                          / sizeof(kd_service_keys[0])); k++) {
        json_object_set_new_nocheck(prod, kd_service_keys[k].key,
                                    kd_json_str(kd_rows_get(rows, 0,
                                        kd_service_keys[k].col)));
    }
    /* tblhosting.password holds WHMCS's own reversible encryption, keyed
     * by a secret only WHMCS's configuration.php has: it is never sent,
     * neither encrypted nor (we cannot) decrypted. */
    json_object_set_new_nocheck(prod, "password", json_string(""));
    for (k = 0; k < KD_OPT_COUNT; k++) {
        json_object_set_new_nocheck(prod, kd_opts[k].json,
                                    kd_json_str(opt[k] ? opt[k] : ""));
    }

    body = json_object();
    json_object_set_new_nocheck(body, "result", json_string("success"));
    json_object_set_new_nocheck(body, "serviceid", kd_json_str(svc_s));
    json_object_set_new_nocheck(body, "product", prod);
    return kd_reply(kr, HTTP_OK, body);
}
