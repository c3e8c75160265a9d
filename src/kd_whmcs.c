/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * What one Apache process knows about one server's WHMCS, learnt from
 * its database and trusted for KdataSchemaRecheck seconds: which
 * generation it is (WHMCS 8 keeps credentials in tblusers, 7 in
 * tblclients), whether every table a write uses can roll back, and the
 * catalogue that reads show.  An upgrade from WHMCS 7 to 8, a table
 * converted to another engine or an option renamed is noticed within
 * the period without restarting Apache.  kd_db.c is only the access to
 * the database; this is what the module concludes from it.
 *
 * The catalogue (configurable options and their choices, from
 * tblproductconfigoptions and tblproductconfigoptionssub, and which
 * payment gateways take cards, from tblpaymentgateways) is a
 * per-process snapshot, for reads.  getproduct joined the option tables
 * for every call, more than a third of what MariaDB spent on it, and
 * getinvoice's gateway subquery was as much again; the catalogue is
 * what an admin edits, rarely, and services and invoices name it.  An
 * id a snapshot lacks (an option or gateway added since) loads a new
 * one at once, at most once a second.  Orders never use it: what they
 * charge is read in their own transaction.
 *
 * Snapshots are counted: a request holds the one it started with until
 * its pool is cleared, so a refresh never frees one in use.
 */

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "mod_kdata.h"
#include "kd_whmcs.h"
#include "kd_db.h"
#include "kd_metrics.h"
#include "kd_reply.h"

/* One server's state in one process (kr->sconf->whmcs). */
struct kd_whmcs {
    volatile apr_uint32_t schema;   /* kd_schema; 0 until checked */
    volatile apr_uint32_t checked;  /* when, in seconds */
    volatile apr_uint32_t no_txn;   /* a written table cannot roll back */
    kd_catalog *catalog;            /* current snapshot (kd_catalog_lock) */
};

/* The tables written inside a transaction (orders, payments,
 * cancellations).  On an engine without transactions (MyISAM, Aria,
 * MEMORY: old WHMCS installs created MyISAM tables) a rollback leaves
 * their rows written and FOR UPDATE locks nothing, so a failed order or
 * payment would be half applied: kd_whmcs_begin_write refuses writes
 * while any of them is on such an engine.  tblconfiguration holds the
 * next sequential invoice number, taken under a row lock.
 *
 * Left out on purpose: tblactivitylog (WHMCS's log, written in the same
 * transactions, is not money; a line left by a rolled-back order is
 * noise, and refusing every order over it would be worse), tblaccounts
 * (only read here), and tblusers/tblclients' login columns (written
 * outside any transaction). */
#define KD_TXN_TABLES \
    "'tblcancelrequests', 'tblclients', 'tblconfiguration', 'tblcredit', " \
    "'tblcustomfieldsvalues', 'tblhosting', 'tblhostingconfigoptions', " \
    "'tblinvoiceitems', 'tblinvoices', 'tblorders'"

/* kd_catalog's columns: kind ('o' option, 's' sub-option, 'g'
 * gateway), id, name, then optiontype, order and hidden (options),
 * configid (sub-options) or the gateway's type (CC, Invoices, ...) as
 * type. */
const kd_stmt kd_stmts_whmcs[] = {
    /* tblusers tells WHMCS 8 from 7; the others are the tables written
     * inside transactions, each with whether its engine can roll back
     * (a view has no engine and counts as able). */
    {"kd_schema",
     "SELECT t.TABLE_NAME, t.ENGINE, COALESCE(e.TRANSACTIONS, 'YES') "
     "FROM information_schema.TABLES t LEFT JOIN information_schema.ENGINES "
     "e ON e.ENGINE = t.ENGINE WHERE t.TABLE_SCHEMA = DATABASE() "
     "AND t.TABLE_NAME IN ('tblusers', " KD_TXN_TABLES ") "
     "ORDER BY t.TABLE_NAME", 0},
    {"kd_catalog",
     "SELECT 'o', id, " KD_TXT("optionname", 255) ", "
     KD_TXT("optiontype", 32) ", `order`, hidden "
     "FROM tblproductconfigoptions UNION ALL "
     "SELECT 's', id, " KD_TXT("optionname", 255) ", NULL, NULL, configid "
     "FROM tblproductconfigoptionssub UNION ALL "
     "SELECT 'g', NULL, " KD_TXT("gateway", 255) ", " KD_TXT("value", 32)
     ", NULL, NULL FROM tblpaymentgateways WHERE setting = 'type'", 0},
    {NULL, NULL, 0}
};

kd_whmcs *kd_whmcs_make(apr_pool_t *p)
{
    return apr_pcalloc(p, sizeof(kd_whmcs));
}

/**** schema and engines ****/

/* The last check, per process and server: one query per process per
 * period. */
