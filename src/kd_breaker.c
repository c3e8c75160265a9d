/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * A circuit breaker around new database connections, one per Apache
 * process and server (a virtual host with a pool of its own may be
 * another database, and has a breaker of its own).
 *
 * Why: mod_dbd connects inside apr_reslist_acquire, holding the pool's
 * lock, whenever no idle connection is left.  While the database is
 * down every request of a process therefore tries a connect of its own,
 * one after the other, each holding up all the others.  Under load that
 * is a storm of connects: log lines by the ten thousand, the ephemeral
 * port range swept, until one connect draws the database's own port,
 * connects to itself and waits for a greeting forever with the pool's
 * lock held.
 *
 *   closed     requests acquire as usual.
 *   open       a connect failed: for an interval (KD_BREAKER_FIRST,
 *              doubled after each failed probe up to KD_BREAKER_MAX)
 *              every request is answered 503 at once, without asking
 *              mod_dbd at all.
 *   half-open  the interval is over: the first request to notice (one,
 *              by compare-and-swap) is the probe and acquires.  The
 *              others wait for its outcome, KD_BREAKER_AWAIT at most,
 *              without a connect of their own.  A connection closes
 *              the breaker and they go on; a failure opens it again,
 *              for twice as long, and they get 503.
 * One log line per change of state.  Only transitions (and the waits
 * for a probe) take the lock; a request while closed costs two atomic
 * reads.
 *
 * Dead pooled connections are not a failed connect.  After the database
 * restarted, every idle connection in the pool is dead: mod_dbd pings
 * the one it hands out, destroys it when the ping fails and answers
 * NULL, and asking again takes the next one or connects.  To tell that
 * NULL from a failed connect, a cleanup on each connection's pool (set
 * by mod_dbd's post_connect hook) counts, per thread, the connections
 * destroyed, and the hook counts the ones made.  A NULL during which
 * this thread destroyed a connection and made none is asked again; any
 * other NULL is a connect that failed.  So a request makes at most one
 * connect attempt however many dead connections it throws away, and a
 * pool full of them after a restart costs no 503.
 */

#include "apu.h"
#include "apr_atomic.h"
#include "apr_optional_hooks.h"
#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"

#include "mod_kdata.h"
#include "kd_breaker.h"

/* The first interval after a failed connect: long enough that a burst
 * of requests costs the process one connect, short enough that it adds
 * little to a database restart (which takes seconds). */
#define KD_BREAKER_FIRST apr_time_from_msec(250)

/* The longest interval, reached after three failed probes: a database
 * that stays down costs each process one connect every 2 s (and one
 * log line pair), and one that comes back is used within 2 s.  Below
 * the Retry-After we send (KdataRetryAfter, 5 s by default), so a
 * client that obeys it finds the breaker already probing. */
#define KD_BREAKER_MAX apr_time_from_sec(2)

/* How long requests that come while a probe runs wait for its outcome:
 * a connect that works takes milliseconds (a database just restarted,
 * a few hundred), so a process that comes back from an outage answers
 * its first burst without 503s; one that takes longer is as good as
 * failed for them, and they get 503 rather than holding their worker
 * for the probe's connect timeout. */
#define KD_BREAKER_AWAIT apr_time_from_msec(250)

/* Dead pooled connections one request may throw away: more than a
 * process' pool holds in practice (DBDMax <= ThreadsPerChild).  Beyond
 * it the request counts as a failed connect, and the probes go on
 * emptying the pool. */
#define KD_BREAKER_DROPS_MAX 64

enum {
    KD_BRK_CLOSED = 0,
    KD_BRK_OPEN,
    KD_BRK_PROBING              /* half-open: one probe is acquiring */
};

struct kd_breaker {
    volatile apr_uint32_t state;
    volatile apr_uint64_t until;        /* open: no probe before (apr_time_t) */
    apr_interval_time_t wait;           /* the current interval (locked) */
    apr_time_t since;                   /* this outage's first failure */
    int probes;                         /* failed probes in this outage */
};

/* One lock for every server's breaker: it is only taken to change
 * state, a few times a second at most while a database is down, and by
 * the requests waiting for a probe (on kd_breaker_done, broadcast at
 * each change of state). */
