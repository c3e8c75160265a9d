/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Operational counters for the whole host, served in Prometheus' text
 * exposition format (version 0.0.4) by SetHandler kdata-status.
 *
 * One fixed table of counters in an anonymous shared memory segment,
 * made by the parent at post_config and inherited by every child, so a
 * scrape sees the requests of every process without asking them.  The
 * request path only ever adds, with the compiler's atomic add: no lock,
 * no system call.  A scrape reads each counter with an atomic load; one
 * taken while requests run may see a request in one counter and not yet
 * in the next, never a torn value.  The table: each route of the router
 * and "unknown" (no route matched), each by the status codes of
 * kd_codes and "other", with a latency histogram and a count of replayed
 * answers; then the host's own (503s by cause, throttled logins by
 * reason, the waits for a database connection).  Durations are whole
 * microseconds and are written as seconds by integer arithmetic: no
 * floating point is shared, summed or rounded.
 *
 * Every answer is counted once, where it leaves (kd_reply_raw calls
 * kd_metrics_answer), with its route and the time since the handler
 * began; what a 503 or 429 was for is noted before it by the code that
 * decides it (kd_metrics_why).  Refusals httpd makes itself (a 403 from
 * a Require, a 400 for a malformed request line, a body over
 * LimitRequestBody) are counted when an ErrorDocument sends them into
 * the API to be answered (under the route the refused request was for,
 * or "unknown"), and not otherwise; scrapes never are.
 *
 * The segment belongs to the process pool, not to the configuration:
 * a restart (graceful or not) finds it again and the counters go on, as
 * a Prometheus counter should; only a build with another layout (other
 * routes, codes or buckets) starts a new table from zero, which
 * kdata_metrics_start_time_seconds shows.  Stopping Apache loses them.
 */

#include "apr_shm.h"
#include "apr_strings.h"
#include "http_protocol.h"

#include "mod_kdata.h"
#include "kd_hash.h"
#include "kd_metrics.h"

/* A counter: 64 bits where the compiler adds 64-bit values atomically
 * without a lock.  A lock-based fallback (libatomic's, or APR's
 * apr_atomic_add64 on such platforms) locks within one process and
 * would not guard memory that several share, so elsewhere (some 32-bit
 * ABIs) a counter is the machine's word, and wraps sooner. */
#if defined(__GCC_ATOMIC_LLONG_LOCK_FREE) && __GCC_ATOMIC_LLONG_LOCK_FREE == 2
typedef unsigned long long kd_ctr;
#else
typedef unsigned long kd_ctr;
#endif

