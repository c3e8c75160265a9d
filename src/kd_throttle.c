/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Login throttling: failed logins are counted per client address and
 * per account, each as a leaky bucket that drains at LIMIT per WINDOW,
 * so a burst of LIMIT failures blocks the next attempt and one more is
 * allowed every WINDOW/LIMIT seconds after that.
 *
 * The account is the one the lookup found (tblusers.id on WHMCS 8,
 * tblclients.id on WHMCS 7), never the email as typed: the lookup
 * compares under WHMCS's collation, which ignores letter case, accents
 * and trailing spaces, so every spelling that reaches an account must
 * share its bucket.  A real account's bucket lives in the WHMCS database
 * (mod_kdata_login_failures), where no flood of the cache can evict it
 * and every host counts the same failures.  The address buckets, and
 * those of emails no account has (throttled under the email's collation
 * key, so they are answered exactly as an account would be, and guard
 * nothing: losing one lets nobody in), stay in the shared cache, which
 * only failed logins write.
 *
 * Only failures are counted, when they happen, so a correct password is
 * never refused because of other correct logins.  What keeps parallel
 * guesses from all passing the check before the first of them fails is
 * a count of checks in flight per account (or unknown email): a
 * password check holds a slot of its bucket from admission to verdict,
 * and a bucket lends only as many slots as it can still take failures
 * (at most KD_SLOTS).
 * So even if every check in flight fails, the bucket ends at most full;
 * a check that finds no free slot waits for one (a check is one
 * password hash) instead of being refused.  Admission (level and slots
 * read, slot taken) and verdict (failure counted, slot freed) are each
 * one step: under the cache mutex for an unknown email's bucket, under
 * the account row's lock (or in one statement) for an account's, so on
 * any number of hosts.  (The address buckets lend no slots: see
 * kd_cache_admit.)  Refusing an attempt when the slots are full (as
 * counting before the check and refunding after did) would turn away
 * correct logins that merely run together; counting only after the
 * verdict without slots would let any number of parallel guesses
 * through.
 */

#include "apr_strings.h"

#include "mod_kdata.h"
#include "kd_throttle.h"
#include "kd_cache.h"
#include "kd_db.h"
#include "kd_metrics.h"
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
 * account; NULL when that limit is off), the account as the database
 * keys it when it is a real one, and the stamp its cache slots carry. */
struct kd_attempt {
    const char *bucket[2];
    const char *slots;          /* an unknown email's slots, in the cache */
    int limit[2];
    int window[2];
    int taken;                  /* holds a slot of bucket[1] */
    int slot;                   /* which, when an account's (holds row) */
    const char *account;        /* "u:<id>"/"c:<id>", NULL if unknown */
    apr_time_t stamp;
};

/* Expired account rows deleted per failed login: bounded work on the
 * path that adds them, no cron of ours. */
#define KD_FAIL_PURGE "8"

/* The account rows.  Login runs no other transaction and touches no
 * other row under lock, so this one joins no lock order.  An account's
 * checks in flight are rows of mod_kdata_login_holds, one per slot, each
 * with its own deadline: a holder that never frees its slot (its process
 * died, the database went away before the verdict) loses that slot
 * alone, after KD_SLOT_STALE, however often the account logs in
 * meanwhile.  Holds go with their account's row (ON DELETE CASCADE). */
