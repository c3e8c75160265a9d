/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * mod_kdbaseline: the benchmark's yardstick, NOT part of mod_kdata.
 *
 * The least an Apache module can do to answer a JSON API call out of
 * the WHMCS database: read a tiny form body (id=N), take a pooled
 * connection with ap_dbd_acquire, run ONE primary-key SELECT prepared
 * at configuration time with ap_dbd_prepare, and write
 * {"id":"N","status":"Active"}.  No token, no JSON library, no
 * transaction.  bench/run loads it in the same Apache as mod_kdata
 *
 *     LoadModule kdbaseline_module .../mod_kdbaseline.so
 *     <Location "/baseline"> SetHandler kdbaseline </Location>
 *
 * and reports every mod_kdata operation as a ratio to it.
 * Build: apxs -c mod_kdbaseline.c
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_script.h"
#include "apr_strings.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

#define KDB_LABEL "kdbaseline_service"
#define KDB_SQL   "SELECT id, domainstatus FROM tblhosting WHERE id = %d"

module AP_MODULE_DECLARE_DATA kdbaseline_module;

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *kdb_acquire;

static int kdb_reply(request_rec *r, int status, const char *json)
{
    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, (apr_off_t)strlen(json));
    ap_rputs(json, r);
    return OK;
}

/* The id from the body (id=N) or, failing that, the query string. */
static const char *kdb_id(request_rec *r)
{
    apr_array_header_t *pairs = NULL;
    const char *q;

    if (r->method_number == M_POST
        && ap_parse_form_data(r, NULL, &pairs, 8, 1024) == OK && pairs) {
        int i;

        for (i = 0; i < pairs->nelts; i++) {
            ap_form_pair_t *p = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);

            if (!strcmp(p->name, "id")) {
                apr_off_t len;
                apr_size_t n;
                char *v;

                apr_brigade_length(p->value, 1, &len);
                if (len <= 0 || len > 20) {
                    return NULL;
                }
                n = (apr_size_t)len;
                v = apr_palloc(r->pool, n + 1);
                apr_brigade_flatten(p->value, v, &n);
                v[n] = '\0';
                return v;
            }
        }
    }
    q = r->args;
    if (q && !strncmp(q, "id=", 3)) {
        return q + 3;
    }
    return NULL;
}

static int kdb_handler(request_rec *r)
{
    apr_dbd_prepared_t *st;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *id, *c0, *c1, *s;
    ap_dbd_t *dbd;
    int err;

    if (!r->handler || strcmp(r->handler, "kdbaseline")) {
        return DECLINED;
    }
    id = kdb_id(r);
    if (!id || !*id) {
        return kdb_reply(r, HTTP_BAD_REQUEST,
                         "{\"result\":\"error\",\"message\":\"id\"}");
    }
    for (s = id; *s; s++) {
        if (*s < '0' || *s > '9') {
            return kdb_reply(r, HTTP_BAD_REQUEST,
                             "{\"result\":\"error\",\"message\":\"id\"}");
        }
    }
    dbd = kdb_acquire(r);
    if (!dbd) {
        return kdb_reply(r, HTTP_SERVICE_UNAVAILABLE,
                         "{\"result\":\"error\",\"message\":\"db\"}");
    }
    st = apr_hash_get(dbd->prepared, KDB_LABEL, APR_HASH_KEY_STRING);
    if (!st) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    err = apr_dbd_pvselect(dbd->driver, r->pool, dbd->handle, &res, st, 0,
                           id, NULL);
    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "kdbaseline: %s",
                      apr_dbd_error(dbd->driver, dbd->handle, err));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (apr_dbd_get_row(dbd->driver, r->pool, res, &row, -1) != 0) {
        return kdb_reply(r, HTTP_NOT_FOUND,
                         "{\"result\":\"error\",\"message\":\"not found\"}");
    }
    c0 = apr_dbd_get_entry(dbd->driver, row, 0);
    c1 = apr_dbd_get_entry(dbd->driver, row, 1);
    /* drain the (unbuffered) result so the connection is clean */
    while (apr_dbd_get_row(dbd->driver, r->pool, res, &row, -1) == 0) {
    }
    /* both columns are digits / an enum word: nothing to escape */
    return kdb_reply(r, HTTP_OK,
                     apr_pstrcat(r->pool, "{\"id\":\"", c0 ? c0 : "",
                                 "\",\"status\":\"", c1 ? c1 : "", "\"}",
                                 NULL));
}

static int kdb_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);

    kdb_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    if (!prepare || !kdb_acquire) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_kdbaseline needs mod_dbd loaded first");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* configuration time: mod_dbd prepares it on every new connection */
    prepare(s, KDB_SQL, KDB_LABEL);
    return OK;
}

static void kdb_register_hooks(apr_pool_t *p)
{
    static const char *const succ[] = {"mod_dbd.c", NULL};

    ap_hook_post_config(kdb_post_config, NULL, succ, APR_HOOK_MIDDLE);
    ap_hook_handler(kdb_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA kdbaseline_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    kdb_register_hooks
};
