/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_idem.h
 * @brief Idempotency-Key: a retried write answers what the first did.
 */
#ifndef KD_IDEM_H
#define KD_IDEM_H

#include "mod_kdata.h"

/** Hash the raw body (before decoding) for kd_idem_begin. */
void kd_idem_fingerprint(kd_req *kr, const char *body, apr_size_t len);
/** Take the request's Idempotency-Key, or answer a repeat (replay/409/422);
 * the request's answer is recorded for the key when it is sent
 * (kd_reply_on). */
int kd_idem_begin(kd_req *kr);

#endif /* KD_IDEM_H */