const kd_stmt kd_stmts_throttle[] = {
    /* Outside the transaction (autocommit): an INSERT that meets the row
     * takes a lock on its key, and two of them under FOR UPDATE would
     * deadlock.  It also keeps the row past any check now starting, so
     * the purge cannot take it (and the failure it will count) away. */
    {"kd_throttle_row",
     "INSERT INTO mod_kdata_login_failures (account, level, at, expires) "
     "VALUES (%s, 0, 0, %d) "
     "ON DUPLICATE KEY UPDATE expires = GREATEST(expires, VALUES(expires))",
     KD_STMT_OWN},
    /* The holds are read by a subquery, which FOR UPDATE does not lock
     * (a consistent read, taken after the account row's lock, so it
     * sees every hold committed before): under REPEATABLE READ a
     * locking read of an account with no holds locks the gap where the
     * next account's holds go, and two such accounts then deadlocked on
     * their inserts (1213 at every few logins under load).  The row
     * lock alone orders an account's admissions.  "slot:until,...":
     * KD_SLOTS x at most 24 characters, within group_concat_max_len's
     * default 1024; LEFT() keeps it a VARCHAR (a narrow bind). */
    {"kd_throttle_lock",
     "SELECT f.level, f.at, " KD_STR("(SELECT GROUP_CONCAT(h.slot, ':', "
     "h.until) FROM mod_kdata_login_holds h "
     "WHERE h.account = f.account)", 512) " "
     "FROM mod_kdata_login_failures f "
     "WHERE f.account = %s FOR UPDATE", KD_STMT_OWN},
    {"kd_throttle_hold",
     "INSERT INTO mod_kdata_login_holds (account, slot, until) "
     "VALUES (%s, %d, CAST(%s AS SIGNED)) "
     "ON DUPLICATE KEY UPDATE until = VALUES(until)", KD_STMT_OWN},
    /* The failure counted: the level drained to now (limit per window,
     * the time capped, as kd_drain) plus one.  Assignments run left to
     * right, so the drain reads the old `at`.  The slot is freed after
     * it (kd_throttle_free). */
    {"kd_throttle_fail",
     "UPDATE mod_kdata_login_failures SET level = GREATEST(level - "
     "LEAST(GREATEST(CAST(%s AS SIGNED) - at, 0), "
     "%d * 1000 * (level DIV %d + 1)) * %d DIV (%d * 1000), 0) "
     "+ 1000, at = GREATEST(at, CAST(%s AS SIGNED)), "
     "expires = GREATEST(expires, %d) WHERE account = %s", KD_STMT_OWN},
    {"kd_throttle_free",
     "DELETE FROM mod_kdata_login_holds WHERE account = %s AND slot = %d",
     KD_STMT_OWN},
    {"kd_throttle_purge",
     "DELETE FROM mod_kdata_login_failures WHERE expires < %d "
     "LIMIT " KD_FAIL_PURGE, KD_STMT_OWN},
    {NULL, NULL, 0}
};

/* A level drained to now: LIMIT x 1000 per WINDOW seconds.  The time
 * counted is capped where the drain would empty the bucket anyway, so
 * the product stays far inside 64 bits (limit <= 100000, window <=
 * 86400, level <= (limit + KD_SLOTS) x 1000) even for a bucket last
 * written long ago, or never (a new account row has `at` 0). */
static apr_int64_t kd_drain(request_rec *r, apr_int64_t level, apr_time_t at,
                            int limit, int window)
{
    apr_int64_t span = (apr_int64_t)window * 1000;
    apr_int64_t elapsed, cap;

    if (r->request_time <= at) {
        return level;           /* written by a request that came later */
    }
    elapsed = r->request_time - at;
    cap = span * (level / limit + 1);
    if (elapsed >= cap) {
        return 0;
    }
    level -= elapsed * limit / span;
    return level > 0 ? level : 0;
}

/* A cache bucket drained to now; 0 when there is none. */
static apr_int64_t kd_level(request_rec *r, const char *key, int limit,
                            int window)
{
    kd_bucket b;
    unsigned int len = sizeof(b);

    if (kd_cache_get(r, key, (unsigned char *)&b, &len) || len != sizeof(b)) {
        return 0;
    }
    return kd_drain(r, b.level, b.at, limit, window);
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

/* A slot can be lent: the checks in flight (held, without this one)
 * may all fail, so only if the bucket could take one more on top. */
static int kd_room(apr_int64_t level, int held, int limit, int window)
{
    return held < KD_SLOTS
           && !kd_wait(level + (apr_int64_t)held * 1000, limit, window);
}

static void kd_add(request_rec *r, const char *key, int limit, int window)
{
    kd_bucket b;

    b.level = kd_level(r, key, limit, window) + 1000;
    b.at = r->request_time;
    kd_cache_put(r, key, r->request_time + apr_time_from_sec(window),
                 &b, sizeof(b));
}

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

static int kd_throttled(kd_req *kr, kd_why why, int wait, const char *who)
{
    request_rec *r = kr->r;
    const char *what = why == KD_WHY_ADDRESS   ? "address"
                       : why == KD_WHY_ACCOUNT ? "account"
                                               : "unknown email";

    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, KDLOGNO(00506)
                  "login throttled from %s (%s), retry in %d s, for \"%s\"",
                  r->useragent_ip, what, wait, who);
    apr_table_setn(r->headers_out, "Retry-After", apr_itoa(r->pool, wait));
    kd_metrics_why(kr, why);
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
    return wait ? kd_throttled(kr, KD_WHY_ADDRESS, wait, who) : KD_NEXT;
}

