/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_deliver.h
 * @brief The outbox's courier: a mod_watchdog thread that sends what
 * mod_kdata_outbox holds to WHMCS's external API (KdataWhmcsApi).
 */
#ifndef KD_DELIVER_H
#define KD_DELIVER_H

#include "mod_kdata.h"

/**
 * Register the courier of each server whose own section sets
 * KdataWhmcsApi (post_config, after the servers' defaults, before
 * mod_watchdog's post_config).  OK, or a reason logged.
 */
int kd_deliver_post_config(apr_pool_t *pconf, server_rec *s);
/** The statements the courier prepares on its server's connections
 * (each on first use, as kd_db.c does). */
int kd_deliver_statement_count(void);

#endif /* KD_DELIVER_H */
