/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_cache.h
 * @brief The failed-login buckets per client address, shared by every
 * Apache process (ap_socache; memcache or redis: every host).
 */
#ifndef KD_CACHE_H
#define KD_CACHE_H

#include "httpd.h"

int kd_cache_pre_config(apr_pool_t *pconf);
/** Find and start the provider named by spec ("shmcb", "memcache:h:p"). */
int kd_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                         const char *spec);
apr_status_t kd_cache_destroy(server_rec *s);
void kd_cache_child_init(apr_pool_t *p, server_rec *s);
/** Hold the cache's global mutex around a read-modify-write; 0 = held. */
int kd_cache_lock(request_rec *r);
void kd_cache_unlock(request_rec *r);
/** 0 found (*len set), 1 not found, -1 error. */
int kd_cache_get(request_rec *r, const char *key, unsigned char *buf,
                 unsigned int *len);
/** 0 stored, -1 error (logged). */
int kd_cache_put(request_rec *r, const char *key, apr_time_t expiry,
                 const void *data, unsigned int len);
void kd_cache_del(request_rec *r, const char *key);

#endif /* KD_CACHE_H */