/* The attempt's buckets, from the configured limits. */
static kd_attempt *kd_attempt_new(kd_req *kr, const char *account,
                                  int known)
{
    const kd_srv_conf *c = kr->sconf;
    request_rec *r = kr->r;
    kd_attempt *a = apr_pcalloc(r->pool, sizeof(*a));

    if (c->limit_ip > 0) {
        a->bucket[0] = apr_pstrcat(r->pool, "t:i:", r->useragent_ip, NULL);
        a->limit[0] = c->limit_ip;
        a->window[0] = c->limit_ip_window;
    }
    if (c->limit_account > 0) {
        a->bucket[1] = apr_pstrcat(r->pool, "t:", account, NULL);
        a->limit[1] = c->limit_account;
        a->window[1] = c->limit_account_window;
        a->account = known ? account : NULL;
    }
    if (a->bucket[1] && !a->account) {
        a->slots = apr_pstrcat(r->pool, "s:", a->bucket[1], NULL);
    }
    return a;
}

/* The bucket that holds slots in the cache: an unknown email's. */
static int kd_cache_slots(const kd_attempt *a)
{
    return a->bucket[1] && !a->account;
}

/*
 * One step under the cache mutex, for the cache's buckets: their levels
 * are read (wait[i]: the wait bucket i asks for) and, if the attempt's
 * unknown-email bucket can lend one, a slot taken (*room 0 when it
 * cannot).  0, or -1 when the cache is broken.  The address bucket
 * lends no slots: every login writes it otherwise, and the cache is
 * written only by failed logins, so that no one's ordinary traffic can
 * evict a bucket; parallel guesses from one address can pass its limit
 * by those in flight, each still held to its account's exact limit.
 */
static int kd_cache_admit(request_rec *r, kd_attempt *a, int *wait,
                          int *room)
{
    apr_time_t now = apr_time_now();
    apr_int64_t level;
    kd_slots slots;
    int s, held;

    if (kd_cache_lock(r)) {
        return -1;
    }
    a->stamp = now;
    if (a->bucket[0]) {
        level = kd_level(r, a->bucket[0], a->limit[0], a->window[0]);
        wait[0] = kd_wait(level, a->limit[0], a->window[0]);
    }
    if (!wait[0] && kd_cache_slots(a)) {
        held = kd_slots_read(r, a->slots, &slots, now);
        level = kd_level(r, a->bucket[1], a->limit[1], a->window[1]);
        wait[1] = kd_wait(level, a->limit[1], a->window[1]);
        if (wait[1] || !kd_room(level, held, a->limit[1], a->window[1])) {
            *room = 0;
        }
        else {
            for (s = 0; slots.since[s]; s++) {
                ;               /* held < KD_SLOTS: one is free */
            }
            slots.since[s] = now;
            kd_slots_write(r, a->slots, &slots, held + 1, now);
            a->taken = 1;
        }
    }
    kd_cache_unlock(r);
    return 0;
}

/* Under the cache mutex: give back the cache slot the attempt holds. */
static void kd_cache_free(request_rec *r, kd_attempt *a)
{
    apr_time_t now = apr_time_now();
    kd_slots slots;
    int s, held;

    if (!kd_cache_slots(a) || !a->taken) {
        return;
    }
    a->taken = 0;
    held = kd_slots_read(r, a->slots, &slots, now);
    for (s = 0; s < KD_SLOTS; s++) {
        if (slots.since[s] == a->stamp) {
            slots.since[s] = 0;
            kd_slots_write(r, a->slots, &slots, held - 1, now);
            break;
        }
    }
}

