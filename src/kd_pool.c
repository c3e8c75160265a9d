/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The database pools against the server's limit on prepared statements.
 * MariaDB counts every statement prepared on every connection against
 * one limit, max_prepared_stmt_count (16,382 by default), shared by
 * every Apache host that uses the WHMCS database.  Past it a prepare
 * fails (error 1461) and a request that needs a statement its
 * connection has not prepared yet answers 503 (kd_db.c, KD00309).  A
 * connection prepares each statement the first time it runs it, so
 * what the pools can hold at worst is
 *     hosts x processes x connections per process x statements
 * and each process works it out once per pool, on the pool's first
 * connection: one plain query there (a plain one takes no statement
 * slot), never on a request's path, never again in that process.
 *
 * The figures: processes from the MPM (AP_MPMQ_MAX_DAEMONS: the most it
 * runs at once; a graceful restart briefly adds the old ones); the
 * pool's DBDMax from mod_dbd's post_connect hook, which hands over the
 * pool's own settings (dbd_cfg_t, public in mod_dbd.h), bounded by the
 * process' threads (AP_MPMQ_MAX_THREADS), since a request holds one
 * connection at most; every statement mod_kdata registers, the outbox
 * courier's and DBDPrepareSQL's; and the hosts, KdataClusterHosts of the
 * server the pool belongs to (the first that uses it: virtual hosts
 * without DBD directives of their own share the main server's).
 */

#include "ap_mpm.h"
#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_optional_hooks.h"
#include "apr_strings.h"

#include "mod_kdata.h"
#include "kd_db.h"
#include "kd_deliver.h"
#include "kd_pool.h"

/* One pool's worst case, and what it is made of. */
typedef struct {
    int hosts;
    int processes;
    int conns;                  /* per process */
    int stmts;                  /* per connection */
    apr_uint64_t host;          /* one host's pools ... */
    apr_uint64_t total;         /* ... and all the hosts' */
} kd_pool_worst;

static void kd_pool_worst_case(const dbd_cfg_t *cfg, int hosts,
                               kd_pool_worst *w)
{
    int processes = 0, threads = 0;

    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &processes);
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    w->hosts = hosts;
    w->processes = processes > 0 ? processes : 1;
    w->conns = threads > 0 ? threads : 1;
#if APR_HAS_THREADS
    /* A persistent pool (mod_dbd's default) opens DBDMax at most; with
     * DBDPersist Off each request opens a connection of its own. */
    if (cfg->persist && cfg->nmax > 0 && cfg->nmax < w->conns) {
        w->conns = cfg->nmax;
    }
#endif
    w->stmts = kd_db_statement_count() + kd_deliver_statement_count()
               + (int)apr_hash_count(cfg->queries);
    w->host = (apr_uint64_t)w->processes * (apr_uint64_t)w->conns
              * (apr_uint64_t)w->stmts;
    w->total = w->host * (apr_uint64_t)hosts;
}

/* The server's max_prepared_stmt_count, read on a new connection, or -1
 * with *why set. */
static apr_int64_t kd_pool_limit(apr_pool_t *p, ap_dbd_t *dbd,
                                 const char **why)
{
    apr_pool_t *tmp;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;
    apr_int64_t limit = -1;
    int err;

    *why = "out of memory";
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return -1;
    }
    /* Random access: the driver stores the whole row at once, and the
     * connection is free again before this returns. */
    err = apr_dbd_select(dbd->driver, tmp, dbd->handle, &res,
                         "SELECT @@global.max_prepared_stmt_count", 1);
    if (err) {
        v = apr_dbd_error(dbd->driver, dbd->handle, err);
        *why = apr_pstrdup(p, v ? v : "the query failed");
    }
    else if (apr_dbd_get_row(dbd->driver, tmp, res, &row, 1) != 0
             || !(v = apr_dbd_get_entry(dbd->driver, row, 0))) {
        *why = "no value";
    }
    else {
        limit = apr_atoi64(v);
    }
    apr_pool_destroy(tmp);
    return limit;
}

static void kd_pool_report(server_rec *s, const kd_pool_worst *w,
                           apr_int64_t limit)
{
    int alone = w->host > (apr_uint64_t)limit;
    char who[64];

    if (!alone && w->total <= (apr_uint64_t)limit) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, KDLOGNO(00311)
                     "prepared statements at worst: %d host(s) x %d "
                     "processes x %d connections x %d statements = "
                     "%" APR_UINT64_T_FMT ", within the database's "
                     "max_prepared_stmt_count %" APR_INT64_T_FMT,
                     w->hosts, w->processes, w->conns, w->stmts, w->total,
                     limit);
        return;
    }
    if (alone) {
        apr_cpystrn(who, "this host alone", sizeof(who));
    }
    else {
        apr_snprintf(who, sizeof(who), "the %d hosts of KdataClusterHosts",
                     w->hosts);
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, KDLOGNO(00310)
                 "%s can hold more prepared statements than the database "
                 "allows: %d host(s) x %d processes x %d connections x %d "
                 "statements = %" APR_UINT64_T_FMT " > its "
                 "max_prepared_stmt_count %" APR_INT64_T_FMT "; past the "
                 "limit, requests that need a statement new to their "
                 "connection get 503 (KD00309).  Keep hosts x processes x "
                 "DBDMax x statements <= max_prepared_stmt_count: raise it "
                 "on the database server, or lower DBDMax (DBDKeep and "
                 "DBDExptime close idle connections sooner); see "
                 "conf/kdata.conf",
                 who, alone ? 1 : w->hosts, w->processes, w->conns, w->stmts,
                 alone ? w->host : w->total, limit);
}

/* mod_dbd's post_connect hook: every new connection of every pool; the
 * check runs on the first of each pool in each process.  cfg is the
 * pool's own (shared by the servers that use it). */
static apr_status_t kd_pool_connected(apr_pool_t *p, dbd_cfg_t *cfg,
                                      ap_dbd_t *dbd)
{
    kd_srv_conf *conf = ap_get_module_config(cfg->server->module_config,
                                             &kdata_module);
    kd_pool_worst w;
    apr_int64_t limit;
    const char *why;

    if (apr_atomic_cas32(&conf->pool_checked, 1, 0) != 0
        || strcmp(apr_dbd_name(dbd->driver), "mysql")) {
        return OK;
    }
    if ((limit = kd_pool_limit(p, dbd, &why)) < 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cfg->server,
                     KDLOGNO(00312) "cannot read the database's "
                     "max_prepared_stmt_count (%s): this process does not "
                     "check its pool against it", why);
        return OK;
    }
    kd_pool_worst_case(cfg, conf->cluster_hosts, &w);
    kd_pool_report(cfg->server, &w, limit);
    return OK;
}

void kd_pool_register_hooks(void)
{
    APR_OPTIONAL_HOOK(dbd, post_connect, kd_pool_connected, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