int kd_whmcs_schema(kd_req *kr, kd_schema *out)
{
    kd_whmcs *w = kr->sconf->whmcs;
    apr_uint32_t cached = apr_atomic_read32(&w->schema);
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(kr->r->request_time);
    apr_uint32_t checked = apr_atomic_read32(&w->checked);
    apr_uint32_t was_bad;
    const char *bad = NULL;
    kd_rows *rows;
    int rc, i;

    if (cached && now - checked < (apr_uint32_t)kr->sconf->schema_recheck) {
        *out = (kd_schema)cached;
        return KD_NEXT;
    }
    if ((rc = kd_db_select(kr, "kd_schema", &rows, 0, NULL)) != KD_NEXT) {
        return rc;
    }
    cached = KD_SCHEMA_WHMCS7;
    for (i = 0; i < kd_rows_count(rows); i++) {
        const char *name = kd_rows_get(rows, i, 0);
        const char *txn = kd_rows_get(rows, i, 2);

        if (name && !strcmp(name, "tblusers")) {
            cached = KD_SCHEMA_WHMCS8;
        }
        else if (txn && strcmp(txn, "YES")) {
            const char *engine = kd_rows_get(rows, i, 1);

            bad = apr_psprintf(kr->r->pool, "%s%s%s (%s)",
                               bad ? bad : "", bad ? ", " : "", name,
                               engine ? engine : "no engine");
        }
    }
    apr_atomic_set32(&w->schema, cached);
    was_bad = apr_atomic_xchg32(&w->no_txn, bad != NULL);
    /* Of the threads that found the check due, the one that moves the
     * time on logs: one line per process per period, not per request. */
    if (apr_atomic_cas32(&w->checked, now, checked) == checked) {
        if (bad) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(00305)
                          "tables on an engine without transactions: %s; "
                          "orders, payments and cancellations are refused "
                          "(503) until they are InnoDB (ALTER TABLE ... "
                          "ENGINE=InnoDB)", bad);
        }
        else if (was_bad) {
            ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, kr->r,
                          KDLOGNO(00306) "every table writes use is "
                          "transactional again: writes resume");
        }
    }
    *out = (kd_schema)cached;
    return KD_NEXT;
}

int kd_whmcs_begin_write(kd_req *kr)
{
    kd_schema schema;
    int rc;

    /* Cached: no round trip unless the check is due. */
    if ((rc = kd_db_acquire(kr)) != KD_NEXT
        || (rc = kd_whmcs_schema(kr, &schema)) != KD_NEXT) {
        return rc;
    }
    if (apr_atomic_read32(&kr->sconf->whmcs->no_txn)) {
        /* Logged (KD00305) by the check that found it. */
        kd_metrics_why(kr, KD_WHY_ENGINE);
        return kd_unavailable(kr);
    }
    return kd_db_begin(kr);
}

/**** the catalogue ****/

#define KD_CATALOG_MIN_AGE apr_time_from_sec(1)

struct kd_catalog {
    apr_pool_t *pool;
    apr_hash_t *opts;           /* tblproductconfigoptions.id -> kd_copt */
    apr_hash_t *subs;           /* tblproductconfigoptionssub.id -> kd_csub */
    apr_hash_t *gateways;       /* gateway -> its "type" setting */
    apr_time_t loaded;
    int refs;                   /* requests holding it (+1 while current) */
};

/* Guards each server's current snapshot (kd_whmcs.catalog) and the
 * snapshots' counts. */
#if APR_HAS_THREADS
static apr_thread_mutex_t *kd_catalog_lock;
#endif

void kd_whmcs_child_init(apr_pool_t *p)
{
#if APR_HAS_THREADS
    apr_thread_mutex_create(&kd_catalog_lock, APR_THREAD_MUTEX_DEFAULT, p);
#endif
}

static void kd_lock(void)
{
#if APR_HAS_THREADS
    if (kd_catalog_lock) {
        apr_thread_mutex_lock(kd_catalog_lock);
    }
#endif
}

static void kd_unlock(void)
{
#if APR_HAS_THREADS
    if (kd_catalog_lock) {
        apr_thread_mutex_unlock(kd_catalog_lock);
    }
#endif
}

/* Drop one reference; the last one frees it.  Called with the lock. */
static void kd_catalog_unref(kd_catalog *c)
{
    if (--c->refs == 0) {
        apr_pool_destroy(c->pool);
    }
}

static apr_status_t kd_catalog_release(void *data)
{
    kd_lock();
    kd_catalog_unref(data);
    kd_unlock();
    return APR_SUCCESS;
}