/* The live holds of "slot:until,slot:until,..." (NULL: none) marked in
 * used[]; their number.  A hold past its deadline is one a dead check
 * left: its slot is free again. */
static int kd_holds_parse(const char *s, apr_time_t now, char *used)
{
    char *end;
    long slot;
    apr_int64_t until;
    int held = 0;

    while (s && *s) {
        slot = strtol(s, &end, 10);
        if (*end != ':') {
            break;
        }
        until = apr_strtoi64(end + 1, &end, 10);
        if (slot >= 0 && slot < KD_SLOTS && until >= now && !used[slot]) {
            used[slot] = 1;
            held++;
        }
        s = *end == ',' ? end + 1 : NULL;
    }
    return held;
}

/* The account row's level, its checks in flight (live holds) and a
 * slot none holds (-1 when all are), read under the row's lock. */
static int kd_account_read(kd_req *kr, const kd_attempt *a,
                           apr_int64_t *level, int *held, int *slot)
{
    char used[KD_SLOTS] = {0};
    apr_time_t now = apr_time_now();
    const char *args[2];
    kd_rows *rows;
    int rc;

    args[0] = a->account;
    args[1] = apr_ltoa(kr->r->pool, (long)apr_time_sec(kr->r->request_time)
                                    + a->window[1]
                                    + (long)apr_time_sec(KD_SLOT_STALE));
    if ((rc = kd_db_exec(kr, "kd_throttle_row", NULL, 2, args)) != KD_NEXT
        || (rc = kd_db_begin(kr)) != KD_NEXT
        || (rc = kd_db_select(kr, "kd_throttle_lock", &rows, 1, args))
           != KD_NEXT) {
        return rc;
    }
    *level = 0;
    *held = 0;
    if (kd_rows_count(rows) > 0) {
        *level = kd_drain(kr->r, apr_atoi64(kd_rows_get(rows, 0, 0)),
                          (apr_time_t)apr_atoi64(kd_rows_get(rows, 0, 1)),
                          a->limit[1], a->window[1]);
        *held = kd_holds_parse(kd_rows_get(rows, 0, 2), now, used);
    }
    for (*slot = 0; *slot < KD_SLOTS && used[*slot]; (*slot)++) {
        ;
    }
    if (*slot == KD_SLOTS) {
        *slot = -1;
    }
    return KD_NEXT;
}

/* One transaction on the account's row: its level read and, when it
 * can lend one, a slot taken.  KD_NEXT, or a reply (503) sent. */
static int kd_account_admit(kd_req *kr, kd_attempt *a, int *wait,
                            int *room)
{
    request_rec *r = kr->r;
    apr_int64_t level;
    const char *args[3];
    int rc, held, slot;

    if ((rc = kd_account_read(kr, a, &level, &held, &slot)) != KD_NEXT) {
        return rc;
    }
    *wait = kd_wait(level, a->limit[1], a->window[1]);
    if (!*wait && slot >= 0
        && kd_room(level, held, a->limit[1], a->window[1])) {
        args[0] = a->account;
        args[1] = apr_itoa(r->pool, slot);
        args[2] = apr_psprintf(r->pool, "%" APR_TIME_T_FMT,
                               apr_time_now() + KD_SLOT_STALE);
        if ((rc = kd_db_exec(kr, "kd_throttle_hold", NULL, 3, args))
            != KD_NEXT) {
            return rc;
        }
        a->taken = 1;
        a->slot = slot;
    }
    else {
        *room = 0;
    }
    if ((rc = kd_db_commit(kr)) != KD_NEXT) {
        a->taken = 0;
    }
    return rc;
}

/* kd_admit_once: every slot is held by checks in flight. */
#define KD_ADMIT_WAIT (-101)

/* Levels read, slots taken: KD_NEXT when admitted, KD_ADMIT_WAIT, or a
 * reply (429, 503) sent. */
