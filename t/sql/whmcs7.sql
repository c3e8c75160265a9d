-- Convert a database loaded with t/sql/schema.sql + t/sql/fixtures.sql into
-- WHMCS 7 shape: logins live in tblclients (email/password) again and the
-- 8.0 tables tblusers / tblusers_clients do not exist.
--
-- * each client gets the email and password hash of its OWNER user
--   (so client 1's stale 'stale-client-pass' hash becomes 'secret-pass-1',
--   client 3 gets the salted md5, 4 the HMAC one, 5 plain md5, ...);
-- * non-owner links (user 7 on client 1, user 2 on client 8) disappear:
--   WHMCS 7 has no multi-user access;
-- * Version says 7.x, so code that checks the version sees a WHMCS 7 install.
-- Other WHMCS 7 differences (e.g. decimal(10,2) money) are not reproduced.

UPDATE tblclients c
  JOIN tblusers_clients uc ON uc.client_id = c.id AND uc.owner = 1
  JOIN tblusers u ON u.id = uc.auth_user_id
   SET c.password = u.password, c.email = u.email;

UPDATE tblconfiguration SET value = '7.10.2-release.1' WHERE setting = 'Version';

DROP TABLE tblusers_clients, tblusers;
