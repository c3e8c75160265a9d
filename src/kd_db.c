/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Database access, only through mod_dbd's pooled connections.  Every
 * statement is prepared by label (see kd_stmt in kd_db.h); results
 * are copied into r->pool and always drained, so the connection goes
 * back to the pool clean.  Errors that mean "the database is not there"
 * (gone, lost, lock wait timeout, its limit on prepared statements
 * reached) become 503 with Retry-After; any other failure is logged
 * with the driver's text and answered with a plain 500, since SQL and
 * driver text never go into a body.
 */

#include "apr_strings.h"
#include "apr_hash.h"
#include "apr_atomic.h"

#include <dlfcn.h>
#include <limits.h>

#include "mod_kdata.h"
#include "kd_breaker.h"
#include "kd_db.h"
#include "kd_metrics.h"
#include "kd_reply.h"

struct kd_rows {
    int nrows;
    int ncols;
    const char ***cells;
};

const kd_stmt kd_stmts_db[] = {
    {"kd_last_insert_id", "SELECT LAST_INSERT_ID()", 0},
    {NULL, NULL, 0}
};

/* Every unit's statements, as mod_kdata.c listed them at start-up.
 * Each is prepared on a connection when that connection first runs it,
 * not by mod_dbd when it opens the connection: a connection prepares
 * only what it is used for (MariaDB's max_prepared_stmt_count is shared
 * by every Apache host of a cluster), opens with one round trip instead
 * of one per statement, and a statement that cannot be prepared (a
 * WHMCS 8 table on WHMCS 7, a table of ours not installed yet) fails
 * only what needs it instead of every connection. */
static const kd_stmt *const *kd_lists;

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *kd_dbd_acquire_fn;

void kd_db_statements(const kd_stmt *const *lists)
{
    kd_lists = lists;
    kd_dbd_acquire_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

int kd_db_statement_count(void)
{
    const kd_stmt *const *list;
    const kd_stmt *st;
    int n = 0;

    for (list = kd_lists; list && *list; list++) {
        for (st = *list; st->label; st++) {
            n++;
        }
    }
    return n;
}

int kd_db_acquire(kd_req *kr)
{
    apr_time_t start;
    int asked = 0;

    if (kr->dbd) {
        return KD_NEXT;
    }
    /* Through the circuit breaker: it asks past the dead connections a
     * database restart leaves in the pool, and while the database cannot
     * be reached it answers for mod_dbd, without a connect (it logs each
     * change of state, not each request).  The whole wait is timed: a
     * free pooled connection takes microseconds, so what the histogram
     * shows above that is queueing for the pool, connects and probes. */
    start = apr_time_now();
    kr->dbd = kd_breaker_acquire(kr->sconf->breaker, kr->r,
                                 kd_dbd_acquire_fn, &asked);
    kd_metrics_db_acquire(apr_time_now() - start, kr->dbd != NULL);
    if (!kr->dbd) {
        kd_metrics_why(kr, asked ? KD_WHY_NO_CONNECTION
                                 : KD_WHY_CIRCUIT_OPEN);
        return kd_unavailable(kr);
    }
    return KD_NEXT;
}

/* Errors after which retrying later can work: the server is gone or
 * restarting, the connection was lost or killed, a lock wait or a
 * deadlock timed out.  Client-library errors (2xxx) all count. */
static int kd_db_transient(int err)
{
    switch (err) {
    case 1040:                  /* too many connections */
    case 1053:                  /* server shutdown in progress */
    case 1205:                  /* lock wait timeout */
    case 1213:                  /* deadlock */
    case 1317:                  /* query interrupted */
    case 1927:                  /* connection killed */
    case 1969:                  /* max_statement_time exceeded */
    case 4031:                  /* disconnected by server (idle) */
        return 1;
    default:
        return err >= 2000 && err < 3000;
    }
}

/* When this process last said a table of ours is missing (seconds), by
 * statement: one line a minute for each, not one per request, and one
 * missing table does not silence another. */
#define KD_MISSING_SLOTS 64
static apr_uint32_t kd_missing_logged[KD_MISSING_SLOTS];

static const kd_stmt *kd_stmt_find(const char *label, unsigned int *nth);

/* MariaDB's ER_MAX_PREPARED_STMT_COUNT_REACHED. */
#define KD_ER_PREPARED_LIMIT 1461

/* When this process last said the server's limit on prepared statements
 * is reached (seconds): one line a minute, not one per request. */
static apr_uint32_t kd_limit_logged;

/* A statement new to this connection cannot be prepared: the database
 * server holds as many as max_prepared_stmt_count allows, counted over
 * every connection of every Apache host that uses it.  That is not this
 * request's fault, nor the connection's: 503 as for a database that
 * cannot be reached, and the same connection prepares it on a later
 * request once statements are freed (idle connections closed after
 * DBDExptime, here or on another host) or the limit is raised.  A
 * write's transaction rolls back with the request (kd_txn_cleanup). */
static int kd_db_limit(kd_req *kr, const char *label, const char *msg)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(kr->r->request_time);
    apr_uint32_t last = apr_atomic_read32(&kd_limit_logged);
    int n;

    if (now - last >= 60
        && apr_atomic_cas32(&kd_limit_logged, now, last) == last) {
        n = kd_db_statement_count();
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(00309)
                      "%s cannot be prepared: %s; the database server's "
                      "max_prepared_stmt_count is reached, and what needs "
                      "a statement its connection has not prepared yet "
                      "answers 503 until statements are freed or the "
                      "limit is raised.  Each connection prepares up to "
                      "%d: keep hosts x processes x DBDMax x %d <= "
                      "max_prepared_stmt_count (conf/kdata.conf)", label,
                      msg ? msg : "too many prepared statements", n, n);
    }
    kd_metrics_why(kr, KD_WHY_DB_ERROR);
    return kd_unavailable(kr);
}