static int kd_admit_once(kd_req *kr, kd_attempt *a, const char *who)
{
    int rc, wait[2] = {0, 0}, room = 1;

    if (kd_cache_admit(kr->r, a, wait, &room)) {
        return kd_internal(kr);
    }
    if (a->account && !wait[0]
        && (rc = kd_account_admit(kr, a, &wait[1], &room)) != KD_NEXT) {
        kd_throttle_settle(kr, 0);
        return rc;
    }
    if (!wait[0] && !wait[1] && room) {
        return KD_NEXT;
    }
    kd_throttle_settle(kr, 0);
    if (wait[0] || wait[1]) {
        return kd_throttled(kr, wait[0] >= wait[1] ? KD_WHY_ADDRESS
                                : a->account ? KD_WHY_ACCOUNT : KD_WHY_EMAIL,
                            wait[0] > wait[1] ? wait[0] : wait[1], who);
    }
    return KD_ADMIT_WAIT;
}

int kd_throttle_admit(kd_req *kr, const char *account, int known,
                      const char *who)
{
    request_rec *r = kr->r;
    kd_attempt *a = kd_attempt_new(kr, account, known);
    apr_time_t deadline = apr_time_now() + KD_SLOT_WAIT;
    int rc;

    for (;;) {
        kr->attempt = a;
        if ((rc = kd_admit_once(kr, a, who)) != KD_ADMIT_WAIT) {
            return rc;
        }
        if (apr_time_now() >= deadline) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, KDLOGNO(00508)
                          "login from %s: no password check slot free "
                          "within %d s (too many checks in flight), for "
                          "\"%s\"", r->useragent_ip,
                          (int)apr_time_sec(KD_SLOT_WAIT), who);
            kd_metrics_why(kr, KD_WHY_LOGIN_BUSY);
            return kd_unavailable(kr);
        }
        apr_sleep(KD_SLOT_POLL);
    }
}

/* The account's verdict: the failure counted (with a bounded purge of
 * expired rows), the slot freed.  0, or the driver's error (logged). */
static int kd_account_settle(kd_req *kr, const kd_attempt *a, int failed)
{
    request_rec *r = kr->r;
    apr_int64_t now = apr_time_sec(r->request_time);
    const char *at, *args[8];
    int rv = 0, freed;

    if (failed) {
        at = apr_psprintf(r->pool, "%" APR_TIME_T_FMT, r->request_time);
        args[0] = at;
        args[1] = apr_itoa(r->pool, a->window[1]);
        args[2] = apr_itoa(r->pool, a->limit[1]);
        args[3] = args[2];
        args[4] = args[1];
        args[5] = at;
        args[6] = apr_ltoa(r->pool, (long)(now + a->window[1]));
        args[7] = a->account;
        rv = kd_db_run(kr, "kd_throttle_fail", 8, args);
    }
    args[0] = a->account;
    args[1] = apr_itoa(r->pool, a->slot);
    freed = kd_db_run(kr, "kd_throttle_free", 2, args);
    rv = rv ? rv : freed;
    if (failed) {
        args[0] = apr_ltoa(r->pool, (long)now);
        kd_db_run(kr, "kd_throttle_purge", 1, args);
    }
    return rv;
}

int kd_throttle_settle(kd_req *kr, int failed)
{
    kd_attempt *a = kr->attempt;
    request_rec *r = kr->r;
    int i, rv = 0;

    kr->attempt = NULL;
    if (!a) {
        return 0;
    }
    if (a->account && a->taken) {
        a->taken = 0;
        rv = kd_account_settle(kr, a, failed);
        if (rv) {
            /* The 503 the login answers for it is the database's. */
            kd_metrics_why(kr, KD_WHY_DB_ERROR);
        }
    }
    if (kd_cache_lock(r)) {
        return rv;              /* the slots free themselves, in time */
    }
    for (i = 0; i < 2 && failed; i++) {
        if (a->bucket[i] && (i == 0 || !a->account)) {
            kd_add(r, a->bucket[i], a->limit[i], a->window[i]);
        }
    }
    kd_cache_free(r, a);
    kd_cache_unlock(r);
    return rv;
}