static char *kd_fold(apr_pool_t *p, const char *s)
{
    char *f = apr_pstrdup(p, s), *c;

    for (c = f; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return f;
}

static int kd_catalog_load(kd_req *kr, kd_catalog **out)
{
    kd_rows *rows;
    kd_catalog *c;
    apr_pool_t *p;
    int rc, i;

    if ((rc = kd_db_select(kr, "kd_catalog", &rows, 0, NULL)) != KD_NEXT) {
        return rc;
    }
    /* Its own root pool: it outlives the request that loads it, and is
     * freed by whichever request lets go of it last. */
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return kd_internal(kr);
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->pool = p;
    c->opts = apr_hash_make(p);
    c->subs = apr_hash_make(p);
    c->gateways = apr_hash_make(p);
    c->loaded = apr_time_now();
    for (i = 0; i < kd_rows_count(rows); i++) {
        const char *kind = kd_rows_get(rows, i, 0);
        const char *id = kd_rows_get(rows, i, 1);
        const char *name = kd_rows_get(rows, i, 2);

        if (kind && *kind == 'g' && name) {
            const char *type = kd_rows_get(rows, i, 3);

            /* Case-folded: MariaDB compared names without case. */
            apr_hash_set(c->gateways, kd_fold(p, name), APR_HASH_KEY_STRING,
                         apr_pstrdup(p, type ? type : ""));
            continue;
        }
        if (!kind || !id) {
            continue;
        }
        if (*kind == 'o') {
            kd_copt *o = apr_pcalloc(p, sizeof(*o));

            o->id = apr_atoi64(id);
            o->name = name ? apr_pstrdup(p, name) : NULL;
            o->type = apr_pstrdup(p, kd_rows_get(rows, i, 3)
                                     ? kd_rows_get(rows, i, 3) : "");
            o->order = kd_rows_get(rows, i, 4)
                       ? apr_atoi64(kd_rows_get(rows, i, 4)) : 0;
            o->hidden = kd_rows_get(rows, i, 5)
                        && strcmp(kd_rows_get(rows, i, 5), "0");
            apr_hash_set(c->opts, apr_pstrdup(p, id), APR_HASH_KEY_STRING,
                         o);
        }
        else {
            kd_csub *s = apr_pcalloc(p, sizeof(*s));

            s->configid = kd_rows_get(rows, i, 5)
                          ? apr_atoi64(kd_rows_get(rows, i, 5)) : 0;
            s->name = name ? apr_pstrdup(p, name) : NULL;
            apr_hash_set(c->subs, apr_pstrdup(p, id), APR_HASH_KEY_STRING,
                         s);
        }
    }
    *out = c;
    return KD_NEXT;
}

int kd_catalog_get(kd_req *kr, int stale, kd_catalog **out)
{
    apr_time_t now = apr_time_now();
    apr_time_t ttl = apr_time_from_sec(kr->sconf->schema_recheck);
    kd_catalog *c, *fresh = NULL;
    int rc;

    kd_lock();
    c = kr->sconf->whmcs->catalog;
    if (c && (stale ? now - c->loaded < KD_CATALOG_MIN_AGE
                    : now - c->loaded < ttl)) {
        c->refs++;
        kd_unlock();
        apr_pool_cleanup_register(kr->r->pool, c, kd_catalog_release,
                                  apr_pool_cleanup_null);
        *out = c;
        return KD_NEXT;
    }
    kd_unlock();

    /* Loaded without the lock: a few threads may load at once, the
     * last one's snapshot stays current, the others are freed. */
    if ((rc = kd_catalog_load(kr, &fresh)) != KD_NEXT) {
        return rc;
    }
    kd_lock();
    fresh->refs = 2;            /* current, and this request */
    if (kr->sconf->whmcs->catalog) {
        kd_catalog_unref(kr->sconf->whmcs->catalog);
    }
    kr->sconf->whmcs->catalog = fresh;
    kd_unlock();
    apr_pool_cleanup_register(kr->r->pool, fresh, kd_catalog_release,
                              apr_pool_cleanup_null);
    *out = fresh;
    return KD_NEXT;
}

const kd_copt *kd_catalog_option(const kd_catalog *c, const char *id)
{
    return id ? apr_hash_get(c->opts, id, APR_HASH_KEY_STRING) : NULL;
}

const kd_csub *kd_catalog_sub(const kd_catalog *c, const char *id)
{
    return id ? apr_hash_get(c->subs, id, APR_HASH_KEY_STRING) : NULL;
}

const char *kd_catalog_gateway_type(const kd_catalog *c, const char *name)
{
    char key[256];
    apr_size_t i;

    if (!name || strlen(name) >= sizeof(key)) {
        return NULL;
    }
    for (i = 0; name[i]; i++) {
        key[i] = (char)apr_tolower(name[i]);
    }
    key[i] = '\0';
    return apr_hash_get(c->gateways, key, APR_HASH_KEY_STRING);
}
