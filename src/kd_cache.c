/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The one thing kept in httpd's small object cache (ap_socache: shmcb by
 * default, memcache or redis to share it between hosts): the failed-login
 * buckets per client address.  Only failed logins create them, so no
 * ordinary traffic can push one out.  What would let someone in or
 * charge twice if it were forgotten (revoked tokens, per-account login
 * limits, order limits, Idempotency-Keys) lives in the WHMCS database
 * instead (conf/mod_kdata.sql).  One global mutex makes each
 * read-modify-write a single step across processes and threads.
 */

#include "apr_strings.h"
#include "apr_global_mutex.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"

#include "mod_kdata.h"
#include "kd_cache.h"
#include "kd_hash.h"

#define KD_CACHE_MUTEX "kdata-cache"

static const ap_socache_provider_t *kd_provider;
static ap_socache_instance_t *kd_instance;
static apr_global_mutex_t *kd_mutex;
static const char *kd_mutex_file;

/* shmcb chooses the subcache an entry goes to by the key's first byte
 * (made for random TLS session ids): a fixed prefix would put every
 * entry of ours in one subcache, a few dozen slots that silently evict
 * each other.  A byte of the key's hash goes first instead. */
static int kd_spread;

int kd_cache_pre_config(apr_pool_t *pconf)
{
    apr_status_t rv = ap_mutex_register(pconf, KD_CACHE_MUTEX, NULL,
                                        APR_LOCK_DEFAULT, 0);

    return rv == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

int kd_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                         const char *spec)
{
    const char *name = spec, *arg = NULL, *colon, *err;
    struct ap_socache_hints hints = {64, 1024, 86400};
    apr_status_t rv;

    colon = strchr(spec, ':');
    if (colon) {
        name = apr_pstrmemdup(ptemp, spec, (apr_size_t)(colon - spec));
        arg = colon + 1;
    }
    kd_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                     AP_SOCACHE_PROVIDER_VERSION);
    if (!kd_provider) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, KDLOGNO(00021)
                     "KdataCache: no socache provider '%s' (load it, e.g. "
                     "LoadModule socache_%s_module): mod_kdata keeps login "
                     "throttles, revoked tokens and idempotency keys there",
                     name, name);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    err = kd_provider->create(&kd_instance, arg, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, KDLOGNO(00022)
                     "KdataCache %s: %s", spec, err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ap_global_mutex_create(&kd_mutex, &kd_mutex_file, KD_CACHE_MUTEX,
                                NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    kd_spread = !strcmp(name, "shmcb");
    rv = kd_provider->init(kd_instance, "mod_kdata", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, KDLOGNO(00023)
                     "KdataCache %s: cannot initialise", spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, s, (apr_status_t (*)(void *))
                              kd_cache_destroy, apr_pool_cleanup_null);
    return OK;
}

apr_status_t kd_cache_destroy(server_rec *s)
{
    if (kd_provider && kd_instance) {
        kd_provider->destroy(kd_instance, s);
    }
    kd_instance = NULL;
    return APR_SUCCESS;
}

void kd_cache_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!kd_mutex) {
        return;
    }
    rv = apr_global_mutex_child_init(&kd_mutex, kd_mutex_file, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, KDLOGNO(00024)
                     "cannot reopen the kdata-cache mutex in a child");
    }
}

int kd_cache_lock(request_rec *r)
{
    apr_status_t rv = apr_global_mutex_lock(kd_mutex);

    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, KDLOGNO(00025)
                      "cannot lock the kdata-cache mutex");
        return -1;
    }
    return 0;
}

void kd_cache_unlock(request_rec *r)
{
    apr_global_mutex_unlock(kd_mutex);
}

/* Every key is namespaced: a memcache or redis cache may be shared with
 * other applications.  For shmcb, a byte of the key's hash leads (see
 * kd_spread); it is never 0, so the key stays a C string. */
static const char *kd_key(request_rec *r, const char *key)
{
    char lead[2];

    if (!kd_spread) {
        return apr_pstrcat(r->pool, "mod_kdata:", key, NULL);
    }
    lead[0] = (char)(0x80 | (kd_fnv1a(key, strlen(key)) & 0x7f));
    lead[1] = '\0';
    return apr_pstrcat(r->pool, lead, "mod_kdata:", key, NULL);
}

int kd_cache_get(request_rec *r, const char *key, unsigned char *buf,
                 unsigned int *len)
{
    apr_status_t rv;

    key = kd_key(r, key);
    rv = kd_provider->retrieve(kd_instance, r->server,
                               (const unsigned char *)key,
                               (unsigned int)strlen(key), buf, len, r->pool);
    if (rv == APR_NOTFOUND) {
        return 1;
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, KDLOGNO(00026)
                      "kdata-cache: cannot read an entry");
        return -1;
    }
    return 0;
}

int kd_cache_put(request_rec *r, const char *key, apr_time_t expiry,
                 const void *data, unsigned int len)
{
    apr_status_t rv;

    key = kd_key(r, key);
    rv = kd_provider->store(kd_instance, r->server,
                            (const unsigned char *)key,
                            (unsigned int)strlen(key), expiry,
                            (unsigned char *)data, len, r->pool);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, KDLOGNO(00027)
                      "kdata-cache: cannot store an entry (cache full?)");
        return -1;
    }
    return 0;
}

void kd_cache_del(request_rec *r, const char *key)
{
    key = kd_key(r, key);
    kd_provider->remove(kd_instance, r->server, (const unsigned char *)key,
                        (unsigned int)strlen(key), r->pool);
}

