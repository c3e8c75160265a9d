/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The outbox's courier: sends the calls kd_outbox.c queued to WHMCS's
 * external API, outside every request.  One mod_watchdog thread per
 * Apache host (a singleton watchdog: one child holds it at a time) wakes
 * each second and, for each server whose own section sets
 * KdataWhmcsApi:
 *   1. claims a few due rows in a short transaction of its own, with a
 *      connection of the server's mod_dbd pool taken and given back at
 *      once: SELECT ... FOR UPDATE SKIP LOCKED (another host's claim is
 *      skipped, never waited for), then claimed_by/claimed_until on each,
 *      COMMIT;
 *   2. POSTs each to WHMCS with libcurl, holding no connection and no
 *      lock, within KdataWhmcsApiTimeout;
 *   3. records the outcome in a second short transaction: 'done' on
 *      WHMCS's "result":"success", else one attempt more, retried after
 *      an exponential backoff, parked after KdataWhmcsApiAttempts with
 *      WHMCS's (or curl's) last error.
 * A customer request never waits for any of it: the thread is not a
 * request's, and it holds a pool connection only for the two short
 * transactions.  A claim outlives the longest batch, so another host
 * takes a row over only when its claimer died; the outcome is written
 * only while the claim is still ours.  Delivery is at least once: a host
 * that dies after WHMCS acted and before step 3 leaves the row to be
 * sent again once its claim expires.
 *
 * One log line per change of a row's state (delivered, retried, parked)
 * and per change of the database's; never the credentials, which only
 * this file's request body carries.
 */

#include "apr_strings.h"
#include "apr_hash.h"
#include "apr_network_io.h"
#include "ap_mpm.h"
#include "http_core.h"
#include "mod_watchdog.h"

#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "mod_kdata.h"
#include "kd_deliver.h"

/* Rows claimed per round, and the most an answer may hold (WHMCS's
 * answers to these actions are a line of JSON). */
#define KD_BATCH 5
#define KD_BATCH_SQL "5"
#define KD_ANSWER_MAX 16384
/* Seconds a connect may take, at most (the whole call: the timeout). */
#define KD_CONNECT_MAX 3
/* Delivered rows are kept this long for the admin's view. */
#define KD_KEEP_DONE 86400

static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *kd_open_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *kd_close_fn;

/* One server's courier; lives in its watchdog thread only. */
typedef struct {
    server_rec *s;
    const kd_srv_conf *conf;
    char me[APRMAXHOSTLEN + 24];    /* claimed_by: host name and pid */
    CURL *curl;                 /* kept: WHMCS's connection is reused */
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];
    int db_failing;             /* the database's state, as last logged */
    apr_time_t purged;
} kd_courier;

/* A row being delivered. */
typedef struct {
    const char *id, *kind, *payload, *origin;
    int attempts;               /* before this one */
    int ok;
    const char *error;
} kd_event;

/* What WHMCS answered, as it arrives. */
typedef struct {
    char buf[KD_ANSWER_MAX];
    apr_size_t len;
} kd_answer;

static const struct {
    const char *label, *sql;
} kd_sql[] = {
#define KD_Q_CLAIM 0
    {"kd_deliver_claim",
     "SELECT id, kind, payload, origin, attempts FROM mod_kdata_outbox "
     "WHERE state = 'pending' AND next_at <= %d AND claimed_until <= %d "
     "ORDER BY next_at, id LIMIT " KD_BATCH_SQL " FOR UPDATE SKIP LOCKED"},
#define KD_Q_MINE 1
    {"kd_deliver_mine",
     "UPDATE mod_kdata_outbox SET claimed_by = %s, claimed_until = %d "
     "WHERE id = %d"},
#define KD_Q_DONE 2
    {"kd_deliver_done",
     "UPDATE mod_kdata_outbox SET state = 'done', attempts = attempts + 1,"
     " done_at = %d, claimed_until = 0, last_error = '' WHERE id = %d "
     "AND claimed_by = %s AND state = 'pending'"},
#define KD_Q_FAIL 3
    {"kd_deliver_fail",
     "UPDATE mod_kdata_outbox SET state = %s, attempts = attempts + 1, "
     "next_at = %d, claimed_until = 0, last_error = %s WHERE id = %d "
     "AND claimed_by = %s AND state = 'pending'"},
#define KD_Q_PURGE 4
    {"kd_deliver_purge",
     "DELETE FROM mod_kdata_outbox WHERE state = 'done' AND done_at < %d "
     "LIMIT 100"}
};

