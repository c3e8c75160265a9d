/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements.  See the NOTICE file distributed with
 * this work for additional information regarding copyright ownership.
 * The ASF licenses this file to You under the Apache License, Version 2.0
 * (the "License"); you may not use this file except in compliance with
 * the License.  You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */


/*
 * JSON values from what the database returns.  Database text is not
 * trusted to be UTF-8 (a latin1 column, a byte-mangled import): jansson
 * refuses such strings, and a reply that silently dropped the key would
 * change shape, so they become "".  Amounts are written from their exact
 * decimal text, never through a double.
 */

#include <string.h>

#include "kd_json.h"

json_t *kd_json_str(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;

    return j ? j : json_string("");
}

char *kd_json_amount(char *buf, kd_cents v)
{
    char *end;

    /* 450000.00 is written 450000 and 12.50 is 12.5. */
    kd_money_str(buf, v);
    end = buf + strlen(buf);
    while (end[-1] == '0') {
        *--end = '\0';
    }
    if (end[-1] == '.') {
        *--end = '\0';
    }
    return buf;
}
