/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Login throttling, across every Apache process: failed logins are
 * counted per client address and per account in the shared cache, each
 * as a leaky bucket that drains at LIMIT per WINDOW, so a burst of LIMIT
 * failures blocks the next attempt and one more is allowed every
 * WINDOW/LIMIT seconds after that.
 *
 * The account is the one the lookup found (tblusers.id on WHMCS 8,
 * tblclients.id on WHMCS 7), never the email as typed: the lookup
 * compares under WHMCS's collation, which ignores letter case, accents
 * and trailing spaces, so every spelling that reaches an account must
 * share its bucket.  An email no account has is throttled under its
 * collation key (ep_login.c), in buckets apart from the accounts' (they
 * guard nothing: losing one lets nobody in): it is answered exactly as
 * an account would be, so the answers do not tell which emails have
 * accounts, and it never touches a real account's bucket.
 *
 * Only failures are counted, when they happen, so a correct password is
 * never refused because of other correct logins.  What keeps parallel
 * guesses from all passing the check before the first of them fails is
 * a set of slots per bucket: a password check holds a slot of each of
 * its buckets from admission to verdict, and a bucket lends only as many
 * slots as it can still take failures (at most KD_SLOTS).  So even if
 * every check in flight fails, the bucket ends at most full; a check
 * that finds no free slot waits for one (a check is one password hash)
 * instead of being refused.  Admission (levels and slots read, slots
 * taken) and verdict (failure counted, slots freed) are each one step
 * under the cache mutex.  Refusing an attempt when the slots are full
 * (as counting before the check and refunding after did) would turn
 * away correct logins that merely run together; counting only after
 * the verdict without slots would let any number of parallel guesses
 * through.
 */

#include "apr_strings.h"

#include "mod_kdata.h"
#include "kd_throttle.h"
#include "kd_cache.h"
#include "kd_reply.h"

typedef struct {
    apr_int64_t level;          /* failures x 1000 */
    apr_time_t at;              /* when level was last computed */
} kd_bucket;

/* A bucket's slots: when each check holding one was admitted, 0 when
 * free.  A holder that never gives its slot back (its process died)
 * loses it after KD_SLOT_STALE; a check waits KD_SLOT_WAIT at most for
 * a slot, looking every KD_SLOT_POLL. */
#define KD_SLOTS 16
#define KD_SLOT_STALE apr_time_from_sec(60)
#define KD_SLOT_WAIT apr_time_from_sec(10)
#define KD_SLOT_POLL apr_time_from_msec(10)

typedef struct {
    apr_time_t since[KD_SLOTS];
} kd_slots;

typedef struct kd_attempt kd_attempt;

/* An admitted password check: its buckets (0 the address, 1 the
 * account; NULL when that limit is off) and the stamp its slots carry. */
struct kd_attempt {
    const char *bucket[2];
    const char *slots[2];
    int limit[2];
    int window[2];
    int known;                  /* bucket[1] is a real account's */
    apr_time_t stamp;
};

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
    if (r->request_time <= b.at) {
        return b.level;         /* written by a request that came later */
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

/*
 * The failures of real accounts.  Nothing else reads or writes them, so
 * the store can move (to a table of the WHMCS database, where no flood
 * of the cache can reach it) by changing these two alone; for now they
 * are buckets in the shared cache, keyed "t:u:<id>" or "t:c:<id>".  A
 * store that is not under the cache mutex keeps admission sound if a
 * verdict adds its failure before it frees its slot (kd_throttle_settle
 * does) and admission reads the slots before the level.
 */
static apr_int64_t kd_account_level(request_rec *r, const char *key,
                                    int limit, int window)
{
    return kd_level(r, key, limit, window);
}

static void kd_account_fail(request_rec *r, const char *key, int limit,
                            int window)
{
    kd_add(r, key, limit, window, 1000);
}

static apr_int64_t kd_attempt_level(request_rec *r, const kd_attempt *a,
                                    int i)
{
    if (i == 1 && a->known) {
        return kd_account_level(r, a->bucket[i], a->limit[i], a->window[i]);
    }
    return kd_level(r, a->bucket[i], a->limit[i], a->window[i]);
}

static void kd_attempt_fail(request_rec *r, const kd_attempt *a, int i)
{
    if (i == 1 && a->known) {
        kd_account_fail(r, a->bucket[i], a->limit[i], a->window[i]);
    }
    else {
        kd_add(r, a->bucket[i], a->limit[i], a->window[i], 1000);
    }
}

/* A bucket's slots as stored, stale ones freed; returns how many are
 * held. */
static int kd_slots_read(request_rec *r, const char *key, kd_slots *s,
                         apr_time_t now)
{
    unsigned int len = sizeof(*s);
    int i, held = 0;

    if (kd_cache_get(r, key, (unsigned char *)s, &len) || len != sizeof(*s)) {
        memset(s, 0, sizeof(*s));
        return 0;
    }
    for (i = 0; i < KD_SLOTS; i++) {
        if (s->since[i] && s->since[i] + KD_SLOT_STALE < now) {
            s->since[i] = 0;
        }
        held += s->since[i] != 0;
    }
    return held;
}

static void kd_slots_write(request_rec *r, const char *key,
                           const kd_slots *s, int held, apr_time_t now)
{
    if (held) {
        kd_cache_put(r, key, now + KD_SLOT_STALE, s, sizeof(*s));
    }
    else {
        kd_cache_del(r, key);
    }
}

static int kd_throttled(kd_req *kr, const char *what, int wait,
                        const char *who)
{
    request_rec *r = kr->r;

    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, KDLOGNO(00506)
                  "login throttled from %s (%s), retry in %d s, for \"%s\"",
                  r->useragent_ip, what, wait, who);
    apr_table_setn(r->headers_out, "Retry-After", apr_itoa(r->pool, wait));
    return kd_error(kr, HTTP_TOO_MANY_REQUESTS, "message",
                    "Too many failed logins, try again later");
}