static void kd_add(kd_ctr *c, kd_ctr n)
{
    __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static apr_uint64_t kd_get(kd_ctr *c)
{
    return (apr_uint64_t)__atomic_load_n(c, __ATOMIC_RELAXED);
}

/* The status codes counted apart; any other is "other". */
static const int kd_codes[] = {
    200, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 500, 503
};
#define KD_NCODES (sizeof(kd_codes) / sizeof(kd_codes[0]))

/* The histograms' upper bounds (le), from 1 ms to 10 s, each as the
 * microseconds compared and the text written. */
static const struct {
    apr_interval_time_t us;
    const char *le;
} kd_bounds[] = {
    {1000, "0.001"}, {5000, "0.005"}, {10000, "0.01"}, {25000, "0.025"},
    {50000, "0.05"}, {100000, "0.1"}, {250000, "0.25"}, {500000, "0.5"},
    {1000000, "1"}, {2500000, "2.5"}, {5000000, "5"}, {10000000, "10"}
};
#define KD_NBOUNDS (sizeof(kd_bounds) / sizeof(kd_bounds[0]))

/* Each label of kd_why; KD_WHY_NONE is "other". */
static const char *const kd_why_label[KD_WHY_COUNT] = {
    "other", "no_connection", "circuit_open", "missing_table",
    "database_error", "engine", "login_busy", "address", "account", "email"
};

typedef struct {
    kd_ctr bucket[KD_NBOUNDS + 1]; /* each range alone; last: above all */
    kd_ctr sum_us;
} kd_hist;

typedef struct {
    kd_ctr status[KD_NCODES + 1];  /* by kd_codes, then "other" */
    kd_ctr replays;
    kd_hist latency;
} kd_route_ctrs;

typedef struct {
    apr_uint64_t magic;
    apr_uint64_t layout;           /* kd_layout() of the build that made it */
    apr_uint64_t since;            /* made at (seconds since the epoch) */
    kd_ctr unavailable[KD_WHY_COUNT];
    kd_ctr throttled[KD_WHY_COUNT];
    kd_ctr db_failed;
    kd_hist db_wait;
    kd_route_ctrs route[1];        /* nroutes + 1: "unknown" last */
} kd_table;

#define KD_METRICS_MAGIC 0x6b646174614d7472ULL /* "kdataMtr" */
#define KD_METRICS_KEY "mod_kdata:metrics"

/* This process' view: set in the parent, inherited by the children. */
static kd_table *kd_tab;
static const char **kd_route_label;  /* nroutes + 1 */
static int kd_nroutes;

/* Everything the table's layout depends on, hashed: a table made by a
 * build that differs in any of it is not reused. */
static apr_uint64_t kd_layout(apr_pool_t *p)
{
    const char *s = apr_psprintf(p, "1 %" APR_SIZE_T_FMT " %"
                                 APR_SIZE_T_FMT " %d",
                                 sizeof(kd_table), sizeof(kd_route_ctrs),
                                 (int)KD_WHY_COUNT);
    apr_size_t i;
    int j;

    for (i = 0; i < KD_NCODES; i++) {
        s = apr_psprintf(p, "%s %d", s, kd_codes[i]);
    }
    for (i = 0; i < KD_NBOUNDS; i++) {
        s = apr_pstrcat(p, s, " ", kd_bounds[i].le, NULL);
    }
    for (j = 0; j <= kd_nroutes; j++) {
        s = apr_pstrcat(p, s, " ", kd_route_label[j], NULL);
    }
    return kd_fnv1a(s, strlen(s));
}

/* A route's label: the last segment of its path. */
static void kd_labels(apr_pool_t *p, const char *const *routes, int n)
{
    const char *slash;
    int i;

    kd_nroutes = n;
    kd_route_label = apr_palloc(p, (apr_size_t)(n + 1) * sizeof(char *));
    for (i = 0; i < n; i++) {
        slash = strrchr(routes[i], '/');
        kd_route_label[i] = slash ? slash + 1 : routes[i];
    }
    kd_route_label[n] = "unknown";
}

/* The table the last generation made, if this build lays it out alike;
 * else NULL, and a table of another layout is let go (the children of
 * that generation keep their own mapping of it until they exit). */
static kd_table *kd_table_kept(apr_pool_t *pp, apr_size_t size,
                               apr_uint64_t layout)
{
    void *data = NULL;
    apr_shm_t *shm;
    kd_table *t;

    apr_pool_userdata_get(&data, KD_METRICS_KEY, pp);
    if (!(shm = data)) {
        return NULL;
    }
    t = apr_shm_baseaddr_get(shm);
    if (apr_shm_size_get(shm) == size && t->magic == KD_METRICS_MAGIC
        && t->layout == layout) {
        return t;
    }
    apr_pool_userdata_set(NULL, KD_METRICS_KEY, NULL, pp);
    apr_shm_destroy(shm);
    return NULL;
}

int kd_metrics_post_config(apr_pool_t *pconf, server_rec *s,
                           const char *const *routes, int nroutes)
{
    apr_pool_t *pp = s->process->pool;
    apr_size_t size;
    apr_uint64_t layout;
    apr_shm_t *shm;
    apr_status_t rv;

    kd_labels(pconf, routes, nroutes);
    layout = kd_layout(pconf);
    size = APR_OFFSETOF(kd_table, route)
           + (apr_size_t)(nroutes + 1) * sizeof(kd_route_ctrs);
    if ((kd_tab = kd_table_kept(pp, size, layout)) != NULL) {
        return OK;
    }
    /* Anonymous: nothing on disk to clean up or to collide with another
     * Apache; fork hands it to the children. */
    rv = apr_shm_create(&shm, size, NULL, pp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, KDLOGNO(01501)
                     "cannot create the counters' shared memory (%"
                     APR_SIZE_T_FMT " bytes)", size);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    kd_tab = apr_shm_baseaddr_get(shm);
    memset(kd_tab, 0, size);
    kd_tab->magic = KD_METRICS_MAGIC;
    kd_tab->layout = layout;
    kd_tab->since = (apr_uint64_t)apr_time_sec(apr_time_now());
    /* The key is copied into the process pool (this module's text is
     * unloaded at restart); no cleanup of ours: apr_shm has its own. */
    apr_pool_userdata_set(shm, KD_METRICS_KEY, NULL, pp);
    return OK;
}

/**** counting ****/

void kd_metrics_begin(kd_req *kr)
{
    kr->metrics.start = apr_time_now();
    kr->metrics.route = kd_nroutes;
}

void kd_metrics_route(kd_req *kr, int route)
{
    if (route >= 0 && route < kd_nroutes) {
        kr->metrics.route = route;
    }
}

static void kd_observe(kd_hist *h, apr_interval_time_t us)
{
    apr_size_t i;

    if (us < 0) {
        us = 0;                 /* the clock was set back meanwhile */
    }
    for (i = 0; i < KD_NBOUNDS && us > kd_bounds[i].us; i++) {
    }
    kd_add(&h->bucket[i], 1);
    kd_add(&h->sum_us, (kd_ctr)us);
}

static apr_size_t kd_status_index(int status)
{
    apr_size_t i;

    for (i = 0; i < KD_NCODES && kd_codes[i] != status; i++) {
    }
    return i;
}

void kd_metrics_answer(kd_req *kr, int status)
{
    kd_route_ctrs *c;
    int why = kr->metrics.why;

    if (kr->metrics.counted || !kd_tab) {
        return;
    }
    kr->metrics.counted = 1;
    c = &kd_tab->route[kr->metrics.route];
    kd_add(&c->status[kd_status_index(status)], 1);
    kd_observe(&c->latency, apr_time_now() - kr->metrics.start);
    if (kr->metrics.replayed) {
        kd_add(&c->replays, 1);
    }
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        kd_add(&kd_tab->unavailable[why <= KD_WHY_LAST_503 ? why : 0], 1);
    }
    /* Only the login throttle notes these reasons (an order limit's
     * 429 is in kdata_requests_total alone). */
    else if (status == HTTP_TOO_MANY_REQUESTS && why > KD_WHY_LAST_503
             && why < KD_WHY_COUNT) {
        kd_add(&kd_tab->throttled[why], 1);
    }
}