/* Whether the connection is gone: a failure whose number does not say
 * so (a driver that answers 1 for anything) still is 503 when the
 * connection was lost just then (the database killed under load): a
 * ping that fails tells.  Only on the error path; with reconnect=0 a
 * lost connection fails it at once. */
static int kd_db_gone(kd_req *kr)
{
    return apr_dbd_check_conn(kr->dbd->driver, kr->r->pool,
                              kr->dbd->handle) != APR_SUCCESS;
}

static int kd_db_fail(kd_req *kr, const char *label, int err)
{
    const kd_stmt *st;
    const char *msg = apr_dbd_error(kr->dbd->driver, kr->dbd->handle, err);
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(kr->r->request_time);
    apr_uint32_t last, *slot;
    unsigned int nth;

    if (err == KD_ER_PREPARED_LIMIT) {
        return kd_db_limit(kr, label, msg);
    }
    st = kd_stmt_find(label, &nth);
    if (err == 1146 && st && (st->flags & KD_STMT_OWN)) { /* no table */
        slot = &kd_missing_logged[nth % KD_MISSING_SLOTS];
        last = apr_atomic_read32(slot);
        if (now - last >= 60 && apr_atomic_cas32(slot, now, last) == last) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(00307)
                          "%s: %s; install mod_kdata's tables with "
                          "conf/mod_kdata.sql (what needs them answers "
                          "503 until then)", label,
                          msg ? msg : "a table is missing");
        }
        kd_metrics_why(kr, KD_WHY_MISSING_TABLE);
        return kd_unavailable(kr);
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(00302)
                  "statement %s failed (%d): %s", label, err,
                  msg ? msg : "(no message)");
    if (kd_db_transient(err) || kd_db_gone(kr)) {
        kd_metrics_why(kr, KD_WHY_DB_ERROR);
        return kd_unavailable(kr);
    }
    return kd_internal(kr);
}

/* The statement of that label, and its place among all of them. */
static const kd_stmt *kd_stmt_find(const char *label, unsigned int *nth)
{
    const kd_stmt *const *list;
    const kd_stmt *st;
    unsigned int n = 0;

    for (list = kd_lists; *list; list++) {
        for (st = *list; st->label; st++, n++) {
            if (!strcmp(st->label, label)) {
                *nth = n;
                return st;
            }
        }
    }
    return NULL;
}

