/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Idempotency-Key on the writes (addorder, applycredit, cancelrequest):
 * a client that retries (a timeout, a dropped connection) gets the first
 * answer again instead of a second VPS or a second payment.
 *
 * Keys live in the WHMCS database (mod_kdata_idempotency, conf/
 * mod_kdata.sql), never only in a cache: a cache can evict a key, forget
 * it in a restart, or let two hosts both start it.  A key is claimed by
 * inserting its row on its own (autocommit), so the primary key (client,
 * key) lets exactly one of any number of requests on any number of hosts
 * run the write; the others see it running (409) or done (the answer,
 * replayed with Idempotent-Replayed: true; another body: 422).
 *
 * The answer of a write that succeeds is stored by kd_idem_record inside
 * the write's own transaction, so it exists exactly when the write
 * committed: a process killed after COMMIT leaves a key that replays, one
 * killed before leaves a running key whose write never happened, taken
 * over once KD_IDEM_RUNNING has passed.  A business refusal (400, 403,
 * 409 ...) is stored after its transaction rolled back; a throttled,
 * timed-out or failed request (408, 429, 5xx) frees the key, so the
 * client can simply retry.
 *
 * Lock order: a key is claimed before its write's transaction begins, in
 * a transaction of its own, so it adds no lock to the write's order
 * (client, product, invoice, service, tblconfiguration).
 */

#include "apr_strings.h"
#include "apr_atomic.h"

#include <jansson.h>
#include <openssl/evp.h>

#include "mod_kdata.h"
#include "kd_idem.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_hash.h"
#include "kd_metrics.h"
#include "kd_reply.h"

/* How long answers are kept, and how long a request may hold a key
 * before it is presumed dead (its process killed mid-request; no
 * request runs that long: the statement and lock-wait limits end it). */
#define KD_IDEM_KEEP    86400
#define KD_IDEM_RUNNING 120
/* Expired rows deleted per purge, and purges per process per second:
 * bounded work on the write path, no cron of ours. */
#define KD_IDEM_PURGE   "100"

const kd_stmt kd_stmts_idem[] = {
    {"kd_idem_claim",
     "INSERT INTO mod_kdata_idempotency (client_id, key_hash, route, "
     "fingerprint, status, body, created, expires) VALUES (%d, UNHEX(%s), "
     "%s, UNHEX(%s), 0, '', %d, %d)", KD_STMT_OWN},
    /* The stored request is compared in SQL: the digest never travels. */
    {"kd_idem_get",
     "SELECT status, route = %s AND fingerprint = UNHEX(%s), created, "
     "body FROM mod_kdata_idempotency WHERE client_id = %d "
     "AND key_hash = UNHEX(%s)", KD_STMT_OWN},
    /* A running key whose request died: the first to move it on owns it. */
    {"kd_idem_takeover",
     "UPDATE mod_kdata_idempotency SET created = %d, expires = %d "
     "WHERE client_id = %d AND key_hash = UNHEX(%s) AND status = 0 "
     "AND created < %d", KD_STMT_OWN},
    {"kd_idem_done",
     "UPDATE mod_kdata_idempotency SET status = %d, body = %s, "
     "expires = %d WHERE client_id = %d AND key_hash = UNHEX(%s) "
     "AND status = 0", KD_STMT_OWN},
    {"kd_idem_free",
     "DELETE FROM mod_kdata_idempotency WHERE client_id = %d "
     "AND key_hash = UNHEX(%s) AND status = 0", KD_STMT_OWN},
    {"kd_idem_purge",
     "DELETE FROM mod_kdata_idempotency WHERE expires < %d "
     "LIMIT " KD_IDEM_PURGE, KD_STMT_OWN},
    {NULL, NULL, 0}
};

/* What a request holding a key needs to settle it. */
typedef struct kd_idem {
    const char *client;         /* the caller's client id, as text */
    char key[2 * 32 + 1];       /* SHA-256 of the Idempotency-Key, hex */
    char fp[2 * 32 + 1];        /* SHA-256 of the request body, hex */
    const char *route;
    int recorded;               /* kd_idem_record stored the answer */
} kd_idem;

/* When this process last purged, in seconds. */
static apr_uint32_t kd_idem_purged;

void kd_idem_fingerprint(kd_req *kr, const char *body, apr_size_t len)
{
    unsigned int n = 0;

    EVP_Digest(body, len, kr->idem_fp, &n, EVP_sha256(), NULL);
}

