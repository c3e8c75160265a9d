/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_breaker.h
 * @brief A circuit breaker around mod_dbd's connections, per Apache
 * process and server: while the database cannot be reached, requests
 * are refused at once and one probe at a time tries to connect.
 */
#ifndef KD_BREAKER_H
#define KD_BREAKER_H

#include "mod_kdata.h"

typedef struct kd_breaker kd_breaker;

/** A server's breaker, closed (with its configuration: each process
 * has its own copy after fork). */
kd_breaker *kd_breaker_make(apr_pool_t *p);
/** mod_dbd's post_connect hook (register_hooks time). */
void kd_breaker_register_hooks(void);
/** The lock of the breakers' changes of state (after fork). */
void kd_breaker_child_init(apr_pool_t *p);
/**
 * The request's connection from acquire (mod_dbd's ap_dbd_acquire), or
 * NULL when the database cannot be reached: a connect failed just now,
 * or, while the breaker is open, a moment ago (then acquire is not
 * called at all; while another request probes, this one waits for its
 * outcome, briefly).  Dead pooled connections mod_dbd throws away are
 * asked past; a request makes one connect attempt at most.  Logs each
 * change of state, never each request.  b may be NULL (no breaker).
 * *asked is set to whether acquire was called: a NULL without it is the
 * breaker's own refusal (open, or the probe failed or took too long).
 */
ap_dbd_t *kd_breaker_acquire(kd_breaker *b, request_rec *r,
                             ap_dbd_t *(*acquire)(request_rec *),
                             int *asked);

#endif /* KD_BREAKER_H */