int kd_deliver_statement_count(void)
{
    return (int)(sizeof(kd_sql) / sizeof(kd_sql[0]));
}

/**** the database ****/

/* The database failed, or works again: said once per change. */
static void kd_note_db(kd_courier *c, int failing, const char *what,
                        const char *msg)
{
    if (failing && !c->db_failing) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, c->s, KDLOGNO(01350)
                     "outbox: %s failed: %s; events wait in "
                     "mod_kdata_outbox until the database answers "
                     "(conf/mod_kdata.sql creates the table)", what,
                     msg ? msg : "no connection");
    }
    else if (!failing && c->db_failing) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, c->s, KDLOGNO(01351)
                     "outbox: the database answers again");
    }
    c->db_failing = failing;
}

/* Statement q on dbd, prepared there on first use (as kd_db.c does):
 * 0 or the driver's error. */
static int kd_prepared(ap_dbd_t *dbd, int q, apr_dbd_prepared_t **st)
{
    int err;

    *st = apr_hash_get(dbd->prepared, kd_sql[q].label, APR_HASH_KEY_STRING);
    if (*st) {
        return 0;
    }
    err = apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle, kd_sql[q].sql,
                          kd_sql[q].label, st);
    if (!err) {
        apr_hash_set(dbd->prepared, kd_sql[q].label, APR_HASH_KEY_STRING,
                     *st);
    }
    return err;
}

static int kd_exec(kd_courier *c, ap_dbd_t *dbd, apr_pool_t *p, int q,
                   int *n, int nargs, const char **args)
{
    apr_dbd_prepared_t *st;
    int rows = 0, err;

    if ((err = kd_prepared(dbd, q, &st)) == 0) {
        err = apr_dbd_pquery(dbd->driver, p, dbd->handle, &rows, st, nargs,
                             args);
    }
    if (err) {
        kd_note_db(c, 1, kd_sql[q].label,
                   apr_dbd_error(dbd->driver, dbd->handle, err));
        return -1;
    }
    if (n) {
        *n = rows;
    }
    return 0;
}

static void kd_end(ap_dbd_t *dbd, apr_pool_t *p, apr_dbd_transaction_t *t,
                   int rollback)
{
    if (rollback) {
        apr_dbd_transaction_mode_set(dbd->driver, t,
                                     APR_DBD_TRANSACTION_ROLLBACK);
    }
    apr_dbd_transaction_end(dbd->driver, p, t);
}

/* The due rows, read under FOR UPDATE SKIP LOCKED. */
static int kd_claim_read(kd_courier *c, ap_dbd_t *dbd, apr_pool_t *p,
                         apr_time_t now, kd_event *ev, int *n)
{
    apr_dbd_prepared_t *st;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *args[2];
    int err;

    args[0] = apr_ltoa(p, (long)now);
    args[1] = args[0];
    if ((err = kd_prepared(dbd, KD_Q_CLAIM, &st)) == 0) {
        err = apr_dbd_pselect(dbd->driver, p, dbd->handle, &res, st, 0, 2,
                              args);
    }
    if (err) {
        kd_note_db(c, 1, "claiming events",
                   apr_dbd_error(dbd->driver, dbd->handle, err));
        return -1;
    }
    *n = 0;
    while (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
        const char *v[5];
        int i;

        for (i = 0; i < 5; i++) {
            v[i] = apr_dbd_get_entry(dbd->driver, row, i);
        }
        if (*n < KD_BATCH && v[0] && v[1] && v[2] && v[3] && v[4]) {
            ev[*n].id = apr_pstrdup(p, v[0]);
            ev[*n].kind = apr_pstrdup(p, v[1]);
            ev[*n].payload = apr_pstrdup(p, v[2]);
            ev[*n].origin = apr_pstrdup(p, v[3]);
            ev[*n].attempts = atoi(v[4]);
            (*n)++;
        }
    }
    return 0;
}