/* The prepared statement, preparing a first-use one on this connection:
 * 0, the driver's error, or -1 for a label that cannot be. */
static int kd_db_find(kd_req *kr, const char *label,
                      apr_dbd_prepared_t **out)
{
    ap_dbd_t *dbd = kr->dbd;
    const kd_stmt *st;
    unsigned int nth;
    int err;

    *out = apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
    if (*out) {
        return 0;
    }
    if (!(st = kd_stmt_find(label, &nth))) {
        return -1;
    }
    /* The connection's own pool: the statement lives as long as it. */
    err = apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle, st->sql,
                          st->label, out);
    if (!err) {
        /* The registry's label: label may live in the request's pool. */
        apr_hash_set(dbd->prepared, st->label, APR_HASH_KEY_STRING, *out);
    }
    return err;
}

static int kd_db_stmt(kd_req *kr, const char *label,
                      apr_dbd_prepared_t **out)
{
    int err = kd_db_find(kr, label, out);

    if (err < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(00303)
                      "statement %s is not prepared on this connection",
                      label);
        return kd_internal(kr);
    }
    return err ? kd_db_fail(kr, label, err) : KD_NEXT;
}

int kd_db_select(kd_req *kr, const char *label, kd_rows **rowsp,
                 int nargs, const char **args)
{
    return kd_db_select_common(kr, label, rowsp, nargs, args, 0);
}

int kd_db_select_common(kd_req *kr, const char *label, kd_rows **rowsp,
                        int nargs, const char **args, int ncommon)
{
    request_rec *r = kr->r;
    apr_dbd_prepared_t *stmt;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    kd_rows *rows;
    int rc, err, i, cap = 4;

    if ((rc = kd_db_acquire(kr)) != KD_NEXT) {
        return rc;
    }
    if ((rc = kd_db_stmt(kr, label, &stmt)) != KD_NEXT) {
        return rc;
    }
    err = apr_dbd_pselect(kr->dbd->driver, r->pool, kr->dbd->handle, &res,
                          stmt, 0, nargs, args);
    if (err) {
        return kd_db_fail(kr, label, err);
    }
    rows = apr_pcalloc(r->pool, sizeof(*rows));
    rows->ncols = apr_dbd_num_cols(kr->dbd->driver, res);
    if (ncommon < 0 || ncommon > rows->ncols) {
        ncommon = 0;
    }
    rows->cells = apr_palloc(r->pool, sizeof(char **) * cap);
    /* apr_dbd_mysql buffers every result (mysql_stmt_store_result) even
     * when not asked for random access; sequential access reads it
     * front to back where random access would seek from the first row
     * for each one.  Every row is read here, so the connection is free
     * for the next statement; the driver frees the result with r->pool. */
    while ((err = apr_dbd_get_row(kr->dbd->driver, r->pool, res, &row,
                                  -1)) == 0) {
        const char **cells = apr_palloc(r->pool,
                                        sizeof(char *) * (rows->ncols + 1));

        /* Each cell read costs the driver a conversion of the column:
         * the common ones are read once. */
        i = 0;
        if (rows->nrows > 0) {
            memcpy(cells, rows->cells[0], sizeof(char *) * ncommon);
            i = ncommon;
        }
        for (; i < rows->ncols; i++) {
            const char *v = apr_dbd_get_entry(kr->dbd->driver, row, i);
            cells[i] = v ? apr_pstrdup(r->pool, v) : NULL;
        }
        if (rows->nrows == cap) {
            const char ***grown = apr_palloc(r->pool,
                                             sizeof(char **) * cap * 2);
            memcpy(grown, rows->cells, sizeof(char **) * cap);
            rows->cells = grown;
            cap *= 2;
        }
        rows->cells[rows->nrows++] = cells;
    }
    if (err != -1) {            /* -1 is the end; anything else failed */
        return kd_db_fail(kr, label, err);
    }
    *rowsp = rows;
    /* Never the arguments: they can be emails or password hashes. */
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, KDLOGNO(00304)
                  "%s: %d rows", label, rows->nrows);
    return KD_NEXT;
}