/* The header, checked: NULL when absent, "" when malformed (answered). */
static const char *kd_idem_header(kd_req *kr, int *rc)
{
    const char *key = apr_table_get(kr->r->headers_in, "Idempotency-Key");
    const char *c;

    *rc = KD_NEXT;
    if (!key) {
        return NULL;
    }
    for (c = key; *c > 0x20 && *c < 0x7f; c++) {
    }
    if (!*key || *c || c - key > 255) {
        *rc = kd_error(kr, HTTP_BAD_REQUEST, "message",
                       "Invalid Idempotency-Key: 1 to 255 printable ASCII "
                       "characters");
    }
    return key;
}

static kd_idem *kd_idem_new(kd_req *kr, const char *key, const char *route)
{
    kd_idem *k = apr_pcalloc(kr->r->pool, sizeof(*k));
    static const char digits[] = "0123456789abcdef";
    int i;

    k->client = kd_id(kr->r->pool, kr->caller.client_id);
    k->route = route;
    kd_sha256_hex(key, strlen(key), 32, k->key);
    for (i = 0; i < 32; i++) {
        k->fp[2 * i] = digits[kr->idem_fp[i] >> 4];
        k->fp[2 * i + 1] = digits[kr->idem_fp[i] & 15];
    }
    k->fp[64] = '\0';
    return k;
}

/* Expired keys go, at most once a second per process. */
static int kd_idem_purge(kd_req *kr)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(kr->r->request_time);
    apr_uint32_t last = apr_atomic_read32(&kd_idem_purged);
    const char *args[1];

    if (now == last || apr_atomic_cas32(&kd_idem_purged, now, last) != last) {
        return KD_NEXT;
    }
    args[0] = kd_id(kr->r->pool, now);
    return kd_db_exec(kr, "kd_idem_purge", NULL, 1, args);
}

/* Insert the key's row: *won = 1 when this request now holds it. */
static int kd_idem_claim(kd_req *kr, kd_idem *k, int *won)
{
    apr_pool_t *p = kr->r->pool;
    apr_int64_t now = apr_time_sec(kr->r->request_time);
    const char *args[6];
    int rc, dup;

    args[0] = k->client;
    args[1] = k->key;
    args[2] = k->route;
    args[3] = k->fp;
    args[4] = kd_id(p, now);
    args[5] = kd_id(p, now + KD_IDEM_KEEP);
    rc = kd_db_exec_unique(kr, "kd_idem_claim", 6, args, &dup);
    *won = !dup;
    return rc;
}

/* A running key older than KD_IDEM_RUNNING: its request died before
 * committing (kd_idem_record is in the same transaction), so its write
 * never happened and this request may run it. */
static int kd_idem_takeover(kd_req *kr, kd_idem *k, int *won)
{
    apr_pool_t *p = kr->r->pool;
    apr_int64_t now = apr_time_sec(kr->r->request_time);
    const char *args[5];
    int rc, n = 0;

    args[0] = kd_id(p, now);
    args[1] = kd_id(p, now + KD_IDEM_KEEP);
    args[2] = k->client;
    args[3] = k->key;
    args[4] = kd_id(p, now - KD_IDEM_RUNNING);
    rc = kd_db_exec(kr, "kd_idem_takeover", &n, 5, args);
    *won = n == 1;
    return rc;
}

/* Someone else holds the key: replay its answer, or say why not. */
static int kd_idem_repeat(kd_req *kr, kd_idem *k, int *won)
{
    const char *args[4], *status, *same;
    kd_rows *rows;
    int rc;

    *won = 0;
    args[0] = k->route;
    args[1] = k->fp;
    args[2] = k->client;
    args[3] = k->key;
    if ((rc = kd_db_select(kr, "kd_idem_get", &rows, 4, args)) != KD_NEXT) {
        return rc;
    }
    if (kd_rows_count(rows) != 1) {
        return kd_idem_claim(kr, k, won);      /* freed meanwhile */
    }
    status = kd_rows_get(rows, 0, 0);
    same = kd_rows_get(rows, 0, 1);
    if (!same || strcmp(same, "1")) {
        return kd_error(kr, HTTP_UNPROCESSABLE_ENTITY, "message",
                        "This Idempotency-Key was used with a different "
                        "request");
    }
    if (!strcmp(status, "0")) {
        if ((rc = kd_idem_takeover(kr, k, won)) != KD_NEXT || *won) {
            return rc;
        }
        return kd_error(kr, HTTP_CONFLICT, "message",
                        "A request with this Idempotency-Key is still in "
                        "progress");
    }
    apr_table_setn(kr->r->headers_out, "Idempotent-Replayed", "true");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, kr->r, KDLOGNO(01101)
                  "%s replayed for client %s", k->route, k->client);
    kd_metrics_replayed(kr);
    return kd_reply_raw(kr, atoi(status), kd_rows_get(rows, 0, 3));
}