/* Claim up to KD_BATCH due rows for this host: read and marked in one
 * short transaction, so two hosts never claim one row. */
static int kd_claim(kd_courier *c, apr_pool_t *p, kd_event *ev, int *n)
{
    apr_time_t now = apr_time_sec(apr_time_now());
    /* Longer than a whole batch can take, however slow WHMCS is. */
    long ttl = (long)KD_BATCH * (c->conf->api_timeout + 1) + 30;
    apr_dbd_transaction_t *t = NULL;
    const char *args[3];
    ap_dbd_t *dbd;
    int i, failed = 0;

    *n = 0;
    if (!(dbd = kd_open_fn(p, c->s))) {
        kd_note_db(c, 1, "connecting to the database", NULL);
        return -1;
    }
    if (apr_dbd_transaction_start(dbd->driver, p, dbd->handle, &t)) {
        kd_note_db(c, 1, "BEGIN", NULL);
        kd_close_fn(c->s, dbd);
        return -1;
    }
    failed = kd_claim_read(c, dbd, p, now, ev, n);
    args[0] = c->me;
    args[1] = apr_ltoa(p, (long)now + ttl);
    for (i = 0; !failed && i < *n; i++) {
        args[2] = ev[i].id;
        failed = kd_exec(c, dbd, p, KD_Q_MINE, NULL, 3, args);
    }
    kd_end(dbd, p, t, failed);
    kd_close_fn(c->s, dbd);
    if (failed) {
        *n = 0;
        return -1;
    }
    kd_note_db(c, 0, NULL, NULL);
    return 0;
}

/**** WHMCS ****/

static size_t kd_curl_write(char *data, size_t size, size_t n, void *arg)
{
    kd_answer *a = arg;
    size_t len = size * n;

    /* More than an answer can hold is cut, not an error: the JSON that
     * matters comes first, and a cut one reads as not WHMCS's. */
    if (len > sizeof(a->buf) - 1 - a->len) {
        memcpy(a->buf + a->len, data, sizeof(a->buf) - 1 - a->len);
        a->len = sizeof(a->buf) - 1;
        return len;
    }
    memcpy(a->buf + a->len, data, len);
    a->len += len;
    return len;
}

/* What WHMCS's answer says: NULL for "result":"success", else why not. */
static const char *kd_answer_error(apr_pool_t *p, long status,
                                   const kd_answer *a)
{
    json_t *j = json_loadb(a->buf, a->len, 0, NULL);
    const char *result = j ? json_string_value(json_object_get(j, "result"))
                           : NULL;
    const char *msg = j ? json_string_value(json_object_get(j, "message"))
                        : NULL;
    const char *err = NULL;

    if (status != 200 || !result || strcmp(result, "success")) {
        err = apr_psprintf(p, "HTTP %ld: %s", status,
                           msg ? msg : result ? result
                                     : "not an answer of WHMCS's API");
    }
    if (j) {
        json_decref(j);
    }
    return err;
}

/* POST one event: the credential, the action, json, then its fields,
 * as an HTML form (WHMCS's api.php reads $_POST). */
static void kd_call(kd_courier *c, apr_pool_t *p, kd_event *ev)
{
    const kd_srv_conf *conf = c->conf;
    const char *body;
    kd_answer *a = apr_pcalloc(p, sizeof(*a));
    CURLcode rc;
    long status = 0;

    body = apr_pstrcat(p, "identifier=",
                       ap_escape_urlencoded(p, conf->api_id),
                       "&secret=", ap_escape_urlencoded(p, conf->api_secret),
                       "&action=", ap_escape_urlencoded(p, ev->kind),
                       "&responsetype=json", *ev->payload ? "&" : "",
                       ev->payload, NULL);
    c->errbuf[0] = '\0';
    curl_easy_setopt(c->curl, CURLOPT_URL, conf->api_url);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, a);
    rc = curl_easy_perform(c->curl);
    /* The body held the secret: curl keeps only a pointer to it. */
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
    if (rc != CURLE_OK) {
        ev->ok = 0;
        ev->error = apr_pstrdup(p, c->errbuf[0] ? c->errbuf
                                               : curl_easy_strerror(rc));
        return;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    ev->error = kd_answer_error(p, status, a);
    ev->ok = ev->error == NULL;
}

