/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_reply.h
 * @brief The single JSON reply and error path: every answer leaves
 * through here.
 */
#ifndef KD_REPLY_H
#define KD_REPLY_H

#include <jansson.h>

#include "mod_kdata.h"

/**
 * A recorder of the request's answer (the Idempotency-Key entry, ...),
 * registered with kd_reply_on by the feature that needs it, so the reply
 * path knows no feature by name.  Each recorder is called once, in the
 * order registered, with the status and the exact JSON text, before any
 * header or byte of the answer is written.
 *
 * It runs on the request as the endpoint left it: its connection
 * (kr->dbd) and, while one is open, its transaction (kr->txn).  So a
 * recorder may run statements through kd_db_* and what it writes
 * commits or rolls back with the endpoint's own writes.  (An endpoint
 * whose answer must be recorded in its transaction replies before it
 * commits, and a recorder registered after the others commits: the
 * commit is then the last step before the answer leaves.)
 *
 * @return KD_NEXT when recorded, or nothing needed recording.  When the
 * answer could not be recorded, the recorder answers the failure instead
 * (kd_unavailable: 503 with Retry-After, or kd_internal: 500; a failing
 * kd_db_* call has already done so) and returns that return code: the
 * client gets the failure, not an answer a repeat would not find, and
 * the recorders after it are called with the failure's status and text.
 * It must not send any other reply.
 */
typedef int (*kd_reply_hook_fn)(kd_req *kr, void *data, int status,
                                const char *text);

/** Call fn(kr, data, ...) with the request's answer (see above). */
void kd_reply_on(kd_req *kr, kd_reply_hook_fn fn, void *data);

/** Send body (consumed) with status; always JSON, no-store. */
int kd_reply(kd_req *kr, int status, json_t *body);
/** body (consumed) as compact JSON text in request memory; NULL (and
 * logged) when it cannot be encoded. */
const char *kd_reply_text(kd_req *kr, json_t *body);
/** Send JSON text already made (for exact numbers jansson cannot make). */
int kd_reply_raw(kd_req *kr, int status, const char *text);
/** {"result":"error", key: msg} with status. */
int kd_error(kd_req *kr, int status, const char *key, const char *msg);
/** 503 with Retry-After: the database cannot be reached. */
int kd_unavailable(kd_req *kr);
/** 403 "Permission denied!": not the caller's, missing, or not allowed
 * (the three get the same answer, so ids cannot be probed). */
int kd_denied(kd_req *kr);
/** 500: something failed that the client cannot fix (already logged). */
int kd_internal(kd_req *kr);
/** The error httpd refused the original request with (an ErrorDocument
 * redirected it into the API; r->status is the refusal's): the JSON
 * error of that status, in the words of the handler's own where it has
 * them. */
int kd_reply_refused(kd_req *kr);

#endif /* KD_REPLY_H */