#if APR_HAS_THREADS
static apr_thread_mutex_t *kd_breaker_mutex;
static apr_thread_cond_t *kd_breaker_done;
#endif

/* Connections made and destroyed by this thread, ever (see above).
 * Without thread-local storage (a build without threads, or a compiler
 * httpd knows none for) they are per process: exact with one thread;
 * with several, a request may take another's thrown-away connection for
 * its own and ask once more, still bounded by the connections there
 * are. */
#if APR_HAS_THREADS && AP_HAS_THREAD_LOCAL
#define KD_THREAD_LOCAL AP_THREAD_LOCAL
#else
#define KD_THREAD_LOCAL
#endif
static KD_THREAD_LOCAL unsigned int kd_conns_made;
static KD_THREAD_LOCAL unsigned int kd_conns_dropped;

static apr_status_t kd_breaker_conn_gone(void *data)
{
    kd_conns_dropped++;
    return APR_SUCCESS;
}

/* mod_dbd's post_connect hook: every new connection, of any server.  Its
 * pool is destroyed with the connection (a failed ping, expiry, the
 * child's exit). */
static apr_status_t kd_breaker_connected(apr_pool_t *p, dbd_cfg_t *cfg,
                                         ap_dbd_t *dbd)
{
    kd_conns_made++;
    apr_pool_cleanup_register(dbd->pool, NULL, kd_breaker_conn_gone,
                              apr_pool_cleanup_null);
    return OK;
}

void kd_breaker_register_hooks(void)
{
    APR_OPTIONAL_HOOK(dbd, post_connect, kd_breaker_connected, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

kd_breaker *kd_breaker_make(apr_pool_t *p)
{
    return apr_pcalloc(p, sizeof(kd_breaker));
}

void kd_breaker_child_init(apr_pool_t *p)
{
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&kd_breaker_mutex, APR_THREAD_MUTEX_DEFAULT,
                                p) != APR_SUCCESS
        || apr_thread_cond_create(&kd_breaker_done, p) != APR_SUCCESS) {
        kd_breaker_done = NULL;         /* no waiting: 503 at once */
    }
#endif
}

static void kd_breaker_lock(void)
{
#if APR_HAS_THREADS
    if (kd_breaker_mutex) {
        apr_thread_mutex_lock(kd_breaker_mutex);
    }
#endif
}

static void kd_breaker_unlock(void)
{
#if APR_HAS_THREADS
    if (kd_breaker_mutex) {
        apr_thread_mutex_unlock(kd_breaker_mutex);
    }
#endif
}

/* Under the lock: a change of state, for the requests waiting on a
 * probe (of any server: each looks at its own breaker again). */
static void kd_breaker_changed(void)
{
#if APR_HAS_THREADS
    if (kd_breaker_done) {
        apr_thread_cond_broadcast(kd_breaker_done);
    }
#endif
}

/* Half-open, and not the probe: wait for the probe's outcome, at most
 * KD_BREAKER_AWAIT.  1 when it closed the breaker. */
static int kd_breaker_await(kd_breaker *b)
{
    int closed = 0;
#if APR_HAS_THREADS
    apr_time_t end = apr_time_now() + KD_BREAKER_AWAIT;
    apr_interval_time_t left;

    if (!kd_breaker_done) {
        return 0;
    }
    kd_breaker_lock();
    while (apr_atomic_read32(&b->state) == KD_BRK_PROBING
           && (left = end - apr_time_now()) > 0) {
        apr_thread_cond_timedwait(kd_breaker_done, kd_breaker_mutex, left);
    }
    closed = apr_atomic_read32(&b->state) == KD_BRK_CLOSED;
    kd_breaker_unlock();
#endif
    return closed;
}

