/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_metrics.h
 * @brief Operational counters shared by every process of the host
 * (requests by route and status, latency, throttled logins, 503s by
 * cause, database connection waits, replayed answers), served in
 * Prometheus' text format by SetHandler kdata-status.
 */
#ifndef KD_METRICS_H
#define KD_METRICS_H

#include "mod_kdata.h"

/**
 * Why a request was answered 503 or (on login) 429, noted where that is
 * decided (kd_metrics_why), read when the answer is counted.  A 503 or
 * 429 whose reason was not noted counts as "other".
 */
typedef enum {
    KD_WHY_NONE = 0,
    /* 503: kdata_unavailable_total{cause} */
    KD_WHY_NO_CONNECTION,       /* mod_dbd gave no connection */
    KD_WHY_CIRCUIT_OPEN,        /* kd_breaker refused without asking */
    KD_WHY_MISSING_TABLE,       /* a table of ours is not installed */
    KD_WHY_DB_ERROR,            /* lost connection, lock wait, ... */
    KD_WHY_ENGINE,              /* a table without transactions */
    KD_WHY_LOGIN_BUSY,          /* no password check slot in time */
    /* 429 on login: kdata_login_throttled_total{reason} */
    KD_WHY_ADDRESS,
    KD_WHY_ACCOUNT,
    KD_WHY_EMAIL,               /* an email no account has */
    KD_WHY_COUNT
} kd_why;

#define KD_WHY_LAST_503 KD_WHY_LOGIN_BUSY

/**
 * Create (or, after a graceful restart, find again) the shared counters,
 * in the parent at post_config; children inherit them.  routes are the
 * router's paths, in its order: a route's label is its last segment
 * ("api/v1/getinvoice" -> getinvoice).  Requests no route matched count
 * under "unknown", index nroutes.
 */
int kd_metrics_post_config(apr_pool_t *pconf, server_rec *s,
                           const char *const *routes, int nroutes);

/** At the handler's start: the clock starts, the route is unknown. */
void kd_metrics_begin(kd_req *kr);
/** The route the router chose (its index in the routes given above). */
void kd_metrics_route(kd_req *kr, int route);

/** Note why the answer about to be given is a 503 or a 429. */
static APR_INLINE void kd_metrics_why(kd_req *kr, kd_why why)
{
    kr->metrics.why = (int)why;
}

/** Note that the answer about to be given replays a stored one. */
static APR_INLINE void kd_metrics_replayed(kd_req *kr)
{
    kr->metrics.replayed = 1;
}

/** Count the answer (kd_reply_raw, as it sends it): once per request. */
void kd_metrics_answer(kd_req *kr, int status);
/** At the handler's end: counts an answer the handler gave (rc OK) that
 * no reply counted (none should be left).  An error code returned is
 * httpd's to answer: counted if an ErrorDocument sends it back into the
 * API (a request redirected there counts under the refused one's route,
 * kd_metrics_route). */
void kd_metrics_done(kd_req *kr, int rc);

/** One wait for a database connection (kd_db_acquire), and whether a
 * connection came of it. */
void kd_metrics_db_acquire(apr_interval_time_t waited, int got);

/** The handler of SetHandler kdata-status (GET only). */
int kd_metrics_handler(request_rec *r);

#endif /* KD_METRICS_H */
