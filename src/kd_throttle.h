/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_throttle.h
 * @brief Failed-login and order limits (leaky buckets in kd_cache).
 */
#ifndef KD_THROTTLE_H
#define KD_THROTTLE_H

#include "mod_kdata.h"

/**
 * 429 with Retry-After when the address or the account is throttled;
 * otherwise the attempt is counted as a failure until refunded.  who is
 * the email as the log shows it.
 */
int kd_throttle_check(kd_req *kr, const char *email, const char *who);
/** Give back the count of an attempt that did not fail its credentials. */
void kd_throttle_refund(kd_req *kr);
/** 429 with Retry-After when the caller placed too many orders lately. */
int kd_throttle_order(kd_req *kr);

#endif /* KD_THROTTLE_H */