/* Run a statement prepared already: 0, or the driver's error. */
static int kd_db_pquery(kd_req *kr, apr_dbd_prepared_t *stmt,
                        int *affected, int nargs, const char **args)
{
    int n = 0, err;

    err = apr_dbd_pquery(kr->dbd->driver, kr->r->pool, kr->dbd->handle, &n,
                         stmt, nargs, args);
    if (!err && affected) {
        *affected = n;
    }
    return err;
}

int kd_db_exec(kd_req *kr, const char *label, int *affected,
               int nargs, const char **args)
{
    apr_dbd_prepared_t *stmt;
    int rc, err;

    if ((rc = kd_db_acquire(kr)) != KD_NEXT) {
        return rc;
    }
    if ((rc = kd_db_stmt(kr, label, &stmt)) != KD_NEXT) {
        return rc;
    }
    if ((err = kd_db_pquery(kr, stmt, affected, nargs, args))) {
        return kd_db_fail(kr, label, err);
    }
    return KD_NEXT;
}

int kd_db_exec_unique(kd_req *kr, const char *label, int nargs,
                      const char **args, int *dup)
{
    apr_dbd_prepared_t *stmt;
    int rc, err;

    *dup = 0;
    if ((rc = kd_db_acquire(kr)) != KD_NEXT) {
        return rc;
    }
    if ((rc = kd_db_stmt(kr, label, &stmt)) != KD_NEXT) {
        return rc;
    }
    err = kd_db_pquery(kr, stmt, NULL, nargs, args);
    if (err == 1062) {                  /* duplicate entry */
        *dup = 1;
        return KD_NEXT;
    }
    return err ? kd_db_fail(kr, label, err) : KD_NEXT;
}

int kd_db_run(kd_req *kr, const char *label, int nargs, const char **args)
{
    apr_dbd_prepared_t *stmt;
    const char *msg;
    int err;

    if (!kr->dbd) {
        return -1;
    }
    if (!(err = kd_db_find(kr, label, &stmt))) {
        err = kd_db_pquery(kr, stmt, NULL, nargs, args);
    }
    if (err) {
        msg = err > 0 ? apr_dbd_error(kr->dbd->driver, kr->dbd->handle, err)
                      : "no such statement";
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(00308)
                      "statement %s failed (%d): %s", label, err,
                      msg ? msg : "(no message)");
    }
    return err;
}

/* A transaction statement, by text: 0 or the server's error.  BEGIN
 * and COMMIT are sent as statements, one round trip each, rather than
 * through apr_dbd_transaction_start/end, which switch autocommit off and
 * back on around the COMMIT (three round trips) and, on the MySQL
 * driver, answer any failure with 1 instead of the server's error. */
static int kd_db_txn_query(kd_req *kr, const char *sql)
{
    int n = 0;

    return apr_dbd_query(kr->dbd->driver, kr->dbd->handle, &n, sql);
}

/* Runs when r->pool is cleared: registered after mod_dbd's release
 * cleanup, so it runs first (kr->dbd is still the request's) and the
 * connection never goes back to the pool inside a transaction or
 * holding row locks.  A ROLLBACK that fails means the connection is
 * gone, and its server ends the transaction itself. */
static apr_status_t kd_txn_cleanup(void *data)
{
    kd_req *kr = data;

    if (kr->txn) {
        kr->txn = 0;
        kd_db_txn_query(kr, "ROLLBACK");
    }
    return APR_SUCCESS;
}

int kd_db_begin(kd_req *kr)
{
    int rc, err;

    if ((rc = kd_db_acquire(kr)) != KD_NEXT) {
        return rc;
    }
    if (!kr->txn_cleanup) {
        apr_pool_cleanup_register(kr->r->pool, kr, kd_txn_cleanup,
                                  apr_pool_cleanup_null);
        kr->txn_cleanup = 1;
    }
    /* One open already goes on (START TRANSACTION would commit it). */
    if (kr->txn) {
        return KD_NEXT;
    }
    if ((err = kd_db_txn_query(kr, "START TRANSACTION"))) {
        return kd_db_fail(kr, "BEGIN", err);
    }
    kr->txn = 1;
    return KD_NEXT;
}

