/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_body.h
 * @brief Request bodies: content type, limits, decoded fields.
 */
#ifndef KD_BODY_H
#define KD_BODY_H

#include "mod_kdata.h"

/** Read and decode the body into kr->fields (413/415/400 on failure;
 * AP_FILTER_ERROR, unanswered, when httpd has answered already). */
int kd_body_read(kd_req *kr);
/** A field's value, or NULL when absent. */
const char *kd_arg(const kd_req *kr, const char *key);
/** A required positive integer id field; 400 when absent or malformed. */
int kd_field_id(kd_req *kr, const char *key, long long *out);

#endif /* KD_BODY_H */
