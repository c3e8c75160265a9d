/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_fmt.h
 * @brief Ids, amounts, rates and names as pool text, between the
 * database and the reply.
 */
#ifndef KD_FMT_H
#define KD_FMT_H

#include "apr_pools.h"

#include "kd_money.h"

/** A money column as kd_cents; NULL or malformed text reads as 0. */
kd_cents kd_cents_of(const char *v);
/** kd_cents as a pool string "1234.50". */
const char *kd_cents_str(apr_pool_t *p, kd_cents v);
/** A 64-bit id as a pool string. */
const char *kd_id(apr_pool_t *p, long long v);
/** A tax rate column as WHMCS's API shows it: "10.00", or "10.125". */
const char *kd_rate_text(apr_pool_t *p, const char *v);

/** The part of a WHMCS name after '|' (trimmed), or the name. */
const char *kd_display_name(apr_pool_t *p, const char *name);

#endif /* KD_FMT_H */