static int kd_idem_on_reply(kd_req *kr, void *data, int status,
                            const char *text);

int kd_idem_begin(kd_req *kr, const char *route)
{
    const char *key;
    kd_idem *k;
    int rc, won;

    if (!(key = kd_idem_header(kr, &rc)) || rc != KD_NEXT) {
        return rc;
    }
    k = kd_idem_new(kr, key, route);
    if ((rc = kd_idem_purge(kr)) != KD_NEXT
        || (rc = kd_idem_claim(kr, k, &won)) != KD_NEXT) {
        return rc;
    }
    if (!won && ((rc = kd_idem_repeat(kr, k, &won)) != KD_NEXT || !won)) {
        return rc;
    }
    kr->idem = k;               /* ours: the answer settles it */
    kd_reply_on(kr, kd_idem_on_reply, k);
    return KD_NEXT;
}

/* The key's row gets the answer. */
static const char **kd_idem_done_args(kd_req *kr, kd_idem *k, int status,
                                      const char *text)
{
    const char **args = apr_palloc(kr->r->pool, 5 * sizeof(*args));

    args[0] = kd_id(kr->r->pool, status);
    args[1] = text;
    args[2] = kd_id(kr->r->pool, apr_time_sec(kr->r->request_time)
                                 + KD_IDEM_KEEP);
    args[3] = k->client;
    args[4] = k->key;
    return args;
}

int kd_idem_commit_raw(kd_req *kr, int status, const char *text)
{
    kd_idem *k = kr->idem;
    int rc;

    if (k) {
        rc = kd_db_exec(kr, "kd_idem_done", NULL, 5,
                        kd_idem_done_args(kr, k, status, text));
        if (rc != KD_NEXT) {
            return rc;
        }
        k->recorded = 1;
    }
    if ((rc = kd_db_commit(kr)) != KD_NEXT) {
        if (k) {
            k->recorded = 0;    /* rolled back with the write: settle */
        }
        return rc;
    }
    return kd_reply_raw(kr, status, text);
}

int kd_idem_commit(kd_req *kr, int status, json_t *body)
{
    const char *text = kd_reply_text(kr, body);

    return text ? kd_idem_commit_raw(kr, status, text) : kd_internal(kr);
}

/* A refusal that is the request's real answer is kept; one that says
 * "not now" (timed out, throttled, failed) leaves the key free. */
static int kd_idem_keeps(int status)
{
    return status < 500 && status != HTTP_REQUEST_TIME_OUT
           && status != HTTP_TOO_MANY_REQUESTS;
}

/* The answer going out settles a key whose write did not commit (the
 * write is rolled back first): a refusal is kept and replayed, a
 * throttled or failed answer frees the key.  Best effort: the answer
 * itself is decided, and a key left running is taken over later. */
static int kd_idem_on_reply(kd_req *kr, void *data, int status,
                            const char *text)
{
    kd_idem *k = data;
    const char *args[2];

    kr->idem = NULL;
    if (k->recorded) {
        return KD_NEXT;
    }
    kd_db_rollback(kr);
    if (status < 300) {
        /* A success that was not recorded in its transaction is a bug:
         * keep the key running (409, then taken over) rather than let a
         * retry run the write twice. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(01102)
                      "%s answered %d without recording its "
                      "Idempotency-Key", k->route, status);
        return KD_NEXT;
    }
    if (kd_idem_keeps(status)) {
        kd_db_run(kr, "kd_idem_done", 5,
                  kd_idem_done_args(kr, k, status, text));
        return KD_NEXT;
    }
    args[0] = k->client;
    args[1] = k->key;
    kd_db_run(kr, "kd_idem_free", 2, args);
    return KD_NEXT;
}