int kd_throttle_address(kd_req *kr, const char *who)
{
    const kd_srv_conf *c = kr->sconf;
    request_rec *r = kr->r;
    apr_int64_t level;
    int wait;

    if (c->limit_ip <= 0) {
        return KD_NEXT;
    }
    if (kd_cache_lock(r)) {
        return kd_internal(kr);
    }
    level = kd_level(r, apr_pstrcat(r->pool, "t:i:", r->useragent_ip, NULL),
                     c->limit_ip, c->limit_ip_window);
    kd_cache_unlock(r);
    wait = kd_wait(level, c->limit_ip, c->limit_ip_window);
    return wait ? kd_throttled(kr, "address", wait, who) : KD_NEXT;
}

int kd_throttle_admit(kd_req *kr, const char *account, int known,
                      const char *who)
{
    const kd_srv_conf *c = kr->sconf;
    request_rec *r = kr->r;
    kd_attempt *a = apr_pcalloc(r->pool, sizeof(*a));
    apr_time_t deadline = apr_time_now() + KD_SLOT_WAIT, now;
    kd_slots slots[2];
    int i, held[2], wait[2], room;

    if (c->limit_ip > 0) {
        a->bucket[0] = apr_pstrcat(r->pool, "t:i:", r->useragent_ip, NULL);
        a->limit[0] = c->limit_ip;
        a->window[0] = c->limit_ip_window;
    }
    if (c->limit_account > 0) {
        a->bucket[1] = apr_pstrcat(r->pool, "t:", account, NULL);
        a->limit[1] = c->limit_account;
        a->window[1] = c->limit_account_window;
    }
    for (i = 0; i < 2; i++) {
        if (a->bucket[i]) {
            a->slots[i] = apr_pstrcat(r->pool, "s:", a->bucket[i], NULL);
        }
    }
    a->known = known;

    for (;;) {
        now = apr_time_now();
        if (kd_cache_lock(r)) {
            return kd_internal(kr);
        }
        room = 1;
        for (i = 0; i < 2; i++) {
            apr_int64_t level;

            wait[i] = 0;
            if (!a->bucket[i]) {
                continue;
            }
            held[i] = kd_slots_read(r, a->slots[i], &slots[i], now);
            level = kd_attempt_level(r, a, i);
            wait[i] = kd_wait(level, a->limit[i], a->window[i]);
            /* The checks in flight may all fail: a slot is lent only
             * if the bucket could take one more failure on top. */
            if (held[i] >= KD_SLOTS
                || kd_wait(level + (apr_int64_t)held[i] * 1000,
                           a->limit[i], a->window[i])) {
                room = 0;
            }
        }
        if (!wait[0] && !wait[1] && room) {
            for (i = 0; i < 2; i++) {
                int s;

                if (!a->bucket[i]) {
                    continue;
                }
                for (s = 0; slots[i].since[s]; s++) {
                    ;           /* held[i] < KD_SLOTS: one is free */
                }
                slots[i].since[s] = now;
                kd_slots_write(r, a->slots[i], &slots[i], held[i] + 1, now);
            }
            a->stamp = now;
        }
        kd_cache_unlock(r);

        if (wait[0] || wait[1]) {
            return kd_throttled(kr, wait[0] >= wait[1] ? "address"
                                : known ? "account" : "unknown email",
                                wait[0] > wait[1] ? wait[0] : wait[1], who);
        }
        if (room) {
            kr->attempt = a;
            return KD_NEXT;
        }
        if (now >= deadline) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, KDLOGNO(00508)
                          "login from %s: no password check slot free "
                          "within %d s (too many checks in flight), for "
                          "\"%s\"", r->useragent_ip,
                          (int)apr_time_sec(KD_SLOT_WAIT), who);
            return kd_unavailable(kr);
        }
        apr_sleep(KD_SLOT_POLL);
    }
}

void kd_throttle_settle(kd_req *kr, int failed)
{
    kd_attempt *a = kr->attempt;
    request_rec *r = kr->r;
    apr_time_t now = apr_time_now();
    kd_slots slots;
    int i, s, held;

    kr->attempt = NULL;
    if (!a) {
        return;
    }
    if (kd_cache_lock(r)) {
        return;                 /* the slots free themselves, in time */
    }
    for (i = 0; i < 2; i++) {
        if (!a->bucket[i]) {
            continue;
        }
        /* The failure first, then the slot: see kd_account_level. */
        if (failed) {
            kd_attempt_fail(r, a, i);
        }
        held = kd_slots_read(r, a->slots[i], &slots, now);
        for (s = 0; s < KD_SLOTS; s++) {
            if (slots.since[s] == a->stamp) {
                slots.since[s] = 0;
                held--;
                break;
            }
        }
        if (s < KD_SLOTS) {
            kd_slots_write(r, a->slots[i], &slots, held, now);
        }
    }
    kd_cache_unlock(r);
}