/**** outcomes ****/

/* Seconds before the next try after the n-th failure (n from 1). */
static long kd_backoff(const kd_srv_conf *conf, int n)
{
    long wait = conf->api_backoff;

    while (--n > 0 && wait < conf->api_backoff_max) {
        wait *= 2;
    }
    return wait < conf->api_backoff_max ? wait : conf->api_backoff_max;
}

/* The log line of a row's new state. */
static void kd_log_outcome(kd_courier *c, const kd_event *ev, int parked,
                           long wait)
{
    int n = ev->attempts + 1;

    if (ev->ok) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, c->s, KDLOGNO(01352)
                     "outbox %s: %s for %s delivered (attempt %d)", ev->id,
                     ev->kind, ev->origin, n);
    }
    else if (parked) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, c->s, KDLOGNO(01353)
                     "outbox %s: %s for %s parked after %d attempts: %s; "
                     "scripts/kd-outbox redrive %s sends it again", ev->id,
                     ev->kind, ev->origin, n, ev->error, ev->id);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, c->s, KDLOGNO(01354)
                     "outbox %s: %s for %s failed (attempt %d of %d): %s; "
                     "next try in %ld s", ev->id, ev->kind, ev->origin, n,
                     c->conf->api_attempts, ev->error, wait);
    }
}

/* s in at most max bytes, cut between UTF-8 characters (the column's
 * width; WHMCS's messages are short). */
static const char *kd_cut(apr_pool_t *p, const char *s, apr_size_t max)
{
    apr_size_t n = strlen(s);

    if (n <= max) {
        return s;
    }
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
    }
    return apr_pstrmemdup(p, s, n);
}

/* Record one row's outcome, if the claim is still ours. */
static int kd_record(kd_courier *c, ap_dbd_t *dbd, apr_pool_t *p,
                     const kd_event *ev, apr_time_t now)
{
    int parked = !ev->ok && ev->attempts + 1 >= c->conf->api_attempts;
    long wait = ev->ok || parked ? 0 : kd_backoff(c->conf, ev->attempts + 1);
    const char *args[5];
    int n = 0;

    if (ev->ok) {
        args[0] = apr_ltoa(p, (long)now);
        args[1] = ev->id;
        args[2] = c->me;
        if (kd_exec(c, dbd, p, KD_Q_DONE, &n, 3, args)) {
            return -1;
        }
    }
    else {
        args[0] = parked ? "parked" : "pending";
        args[1] = apr_ltoa(p, (long)now + wait);
        args[2] = kd_cut(p, ev->error, 255);
        args[3] = ev->id;
        args[4] = c->me;
        if (kd_exec(c, dbd, p, KD_Q_FAIL, &n, 5, args)) {
            return -1;
        }
    }
    if (n != 1) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, c->s, KDLOGNO(01355)
                     "outbox %s: %s for %s: the claim expired before the "
                     "outcome (%s) was written; another host may send it "
                     "again", ev->id, ev->kind, ev->origin,
                     ev->ok ? "delivered" : ev->error);
        return 0;
    }
    kd_log_outcome(c, ev, parked, wait);
    return 0;
}

/* Write the batch's outcomes; rows not written stay claimed and are
 * taken again once the claim expires. */
static void kd_record_all(kd_courier *c, apr_pool_t *p, kd_event *ev, int n)
{
    apr_time_t now = apr_time_sec(apr_time_now());
    ap_dbd_t *dbd;
    int i;

    if (!(dbd = kd_open_fn(p, c->s))) {
        kd_note_db(c, 1, "connecting to the database", NULL);
        return;
    }
    for (i = 0; i < n; i++) {
        if (kd_record(c, dbd, p, &ev[i], now)) {
            break;
        }
    }
    /* Delivered rows older than a day go, a few a minute. */
    if (now - c->purged >= 60) {
        const char *args[1];

        c->purged = now;
        args[0] = apr_ltoa(p, (long)now - KD_KEEP_DONE);
        kd_exec(c, dbd, p, KD_Q_PURGE, NULL, 1, args);
    }
    kd_close_fn(c->s, dbd);
}

/**** the watchdog ****/