int kd_db_commit(kd_req *kr)
{
    int err;

    if (!kr->txn) {
        return KD_NEXT;
    }
    /* A COMMIT that fails (the connection lost) is followed by a
     * ROLLBACK of whatever the server left, so that what the request
     * still runs (an Idempotency-Key freed) runs on its own. */
    if ((err = kd_db_txn_query(kr, "COMMIT"))) {
        int rc = kd_db_fail(kr, "COMMIT", err);

        kd_db_rollback(kr);
        return rc;
    }
    kr->txn = 0;
    return KD_NEXT;
}

void kd_db_rollback(kd_req *kr)
{
    kd_txn_cleanup(kr);
}

/* The id an INSERT created, without a round trip: apr_dbd has no call
 * for it, but the MySQL driver's native handle is the client library's
 * MYSQL, whose mysql_insert_id() holds the id the server sent back with
 * the statement's OK packet (prepared or not: libmariadb reads it for
 * both, t/61-round-trips.t compares the ids answered with the rows).
 * The function is looked up, not linked: apr_dbd loads its driver, and
 * the client library the driver was built with, into the global scope
 * (RTLD_GLOBAL), so this is the library that made the handle, with no
 * build dependency of ours.  Any other driver, or no such symbol: NULL,
 * and SELECT LAST_INSERT_ID() (a round trip) instead. */
typedef unsigned long long (*kd_insert_id_fn)(void *mysql);

static volatile void *kd_insert_id_sym;     /* the function, or &itself */

static kd_insert_id_fn kd_native_insert_id(kd_req *kr)
{
    void *f = apr_atomic_casptr(&kd_insert_id_sym, NULL, NULL);
    void *self;

    if (!f) {
        if (!strcmp(apr_dbd_name(kr->dbd->driver), "mysql")
            && (self = dlopen(NULL, RTLD_NOW))) {
            f = dlsym(self, "mysql_insert_id");
            dlclose(self);
        }
        if (!f) {
            f = (void *)&kd_insert_id_sym;
        }
        apr_atomic_casptr(&kd_insert_id_sym, f, NULL);
    }
    return f == (void *)&kd_insert_id_sym ? NULL : (kd_insert_id_fn)f;
}

int kd_db_insert_id(kd_req *kr, long long *id)
{
    kd_insert_id_fn native;
    unsigned long long v;
    void *mysql;
    kd_rows *rows;
    int rc;

    if (!kr->dbd) {
        return kd_internal(kr);
    }
    native = kd_native_insert_id(kr);
    if (native && (mysql = apr_dbd_native_handle(kr->dbd->driver,
                                                 kr->dbd->handle))) {
        v = native(mysql);
        if (v > 0 && v <= (unsigned long long)LLONG_MAX) {
            *id = (long long)v;
            return KD_NEXT;
        }
    }
    rc = kd_db_select(kr, "kd_last_insert_id", &rows, 0, NULL);
    if (rc != KD_NEXT) {
        return rc;
    }
    if (rows->nrows != 1 || !rows->cells[0][0]) {
        return kd_internal(kr);
    }
    *id = apr_atoi64(rows->cells[0][0]);
    return KD_NEXT;
}

int kd_rows_count(const kd_rows *rows)
{
    return rows ? rows->nrows : 0;
}

const char *kd_rows_get(const kd_rows *rows, int i, int col)
{
    if (!rows || i < 0 || i >= rows->nrows || col < 0 || col >= rows->ncols) {
        return NULL;
    }
    return rows->cells[i][col];
}

void kd_rows_move_first(kd_rows *rows, int i)
{
    const char **row;

    if (!rows || i <= 0 || i >= rows->nrows) {
        return;
    }
    row = rows->cells[i];
    memmove(rows->cells + 1, rows->cells, sizeof(char **) * i);
    rows->cells[0] = row;
}

void kd_rows_truncate(kd_rows *rows, int n)
{
    if (rows && n >= 0 && n < rows->nrows) {
        rows->nrows = n;
    }
}
