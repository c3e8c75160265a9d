/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_verified.h
 * @brief Tokens and password fingerprints this process has verified.
 */
#ifndef KD_VERIFIED_H
#define KD_VERIFIED_H

#include "mod_kdata.h"

void kd_verified_child_init(apr_pool_t *p);
/** 1 and *claims filled when tok was verified under sconf before. */
int kd_verified_get(const kd_srv_conf *sconf, const char *tok,
                    apr_size_t len, kd_jwt_claims *claims);
/** Remember tok, verified under sconf, with its claims. */
void kd_verified_put(const kd_srv_conf *sconf, const char *tok,
                     apr_size_t len, const kd_jwt_claims *claims);
/* kd_auth_fingerprint's output: 22 characters and a NUL. */
#define KD_VERIFIED_FPLEN 23
/** 1 and fp filled when hash's fingerprint under sconf is known. */
int kd_verified_fp_get(const kd_srv_conf *sconf, const char *hash,
                       char *fp);
void kd_verified_fp_put(const kd_srv_conf *sconf, const char *hash,
                        const char *fp);

#endif /* KD_VERIFIED_H */