void kd_metrics_done(kd_req *kr, int rc)
{
    /* Any other code is httpd's to answer (ap_die): its answer is
     * counted when an ErrorDocument sends it into the API. */
    if (kr->metrics.counted || (rc != OK && rc != DONE)) {
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, kr->r, KDLOGNO(01502)
                  "an answer (%d) that did not leave through kd_reply",
                  kr->r->status);
    kd_metrics_answer(kr, kr->r->status);
}

void kd_metrics_db_acquire(apr_interval_time_t waited, int got)
{
    if (!kd_tab) {
        return;
    }
    kd_observe(&kd_tab->db_wait, waited);
    if (!got) {
        kd_add(&kd_tab->db_failed, 1);
    }
}

/**** the exposition ****/

static void kd_head(request_rec *r, const char *name, const char *type,
                    const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Microseconds as seconds, exactly: "12.000345". */
static void kd_put_seconds(request_rec *r, apr_uint64_t us)
{
    ap_rprintf(r, "%" APR_UINT64_T_FMT ".%06" APR_UINT64_T_FMT "\n",
               us / 1000000, us % 1000000);
}

/* One histogram's series; label is "" or 'name="value"'. */
static void kd_put_hist(request_rec *r, const char *name, const char *label,
                        kd_hist *h)
{
    const char *sep = *label ? "," : "";
    apr_uint64_t n = 0;
    apr_size_t i;

    for (i = 0; i <= KD_NBOUNDS; i++) {
        n += kd_get(&h->bucket[i]);
        ap_rprintf(r, "%s_bucket{%s%sle=\"%s\"} %" APR_UINT64_T_FMT "\n",
                   name, label, sep,
                   i < KD_NBOUNDS ? kd_bounds[i].le : "+Inf", n);
    }
    ap_rprintf(r, *label ? "%s_sum{%s} " : "%s_sum%s ", name, label);
    kd_put_seconds(r, kd_get(&h->sum_us));
    ap_rprintf(r, *label ? "%s_count{%s} %" APR_UINT64_T_FMT "\n"
                         : "%s_count%s %" APR_UINT64_T_FMT "\n",
               name, label, n);
}

static void kd_put_routes(request_rec *r)
{
    const char *label;
    apr_size_t i;
    int j;

    kd_head(r, "kdata_requests_total", "counter",
            "Answers mod_kdata gave, by route and HTTP status.");
    for (j = 0; j <= kd_nroutes; j++) {
        for (i = 0; i <= KD_NCODES; i++) {
            ap_rprintf(r, "kdata_requests_total{route=\"%s\",status=\"%s\"} "
                       "%" APR_UINT64_T_FMT "\n", kd_route_label[j],
                       i < KD_NCODES ? apr_itoa(r->pool, kd_codes[i])
                                     : "other",
                       kd_get(&kd_tab->route[j].status[i]));
        }
    }
    kd_head(r, "kdata_request_duration_seconds", "histogram",
            "Time from the handler's start to the answer, by route.");
    for (j = 0; j <= kd_nroutes; j++) {
        label = apr_psprintf(r->pool, "route=\"%s\"", kd_route_label[j]);
        kd_put_hist(r, "kdata_request_duration_seconds", label,
                    &kd_tab->route[j].latency);
    }
    kd_head(r, "kdata_idempotent_replays_total", "counter",
            "Stored answers replayed for a repeated Idempotency-Key.");
    for (j = 0; j <= kd_nroutes; j++) {
        ap_rprintf(r, "kdata_idempotent_replays_total{route=\"%s\"} "
                   "%" APR_UINT64_T_FMT "\n", kd_route_label[j],
                   kd_get(&kd_tab->route[j].replays));
    }
}

static void kd_put_host(request_rec *r)
{
    int w;

    kd_head(r, "kdata_unavailable_total", "counter",
            "Answers 503, by cause.");
    for (w = 0; w <= KD_WHY_LAST_503; w++) {
        ap_rprintf(r, "kdata_unavailable_total{cause=\"%s\"} "
                   "%" APR_UINT64_T_FMT "\n", kd_why_label[w],
                   kd_get(&kd_tab->unavailable[w]));
    }
    kd_head(r, "kdata_login_throttled_total", "counter",
            "Logins refused 429 by the failed-login limits, by reason.");
    for (w = KD_WHY_LAST_503 + 1; w < KD_WHY_COUNT; w++) {
        ap_rprintf(r, "kdata_login_throttled_total{reason=\"%s\"} "
                   "%" APR_UINT64_T_FMT "\n", kd_why_label[w],
                   kd_get(&kd_tab->throttled[w]));
    }
    kd_head(r, "kdata_db_acquire_duration_seconds", "histogram",
            "Time requests waited for a database connection (mod_dbd's "
            "pool, a connect, the circuit breaker).");
    kd_put_hist(r, "kdata_db_acquire_duration_seconds", "",
                &kd_tab->db_wait);
    kd_head(r, "kdata_db_acquire_failures_total", "counter",
            "Waits for a database connection that got none.");
    ap_rprintf(r, "kdata_db_acquire_failures_total %" APR_UINT64_T_FMT "\n",
               kd_get(&kd_tab->db_failed));
    kd_head(r, "kdata_metrics_start_time_seconds", "gauge",
            "When these counters started (seconds since the epoch).");
    ap_rprintf(r, "kdata_metrics_start_time_seconds %" APR_UINT64_T_FMT "\n",
               kd_tab->since);
}

/* A short plain-text answer of our own instead of httpd's HTML page. */
static int kd_status_text(request_rec *r, int status, const char *text)
{
    r->status = status;
    ap_set_content_type(r, "text/plain; charset=utf-8");
    ap_set_content_length(r, (apr_off_t)strlen(text));
    if (!r->header_only) {
        ap_rputs(text, r);
    }
    return OK;
}

int kd_metrics_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "kdata-status")) {
        return DECLINED;
    }
    if (ap_discard_request_body(r) != OK) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET || r->header_only) {
        apr_table_setn(r->headers_out, "Allow", "GET");
        return kd_status_text(r, HTTP_METHOD_NOT_ALLOWED,
                              "Method not allowed: use GET\n");
    }
    if (!kd_tab) {
        return kd_status_text(r, HTTP_INTERNAL_SERVER_ERROR,
                              "No counters (see the error log)\n");
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    kd_put_routes(r);
    kd_put_host(r);
    return OK;
}