static int kd_courier_start(kd_courier *c, apr_pool_t *p)
{
    char host[APRMAXHOSTLEN + 1];
    long timeout = c->conf->api_timeout;

    if (apr_gethostname(host, sizeof(host), p) != APR_SUCCESS) {
        apr_cpystrn(host, "localhost", sizeof(host));
    }
    apr_snprintf(c->me, sizeof(c->me), "%s:%ld", host, (long)getpid());
    if (!(c->curl = curl_easy_init())) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, c->s, KDLOGNO(01356)
                     "outbox: libcurl cannot start; nothing is sent to %s",
                     c->conf->api_url);
        return -1;
    }
    /* No "Expect: 100-continue" round trip; the form's type is curl's
     * default for POSTFIELDS. */
    c->headers = curl_slist_append(NULL, "Expect:");
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT,
                     timeout < KD_CONNECT_MAX ? timeout : KD_CONNECT_MAX);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "mod_kdata");
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, kd_curl_write);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, c->s, KDLOGNO(01357)
                 "outbox: delivering to %s as %s", c->conf->api_url, c->me);
    return 0;
}

static apr_status_t kd_courier_cb(int state, void *data, apr_pool_t *p)
{
    kd_courier *c = data;
    kd_event ev[KD_BATCH];
    int i, n;

    switch (state) {
    case AP_WATCHDOG_STATE_STARTING:
        kd_courier_start(c, p);
        break;
    case AP_WATCHDOG_STATE_RUNNING:
        if (!c->curl || kd_claim(c, p, ev, &n) || !n) {
            break;
        }
        for (i = 0; i < n; i++) {
            kd_call(c, p, &ev[i]);
        }
        kd_record_all(c, p, ev, n);
        break;
    case AP_WATCHDOG_STATE_STOPPING:
        if (c->curl) {
            curl_easy_cleanup(c->curl);
            curl_slist_free_all(c->headers);
            c->curl = NULL;
        }
        break;
    }
    return APR_SUCCESS;         /* anything else would stop the courier */
}

static apr_status_t kd_curl_cleanup(void *unused)
{
    curl_global_cleanup();
    return APR_SUCCESS;
}

/* The watchdog the couriers share, and libcurl, made once. */
static int kd_deliver_init(apr_pool_t *pconf, server_rec *s,
                           ap_watchdog_t **wd)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get;

    get = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    kd_open_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    kd_close_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    if (!get || !kd_open_fn || !kd_close_fn) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, KDLOGNO(01358)
                     "KdataWhmcsApi needs mod_watchdog (built into "
                     "Debian's apache2; elsewhere LoadModule "
                     "watchdog_module) and mod_dbd");
        return !OK;
    }
    if (get(wd, "kdata-outbox", 0, 1, pconf) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, KDLOGNO(01359)
                     "outbox: mod_watchdog cannot make a watchdog");
        return !OK;
    }
    /* Here, before any thread: curl_global_init is not thread-safe. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, KDLOGNO(01360)
                     "outbox: libcurl cannot be initialised");
        return !OK;
    }
    apr_pool_cleanup_register(pconf, NULL, kd_curl_cleanup,
                              apr_pool_cleanup_null);
    return OK;
}

int kd_deliver_post_config(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *reg;
    ap_watchdog_t *wd = NULL;
    server_rec *v;

    /* httpd reads its configuration twice at start; the watchdog only
     * runs after the second. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (v = s; v; v = v->next) {
        const kd_srv_conf *conf = ap_get_module_config(v->module_config,
                                                       &kdata_module);
        kd_courier *c;

        /* A virtual host that only inherits KdataWhmcsApi shares the
         * main server's courier (and database). */
        if (!conf->api_url || !conf->api_own) {
            continue;
        }
        if (!wd && kd_deliver_init(pconf, s, &wd) != OK) {
            return !OK;
        }
        reg = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
        c = apr_pcalloc(pconf, sizeof(*c));
        c->s = v;
        c->conf = conf;
        if (!reg || reg(wd, AP_WD_TM_INTERVAL, c, kd_courier_cb)
                    != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v, KDLOGNO(01361)
                         "outbox: cannot register with mod_watchdog");
            return !OK;
        }
    }
    return OK;
}
