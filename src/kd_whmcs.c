/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The catalogue (configurable options and their choices, from
 * tblproductconfigoptions and tblproductconfigoptionssub, and which
 * payment gateways take cards, from tblpaymentgateways) as a
 * per-process snapshot, for reads.  getproduct joined the option tables
 * for every call, more than a third of what MariaDB spent on it, and
 * getinvoice's gateway subquery was as much again; the catalogue is
 * what an admin edits, rarely, and services and invoices name it.  A
 * snapshot is trusted for KdataSchemaRecheck seconds, as what
 * kd_db_schema reads; an id it lacks (an option or gateway added since)
 * loads a new one at once, at most once a second.  Orders never use
 * it: what they charge is read in their own transaction.
 *
 * Snapshots are counted: a request holds the one it started with until
 * its pool is cleared, so a refresh never frees one in use.
 */

#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "mod_kdata.h"
#include "kd_whmcs.h"
#include "kd_db.h"
#include "kd_reply.h"

#define KD_CATALOG_MIN_AGE apr_time_from_sec(1)

struct kd_catalog {
    apr_pool_t *pool;
    apr_hash_t *opts;           /* tblproductconfigoptions.id -> kd_copt */
    apr_hash_t *subs;           /* tblproductconfigoptionssub.id -> kd_csub */
    apr_hash_t *gateways;       /* gateway -> its "type" setting */
    apr_time_t loaded;
    int refs;                   /* requests holding it (+1 while current) */
};

/* The current snapshot of each server is kr->sconf->rt->catalog: a
 * virtual host with a pool of its own may be another WHMCS. */
#if APR_HAS_THREADS
static apr_thread_mutex_t *kd_catalog_lock;
#endif

void kd_catalog_child_init(apr_pool_t *p)
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

/* Columns of kd_catalog: kind ('o' option, 's' sub-option, 'g'
 * gateway), id, name, then optiontype and order (options), configid
 * (sub-options) or the gateway's type (CC, Invoices, ...) as type. */
const kd_stmt kd_stmts_catalog[] = {
    {"kd_catalog",
     "SELECT 'o', id, " KD_TXT("optionname", 255) ", "
     KD_TXT("optiontype", 32) ", `order`, NULL "
     "FROM tblproductconfigoptions UNION ALL "
     "SELECT 's', id, " KD_TXT("optionname", 255) ", NULL, NULL, configid "
     "FROM tblproductconfigoptionssub UNION ALL "
     "SELECT 'g', NULL, " KD_TXT("gateway", 255) ", " KD_TXT("value", 32)
     ", NULL, NULL FROM tblpaymentgateways WHERE setting = 'type'", 0},
    {NULL, NULL, 0}
};

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
    c = kr->sconf->rt->catalog;
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
    if (kr->sconf->rt->catalog) {
        kd_catalog_unref(kr->sconf->rt->catalog);
    }
    kr->sconf->rt->catalog = fresh;
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
