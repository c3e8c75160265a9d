/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Login throttling, across every Apache process: failed logins are
 * counted per client address and per account (the email, hashed) in the
 * shared cache, each as a leaky bucket that drains at LIMIT per WINDOW,
 * so a burst of LIMIT failures blocks the next attempt and one more is
 * allowed every WINDOW/LIMIT seconds after that.
 *
 * An attempt is counted when it is let through (check and count are one
 * step under the cache mutex), so parallel guesses cannot all pass the
 * check before any of them is counted; an attempt that did not fail on
 * its credentials gives back exactly its own count.  A successful
 * login therefore never empties what failures put in a bucket.  The
 * check runs before any password hashing or database work.
 */

#include "apr_strings.h"
#include "apr_lib.h"


#include "mod_kdata.h"
#include "kd_throttle.h"
#include "kd_cache.h"
#include "kd_hash.h"
#include "kd_reply.h"

typedef struct {
    apr_int64_t level;          /* failures x 1000 */
    apr_time_t at;              /* when level was last computed */
} kd_bucket;

static const char *kd_account_key(apr_pool_t *p, const char *email)
{
    char *lower = apr_pstrdup(p, email), *c, *key;

    /* WHMCS matches emails case-insensitively; so does the bucket. */
    for (c = lower; *c; c++) {
        *c = apr_tolower(*c);
    }
    key = apr_palloc(p, 4 + 2 * 12 + 1);
    memcpy(key, "t:a:", 4);
    kd_sha256_hex(lower, strlen(lower), 12, key + 4);
    return key;
}

/* The bucket drained to now; 0 when there is none. */
static apr_int64_t kd_level(request_rec *r, const char *key, int limit,
                            int window)
{
    kd_bucket b;
    unsigned int len = sizeof(b);
    apr_int64_t drained;

    if (kd_cache_get(r, key, (unsigned char *)&b, &len) || len != sizeof(b)) {
        return 0;
    }
    drained = (apr_int64_t)(r->request_time - b.at) * limit * 1000
              / ((apr_int64_t)window * APR_USEC_PER_SEC);
    return b.level > drained ? b.level - drained : 0;
}

/* Seconds until one more attempt fits in the bucket (its level after
 * the attempt at most LIMIT), 0 when it already does. */
static int kd_wait(apr_int64_t level, int limit, int window)
{
    apr_int64_t over = level - (apr_int64_t)(limit - 1) * 1000;

    if (over <= 0) {
        return 0;
    }
    return (int)((over * window + (apr_int64_t)limit * 1000 - 1)
                 / ((apr_int64_t)limit * 1000));
}

static void kd_add(request_rec *r, const char *key, int limit, int window,
                   apr_int64_t delta)
{
    kd_bucket b;

    b.level = kd_level(r, key, limit, window) + delta;
    if (b.level < 0) {
        b.level = 0;
    }
    b.at = r->request_time;
    kd_cache_put(r, key, r->request_time + apr_time_from_sec(window),
                 &b, sizeof(b));
}

int kd_throttle_check(kd_req *kr, const char *email, const char *who)
{
    const kd_srv_conf *c = kr->sconf;
    request_rec *r = kr->r;
    const char *kip = apr_pstrcat(r->pool, "t:i:", r->useragent_ip, NULL);
    const char *kac = kd_account_key(r->pool, email);
    int wait_ip = 0, wait_ac = 0, wait;

    if (kd_cache_lock(r)) {
        return kd_internal(kr);
    }
    if (c->limit_ip > 0) {
        wait_ip = kd_wait(kd_level(r, kip, c->limit_ip, c->limit_ip_window),
                          c->limit_ip, c->limit_ip_window);
    }
    if (c->limit_account > 0) {
        wait_ac = kd_wait(kd_level(r, kac, c->limit_account,
                                   c->limit_account_window),
                          c->limit_account, c->limit_account_window);
    }
    wait = wait_ip > wait_ac ? wait_ip : wait_ac;
    if (!wait) {
        if (c->limit_ip > 0) {
            kd_add(r, kip, c->limit_ip, c->limit_ip_window, 1000);
        }
        if (c->limit_account > 0) {
            kd_add(r, kac, c->limit_account, c->limit_account_window, 1000);
        }
        kr->throttle_email = email;
    }
    kd_cache_unlock(r);
    if (!wait) {
        return KD_NEXT;
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, KDLOGNO(00506)
                  "login throttled from %s (%s), retry in %d s, for \"%s\"",
                  r->useragent_ip, wait_ip >= wait_ac ? "address" : "account",
                  wait, who);
    apr_table_setn(r->headers_out, "Retry-After", apr_itoa(r->pool, wait));
    return kd_error(kr, HTTP_TOO_MANY_REQUESTS, "message",
                    "Too many failed logins, try again later");
}

void kd_throttle_refund(kd_req *kr)
{
    const kd_srv_conf *c = kr->sconf;
    request_rec *r = kr->r;
    const char *email = kr->throttle_email;

    kr->throttle_email = NULL;
    if (!email || kd_cache_lock(r)) {
        return;
    }
    if (c->limit_ip > 0) {
        kd_add(r, apr_pstrcat(r->pool, "t:i:", r->useragent_ip, NULL),
               c->limit_ip, c->limit_ip_window, -1000);
    }
    if (c->limit_account > 0) {
        kd_add(r, kd_account_key(r->pool, email), c->limit_account,
               c->limit_account_window, -1000);
    }
    kd_cache_unlock(r);
}

int kd_throttle_order(kd_req *kr)
{
    const kd_dir_conf *c = kr->dconf;
    request_rec *r = kr->r;
    const char *key;
    int wait;

    if (c->order_limit <= 0) {
        return KD_NEXT;
    }
    key = apr_psprintf(r->pool, "o:" KD_I64,
                       (apr_int64_t)kr->caller.client_id);
    if (kd_cache_lock(r)) {
        return kd_internal(kr);
    }
    wait = kd_wait(kd_level(r, key, c->order_limit, c->order_window),
                   c->order_limit, c->order_window);
    if (!wait) {
        kd_add(r, key, c->order_limit, c->order_window, 1000);
    }
    kd_cache_unlock(r);
    if (!wait) {
        return KD_NEXT;
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, KDLOGNO(00507)
                  "orders throttled for client " KD_I64 ", retry in %d s",
                  (apr_int64_t)kr->caller.client_id, wait);
    apr_table_setn(r->headers_out, "Retry-After", apr_itoa(r->pool, wait));
    return kd_error(kr, HTTP_TOO_MANY_REQUESTS, "message",
                    "Too many orders, try again later");
}
