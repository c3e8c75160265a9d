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

#endif /* KD_REPLY_H */
