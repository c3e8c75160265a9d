/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_idem.h
 * @brief Idempotency-Key on the writes: a retried write answers what the
 * first did, on any host (keys in mod_kdata_idempotency).
 */
#ifndef KD_IDEM_H
#define KD_IDEM_H

#include <jansson.h>

#include "mod_kdata.h"
#include "kd_db.h"

extern const kd_stmt kd_stmts_idem[];

/** Hash the raw body (before decoding) for kd_idem_begin. */
void kd_idem_fingerprint(kd_req *kr, const char *body, apr_size_t len);
/**
 * Claim the request's Idempotency-Key for route (after the caller is
 * known, before the write's transaction begins), or answer a repeat:
 * the first answer replayed, 409 while it runs, 422 for another body.
 * Without the header: KD_NEXT and nothing else.
 */
int kd_idem_begin(kd_req *kr, const char *route);
/**
 * End a write that succeeded: its answer is stored with the key (if the
 * request holds one) inside the write's transaction, which is then
 * committed, and the answer sent.  body is consumed.
 */
int kd_idem_commit(kd_req *kr, int status, json_t *body);
/** kd_idem_commit for JSON text already made. */
int kd_idem_commit_raw(kd_req *kr, int status, const char *text);

#endif /* KD_IDEM_H */
