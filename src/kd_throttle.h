/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file kd_throttle.h
 * @brief Failed-login limits (leaky buckets).
 */
#ifndef KD_THROTTLE_H
#define KD_THROTTLE_H

#include "mod_kdata.h"
#include "kd_db.h"

/* The per-account buckets' statements (mod_kdata_login_failures). */
extern const kd_stmt kd_stmts_throttle[];

/**
 * Before any database work: 429 with Retry-After when the client address
 * has failed too many logins lately.  Counts nothing.  who is the typed
 * email as the log shows it.
 */
int kd_throttle_address(kd_req *kr, const char *who);
/**
 * Admit one password check against an account: "u:<tblusers.id>" or
 * "c:<tblclients.id>" when known, else "e:<key>" for an email no account
 * has (key: the email's collation key).  429 with Retry-After when the
 * address or the account has failed too often; otherwise the check holds
 * a slot of each until kd_throttle_settle, waiting (briefly) while all
 * the slots are held by checks in flight, 503 if none frees in time.
 */
int kd_throttle_admit(kd_req *kr, const char *account, int known,
                      const char *who);
/**
 * The verdict of the admitted check: a failure is counted against the
 * address and the account; either way its slots are freed.  Does nothing
 * when no check is admitted (or it was settled already).
 * @return 0, or nonzero when a real account's failure could not be
 * recorded (the database failed; logged): the caller must not answer as
 * if it had been, or a broken database would lift the limit.
 */
int kd_throttle_settle(kd_req *kr, int failed);

#endif /* KD_THROTTLE_H */
