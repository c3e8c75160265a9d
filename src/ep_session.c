/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Token lifecycle: POST /logout revokes the presented token, POST
 * /refresh swaps a still-valid one for a fresh one and revokes the old.
 * Revoked token ids are kept in the shared cache until the token would
 * have expired anyway, so every Apache process refuses them.
 */

#include "apr_strings.h"

#include <jansson.h>

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_jwt.h"
#include "kd_reply.h"

int kd_ep_logout(kd_req *kr)
{
    json_t *body;
    int rc;

    if ((rc = kd_auth_revoke(kr)) != KD_NEXT) {
        return rc;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, kr->r, KDLOGNO(01001)
                  "client " KD_I64 " logged out a token",
                  (apr_int64_t)kr->caller.client_id);
    body = json_object();
    json_object_set_new_nocheck(body, "result", json_string("success"));
    json_object_set_new_nocheck(body, "message",
                                json_string("Successfully logged out"));
    return kd_reply(kr, HTTP_OK, body);
}

int kd_ep_refresh(kd_req *kr)
{
    char token[KD_JWT_MAX_LEN];
    json_t *body, *tok;
    int rc;

    /* The account must still be there and open (and, for WHMCS 8, the
     * user still linked to it), as for a login. */
    if ((rc = kd_auth_client(kr)) != KD_NEXT) {
        return rc;
    }
    if (!kr->caller.status || !strcmp(kr->caller.status, "Closed")) {
        return kd_error(kr, HTTP_FORBIDDEN, "message",
                        "Unable to refresh a token of a Closed client");
    }
    /* Of requests racing to refresh (or log out) this token, the one
     * that revokes it gets the new token; the others 401. */
    if ((rc = kd_auth_revoke(kr)) != KD_NEXT) {
        return rc;
    }
    if (kd_auth_issue(kr, kr->caller.client_id, kr->caller.user_id,
                      kr->caller.pwhash, token, sizeof(token))) {
        return kd_internal(kr);
    }
    body = json_object();
    tok = json_object();
    json_object_set_new_nocheck(tok, "token", json_string(token));
    json_object_set_new_nocheck(body, "0", tok);
    json_object_set_new_nocheck(body, "result", json_string("success"));
    return kd_reply(kr, HTTP_OK, body);
}