/* A connection was had: closed again, if it was not. */
static void kd_breaker_close(kd_breaker *b, request_rec *r)
{
    apr_time_t down;
    int probes;

    kd_breaker_lock();
    if (apr_atomic_read32(&b->state) == KD_BRK_CLOSED) {
        kd_breaker_unlock();
        return;
    }
    down = apr_time_now() - b->since;
    probes = b->probes;
    apr_atomic_set32(&b->state, KD_BRK_CLOSED);
    kd_breaker_changed();
    kd_breaker_unlock();
    /* Warning, not notice: the end of an outage belongs in a log kept
     * at the default level as much as its start. */
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, KDLOGNO(01204)
                  "database connection made: circuit closed after "
                  "%" APR_TIME_T_FMT " ms and %d failed probe(s)",
                  apr_time_as_msec(down), probes);
}

/* No connection: open, for the first interval after a request found
 * the breaker closed, or for twice the last one after a failed probe.
 * Nothing when another thread got there first. */
static void kd_breaker_trip(kd_breaker *b, request_rec *r, int probe)
{
    apr_time_t now = apr_time_now();
    apr_interval_time_t wait;
    int probes;

    kd_breaker_lock();
    if (apr_atomic_read32(&b->state)
        != (apr_uint32_t)(probe ? KD_BRK_PROBING : KD_BRK_CLOSED)) {
        kd_breaker_unlock();
        return;
    }
    if (probe) {
        b->wait = b->wait * 2 > KD_BREAKER_MAX ? KD_BREAKER_MAX
                                               : b->wait * 2;
        b->probes++;
    }
    else {
        b->wait = KD_BREAKER_FIRST;
        b->since = now;
        b->probes = 0;
    }
    wait = b->wait;
    probes = b->probes;
    /* until first: a thread that sees the state open reads it next. */
    apr_atomic_set64(&b->until, (apr_uint64_t)(now + wait));
    apr_atomic_set32(&b->state, KD_BRK_OPEN);
    kd_breaker_changed();
    kd_breaker_unlock();
    if (probe) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, KDLOGNO(01203)
                      "probe failed (%d so far): circuit open again, "
                      "requests answered 503 for %" APR_TIME_T_FMT " ms",
                      probes, apr_time_as_msec(wait));
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, KDLOGNO(01201)
                      "no database connection (see mod_dbd's message "
                      "above): circuit open, requests answered 503 "
                      "without a connect for %" APR_TIME_T_FMT " ms",
                      apr_time_as_msec(wait));
    }
}

ap_dbd_t *kd_breaker_acquire(kd_breaker *b, request_rec *r,
                             ap_dbd_t *(*acquire)(request_rec *),
                             int *asked)
{
    ap_dbd_t *dbd = NULL;
    unsigned int made, dropped;
    int probe = 0, n;

    if (b) {
        switch (apr_atomic_read32(&b->state)) {
        case KD_BRK_CLOSED:
            break;
        case KD_BRK_OPEN:
            if (apr_time_now() < (apr_time_t)apr_atomic_read64(&b->until)) {
                return NULL;
            }
            if (apr_atomic_cas32(&b->state, KD_BRK_PROBING, KD_BRK_OPEN)
                == KD_BRK_OPEN) {
                probe = 1;
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, KDLOGNO(01202)
                              "circuit half-open: this request probes the "
                              "database");
                break;
            }
            /* Another request became the probe just now. */
            /* fall through */
        default:
            /* Half-open: another request probes. */
            if (!kd_breaker_await(b)) {
                return NULL;
            }
            break;
        }
    }
    for (n = 0; n < KD_BREAKER_DROPS_MAX; n++) {
        made = kd_conns_made;
        dropped = kd_conns_dropped;
        dbd = acquire(r);
        *asked = 1;
        if (dbd || kd_conns_dropped == dropped || kd_conns_made != made) {
            break;
        }
        /* A dead pooled connection was thrown away: ask again, unless
         * another request's connect failed meanwhile (then this one is
         * answered 503 too, and the probes go on emptying the pool). */
        if (!probe && b
            && apr_atomic_read32(&b->state) != KD_BRK_CLOSED) {
            return NULL;
        }
    }
    if (!b) {
        return dbd;
    }
    if (!dbd) {
        kd_breaker_trip(b, r, probe);
    }
    else if (probe || apr_atomic_read32(&b->state) != KD_BRK_CLOSED) {
        kd_breaker_close(b, r);
    }
    return dbd;
}
