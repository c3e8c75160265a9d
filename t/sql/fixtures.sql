-- mod_kdata demo + test data.  Loads on top of t/sql/schema.sql AND of the
-- unmodified real WHMCS 8.4 dump (shared/whmcs/whmcs-8.4-schema.sql).
-- Tests depend on every id and value here: change with care.
--
-- Load with: SET NAMES utf8mb4; SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO';
-- (t/bin/kd-db create does this).  The file is UTF-8.
-- Every INSERT lists its columns and gives a value for every NOT NULL column
-- that has no default, so it also works under STRICT_TRANS_TABLES.

-- ----------------------------------------------------------------------
-- Start from empty tables.  TRUNCATE also resets the AUTO_INCREMENT
-- counters, so new rows get the same ids on both schemas (the real dump
-- carries leftover counters, e.g. tblconfiguration at 247).  Only the
-- tblorderstatuses seed rows (identical in both schemas) are kept.
-- ----------------------------------------------------------------------
TRUNCATE TABLE tblconfiguration;       TRUNCATE TABLE tblactivitylog;
TRUNCATE TABLE tblbannedips;           TRUNCATE TABLE tblapilog;
TRUNCATE TABLE tblapi_roles;           TRUNCATE TABLE tblclients;
TRUNCATE TABLE tblclientgroups;        TRUNCATE TABLE tblusers;
TRUNCATE TABLE tblusers_clients;       TRUNCATE TABLE tblcurrencies;
TRUNCATE TABLE tblpaymentgateways;     TRUNCATE TABLE tblpaymethods;
TRUNCATE TABLE tbltax;                 TRUNCATE TABLE tblproductgroups;
TRUNCATE TABLE tblproducts;            TRUNCATE TABLE tblpricing;
TRUNCATE TABLE tblproductconfiggroups; TRUNCATE TABLE tblproductconfiglinks;
TRUNCATE TABLE tblproductconfigoptions;TRUNCATE TABLE tblproductconfigoptionssub;
TRUNCATE TABLE tblcustomfields;        TRUNCATE TABLE tblcustomfieldsvalues;
TRUNCATE TABLE tblpromotions;          TRUNCATE TABLE tblservers;
TRUNCATE TABLE tblorders;              TRUNCATE TABLE tblhosting;
TRUNCATE TABLE tblhostingconfigoptions;TRUNCATE TABLE tblhostingaddons;
TRUNCATE TABLE tblupgrades;            TRUNCATE TABLE tblcancelrequests;
TRUNCATE TABLE tblinvoices;            TRUNCATE TABLE tblinvoiceitems;
TRUNCATE TABLE tblinvoicedata;         TRUNCATE TABLE tblcredit;
TRUNCATE TABLE tblaccounts;            TRUNCATE TABLE tbltransaction_history;

-- ----------------------------------------------------------------------
-- System settings
-- ----------------------------------------------------------------------
INSERT INTO tblconfiguration (id, setting, value) VALUES
  ( 1, 'Version',                       '8.4.0-release.1'),
  ( 2, 'DateFormat',                    'DD/MM/YYYY'),
  ( 3, 'TaxEnabled',                    ''),
  ( 4, 'TaxType',                       'Exclusive'),
  ( 5, 'TaxL2Compound',                 ''),
  ( 6, 'NoAutoApplyCredit',             ''),
  ( 7, 'CancelInvoiceOnCancellation',   'on'),
  ( 8, 'SequentialInvoiceNumbering',    ''),
  ( 9, 'SequentialInvoiceNumberFormat', '{NUMBER}'),
  (10, 'SequentialInvoiceNumberValue',  '1'),
  (11, 'InvoiceIncrement',              '1'),
  (12, 'CreateInvoiceDaysBefore',       '14'),
  (13, 'OrderDaysGrace',                '0'),
  (14, 'AutoCancellationRequests',      'on'),
  (15, 'InvalidLoginBanLength',         '15'),
  (16, 'CompanyName',                   'Kdata Demo Hosting'),
  (17, 'Language',                      'english');

-- format 4 = "1,234" (no decimals), 2 = "1,234.56".
INSERT INTO tblcurrencies (id, code, prefix, suffix, format, rate, `default`) VALUES
  (1, 'VND', 'VND', 'VND',  4, 1.00000, 1),
  (2, 'USD', '$',   ' USD', 2, 0.00004, 0);

INSERT INTO tblpaymentgateways (id, gateway, setting, value, `order`) VALUES
  (1, 'banktransfer', 'name',    'Bank Transfer', 1),
  (2, 'banktransfer', 'type',    'Invoices',      1),
  (3, 'banktransfer', 'visible', 'on',            1),
  (4, 'paypal',       'name',    'PayPal',        2),
  (5, 'paypal',       'type',    'Invoices',      2),
  (6, 'paypal',       'visible', 'on',            2);

INSERT INTO tbltax (id, level, name, state, country, taxrate) VALUES
  (1, 1, 'VAT', '', 'VN', 10.000);

-- tblbannedips: intentionally empty.

-- ----------------------------------------------------------------------
-- Clients (billable accounts).  Per-client values come from the derived
-- table c; every other NOT NULL column gets '' / 0.
-- Client 1 also carries secrets that must never appear in API output:
-- securityqans, cardlastfour, cardnum, bankacct, pwresetkey, and a stale
-- pre-8.0 tblclients.password (bcrypt of 'stale-client-pass') that must NOT
-- be accepted for login in WHMCS 8 mode.
-- ----------------------------------------------------------------------
INSERT INTO tblclients
  (id, uuid, firstname, lastname, companyname, email, address1, address2,
   city, state, postcode, country, phonenumber, tax_id, password, authmodule,
   authdata, currency, defaultgateway, credit, taxexempt, latefeeoveride,
   overideduenotices, separateinvoices, disableautocc, datecreated, notes,
   billingcid, securityqid, securityqans, groupid, cardtype, cardlastfour,
   cardnum, startdate, expdate, issuenumber, bankname, banktype, bankcode,
   bankacct, gatewayid, lastlogin, ip, host, status, language, pwresetkey,
   emailoptout, overrideautoclose, created_at, updated_at)
SELECT c.id, c.uuid, c.fn, c.ln, c.co, c.email, c.a1, '',
   c.city, c.st, c.pc, 'VN', c.ph, '', c.pw, '',
   '', c.cur, '', c.credit, 0, 0,
   0, 0, 0, '2017-06-27', '',
   0, 0, c.sqa, 0, '', c.l4,
   c.cardnum, '', '', '', '', '', '',
   c.bankacct, '', NULL, '', '', c.status, '', c.rk,
   0, 0, '2017-06-27 10:00:00', '2017-06-27 10:00:00'
FROM (
  SELECT 1 AS id, '5c38ad73-73a7-453e-972f-07ac589012c2' AS uuid,
         'nam' AS fn, 'ns' AS ln, 'appota' AS co, 'namns@example.com' AS email,
         'quoc oai ha noi' AS a1, 'ha noi' AS city, 'viet nam' AS st,
         '3006' AS pc, '0978973995' AS ph,
         '$2y$10$49mCS8DUU1qUKR27GYubr.dpYUbNUQufa42mMpjG.9ML/USl4fMgq' AS pw,
         1 AS cur, 1000000.00 AS credit, 'Active' AS status,
         'SECRET-ANSWER' AS sqa, '4242' AS l4,
         'ENC:CARDNUM:4111111111114242' AS cardnum,
         'ENC:BANKACCT:000123456789' AS bankacct, 'RESETKEY' AS rk
  UNION ALL SELECT 2, '8d0f6a52-1c3e-4b7a-9e21-3f5a7c9d0b02', 'Other', 'Customer', '', 'other@example.com',
         '', '', '', '', '', '', 1, 0.00, 'Active', '', '', '', '', ''
  UNION ALL SELECT 3, '8d0f6a52-1c3e-4b7a-9e21-3f5a7c9d0b03', 'Legacy', 'Salted', '', 'legacy@example.com',
         '', '', '', '', '', '', 1, 0.00, 'Active', '', '', '', '', ''
  UNION ALL SELECT 4, '8d0f6a52-1c3e-4b7a-9e21-3f5a7c9d0b04', 'Hmac', 'User', '', 'hmac@example.com',
         '', '', '', '', '', '', 1, 0.00, 'Active', '', '', '', '', ''
  UNION ALL SELECT 5, '8d0f6a52-1c3e-4b7a-9e21-3f5a7c9d0b05', 'Plain', 'Md5', '', 'md5@example.com',
         '', '', '', '', '', '', 1, 0.00, 'Active', '', '', '', '', ''
  UNION ALL SELECT 6, '8d0f6a52-1c3e-4b7a-9e21-3f5a7c9d0b06', 'Closed', 'Account', '', 'closed@example.com',
         '', '', '', '', '', '', 1, 0.00, 'Closed', '', '', '', '', ''
  UNION ALL SELECT 7, '8d0f6a52-1c3e-4b7a-9e21-3f5a7c9d0b07', 'Manager', 'Co', '', 'manager@example.com',
         '', '', '', '', '', '', 1, 0.00, 'Active', '', '', '', '', ''
  UNION ALL SELECT 8, '8d0f6a52-1c3e-4b7a-9e21-3f5a7c9d0b08', 'Dollar', 'Client', '', 'usd@example.com',
         '', '', '', '', '', '', 2, 50.00, 'Active', '', '', '', '', ''
) AS c
ORDER BY c.id;

-- ----------------------------------------------------------------------
-- Login users (WHMCS 8).  Same ids/emails as the clients.  Passwords
-- (TEST FIXTURES ONLY):
--   1 namns@example.com    secret-pass-1   bcrypt $2y$ cost 10
--   2 other@example.com    other-pass-2    bcrypt
--   3 legacy@example.com   legacy-pass-3   md5(salt . pw) . ':' . salt, salt 'k3d9Q'
--   4 hmac@example.com     hmac-pass-4     hex(HMAC-SHA256(key=K, pw)) . ':' . K,
--                                          K = '5f2b8c0e9a7d4163b0c1e2d3f4a59687' (the ASCII string)
--   5 md5@example.com      md5-pass-5      plain md5 hex
--   6 closed@example.com   closed-pass-6   bcrypt (client 6 is Closed)
--   7 manager@example.com  manager-pass-7  bcrypt
--   8 usd@example.com      usd-pass-8      bcrypt
-- Made with: htpasswd -nbB -C 10 x PW; printf %s "$SALT$PW" | md5sum;
--            printf %s PW | openssl dgst -sha256 -hmac "$K"; printf %s PW | md5sum
-- ----------------------------------------------------------------------
INSERT INTO tblusers (id, first_name, last_name, email, password, created_at, updated_at) VALUES
  (1, 'nam',     'ns',       'namns@example.com',
      '$2y$10$oh237yVmfl.T69eqTtvY/O30VfcyukrDvVfb5dYxRS6o3pBAdBy7G',
      '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  (2, 'Other',   'Customer', 'other@example.com',
      '$2y$10$QChtMhxiXX3H6wrrgIZaeuyR6cPy5mC8Q.YeYu6kZ77rCXK6UqkrC',
      '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  (3, 'Legacy',  'Salted',   'legacy@example.com',
      'c343583795ef85b35fd572e50fff5fb8:k3d9Q',
      '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  (4, 'Hmac',    'User',     'hmac@example.com',
      '0954fe9e500a747622c49e807459a8cdb042f5241187f12d7c444eedf5e2c871:5f2b8c0e9a7d4163b0c1e2d3f4a59687',
      '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  (5, 'Plain',   'Md5',      'md5@example.com',
      'c19046467133b730cda0845605ddb53d',
      '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  (6, 'Closed',  'Account',  'closed@example.com',
      '$2y$10$GapLJW2xOfo31t5t5GfYo.i.7RHz7ljcFWwoQY4Z.Dw1HDzmOsWTa',
      '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  (7, 'Manager', 'Co',       'manager@example.com',
      '$2y$10$B/iBvdQcH7fi0IrggqUEPu4vzUBIBd2Mm/jsm4JL56RSwWY.BMwPy',
      '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  (8, 'Dollar',  'Client',   'usd@example.com',
      '$2y$10$3zrHfVIKa/EUQZHXpQZCWuy28hrMBJmdYN5GmXNdhmgFn254yLSd2',
      '2017-06-27 10:00:00', '2017-06-27 10:00:00');

-- User i owns client i (permissions NULL on owner rows).  Extra non-owner links:
--   9: user 7 on client 1 without 'orders' / 'manageproducts'
--  10: user 2 on client 8 with 'orders' and 'manageproducts'
INSERT INTO tblusers_clients
  (id, auth_user_id, client_id, invite_id, owner, permissions, created_at, updated_at) VALUES
  ( 1, 1, 1, 0, 1, NULL, '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  ( 2, 2, 2, 0, 1, NULL, '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  ( 3, 3, 3, 0, 1, NULL, '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  ( 4, 4, 4, 0, 1, NULL, '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  ( 5, 5, 5, 0, 1, NULL, '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  ( 6, 6, 6, 0, 1, NULL, '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  ( 7, 7, 7, 0, 1, NULL, '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  ( 8, 8, 8, 0, 1, NULL, '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  ( 9, 7, 1, 0, 0, 'profile,contacts,products,invoices',
                         '2017-06-27 10:00:00', '2017-06-27 10:00:00'),
  (10, 2, 8, 0, 0, 'products,invoices,orders,manageproducts',
                         '2017-06-27 10:00:00', '2017-06-27 10:00:00');

-- ----------------------------------------------------------------------
-- Catalogue
-- ----------------------------------------------------------------------
INSERT INTO tblproductgroups (id, name, orderfrmtpl, disabledgateways, hidden, `order`)
VALUES (1, 'VPS', '', '', 0, 1);

-- 1 'VPS 01' and 2 'VPS 02' are orderable; 3 hidden; 4 retired;
-- 5 free (paytype free); 6 one-time (paytype onetime).
INSERT INTO tblproducts
  (id, type, gid, name, description, hidden, showdomainoptions, stockcontrol,
   proratabilling, proratadate, proratachargenextmonth, paytype, allowqty,
   subdomain, autosetup, servertype, servergroup,
   configoption1, configoption2, configoption3, configoption4, configoption5,
   configoption6, configoption7, configoption8, configoption9, configoption10,
   configoption11, configoption12, configoption13, configoption14, configoption15,
   configoption16, configoption17, configoption18, configoption19, configoption20,
   configoption21, configoption22, configoption23, configoption24,
   freedomain, freedomainpaymentterms, freedomaintlds, recurringcycles,
   autoterminatedays, configoptionsupgrade, billingcycleupgrade, overagesenabled,
   overagesdisklimit, overagesbwlimit, overagesdiskprice, overagesbwprice, tax,
   affiliateonetime, affiliatepaytype, affiliatepayamount, `order`, retired,
   is_featured)
SELECT p.id, 'server', 1, p.name, '', p.hidden, 0, 0,
   0, 0, 0, p.paytype, 0,
   '', '', '', 0,
   '', '', '', '', '',  '', '', '', '', '',
   '', '', '', '', '',  '', '', '', '', '',
   '', '', '', '',
   '', '', '', 0,
   0, 0, '', '',
   0, 0, 0.0000, 0.0000, 1,
   0, '', 0.00, p.id, p.retired,
   0
FROM (
            SELECT 1 AS id, 'VPS 01' AS name, 0 AS hidden, 0 AS retired, 'recurring' AS paytype
  UNION ALL SELECT 2, 'VPS 02',       0, 0, 'recurring'
  UNION ALL SELECT 3, 'VPS Hidden',   1, 0, 'recurring'
  UNION ALL SELECT 4, 'VPS Retired',  0, 1, 'recurring'
  UNION ALL SELECT 5, 'VPS Free',     0, 0, 'free'
  UNION ALL SELECT 6, 'VPS Lifetime', 0, 0, 'onetime'
) AS p
ORDER BY p.id;

-- Product prices.  -1.00 = cycle disabled.  ids 1-6 VND, 7-8 USD.
INSERT INTO tblpricing
  (id, type, currency, relid, msetupfee, qsetupfee, ssetupfee, asetupfee,
   bsetupfee, tsetupfee, monthly, quarterly, semiannually, annually,
   biennially, triennially) VALUES
  (1, 'product', 1, 1,     0.00, 0.00, 0.00, 100000.00, 0.00, 0.00,
                      300000.00, 850000.00, -1.00, 3000000.00, -1.00, -1.00),
  (2, 'product', 1, 2, 50000.00, 0.00, 0.00,      0.00, 0.00, 0.00,
                      500000.00,     -1.00, -1.00,      -1.00, -1.00, -1.00),
  (3, 'product', 1, 3,     0.00, 0.00, 0.00,      0.00, 0.00, 0.00,
                      100000.00,     -1.00, -1.00,      -1.00, -1.00, -1.00),
  (4, 'product', 1, 4,     0.00, 0.00, 0.00,      0.00, 0.00, 0.00,
                      100000.00,     -1.00, -1.00,      -1.00, -1.00, -1.00),
  (5, 'product', 1, 5,     0.00, 0.00, 0.00,      0.00, 0.00, 0.00,
                           0.00,     -1.00, -1.00,      -1.00, -1.00, -1.00),
  (6, 'product', 1, 6,     0.00, 0.00, 0.00,      0.00, 0.00, 0.00,
                     2000000.00,     -1.00, -1.00,      -1.00, -1.00, -1.00),
  (7, 'product', 2, 1,     0.00, 0.00, 0.00,      0.00, 0.00, 0.00,
                          12.00,     34.00, -1.00,     120.00, -1.00, -1.00),
  (8, 'product', 2, 2,     2.00, 0.00, 0.00,      0.00, 0.00, 0.00,
                          20.00,     -1.00, -1.00,      -1.00, -1.00, -1.00);

-- Configurable options: group 1, linked to products 1, 2, 5 and 6
-- (not to 3 Hidden / 4 Retired).
INSERT INTO tblproductconfiggroups (id, name, description) VALUES (1, 'VPS options', '');

INSERT INTO tblproductconfiglinks (id, gid, pid) VALUES
  (1, 1, 1), (2, 1, 2), (3, 1, 5), (4, 1, 6);

-- optiontype: 1 dropdown, 3 yes/no, 4 quantity.  Option 8 is hidden.
INSERT INTO tblproductconfigoptions
  (id, gid, optionname, optiontype, qtyminimum, qtymaximum, `order`, hidden) VALUES
  (1, 1, 'DATA CENTER',   '1', 0, 0, 0, 0),
  (2, 1, 'Server OS',     '1', 0, 0, 1, 0),
  (3, 1, 'CPU',           '1', 0, 0, 2, 0),
  (4, 1, 'RAM',           '1', 0, 0, 3, 0),
  (5, 1, 'HDD',           '1', 0, 0, 4, 0),
  (6, 1, 'Extra IP',      '4', 0, 5, 5, 0),
  (7, 1, 'Backup',        '3', 0, 0, 6, 0),
  (8, 1, 'Internal note', '1', 0, 0, 7, 1);

-- Sub-options ("machine|Display" names for the OS list); sortorder = id.
INSERT INTO tblproductconfigoptionssub (id, configid, optionname, sortorder, hidden) VALUES
  ( 1, 1, 'VIỆT NAM',                     1, 0),
  ( 2, 2, 'centos6|Centos 6.x 64Bit',     2, 0),
  ( 3, 2, 'ubuntu22|Ubuntu 22.04 64Bit',  3, 0),
  ( 4, 2, 'win2019|Windows Server 2019',  4, 0),
  ( 5, 3, '2 Core',                       5, 0),
  ( 6, 3, '4 Core',                       6, 0),
  ( 7, 4, '1GB',                          7, 0),
  ( 8, 4, '2GB',                          8, 0),
  ( 9, 5, '40G',                          9, 0),
  (10, 5, '80G',                         10, 0),
  (11, 6, 'IP',                          11, 0),
  (12, 7, 'Backup',                      12, 0),
  (13, 8, 'n/a',                         13, 0);

-- Sub-option prices, both currencies, every sub-option.  Only the monthly
-- price is listed; the other cycles are multiples (3, 6, 12, 24, 36 x),
-- setup fees 0.00.  tblpricing ids: VND sub n -> 8+n (9..21),
-- USD sub n -> 21+n (22..34).
INSERT INTO tblpricing
  (id, type, currency, relid, msetupfee, qsetupfee, ssetupfee, asetupfee,
   bsetupfee, tsetupfee, monthly, quarterly, semiannually, annually,
   biennially, triennially)
SELECT CASE s.cur WHEN 1 THEN 8 ELSE 21 END + s.sub, 'configoptions', s.cur, s.sub,
   0.00, 0.00, 0.00, 0.00, 0.00, 0.00,
   s.m, s.m * 3, s.m * 6, s.m * 12, s.m * 24, s.m * 36
FROM (
            SELECT 1 AS cur, 1 AS sub, 0.00 AS m
  UNION ALL SELECT 1,  2,      0.00  UNION ALL SELECT 1,  3,      0.00
  UNION ALL SELECT 1,  4, 200000.00  UNION ALL SELECT 1,  5,      0.00
  UNION ALL SELECT 1,  6, 100000.00  UNION ALL SELECT 1,  7,      0.00
  UNION ALL SELECT 1,  8,  50000.00  UNION ALL SELECT 1,  9,      0.00
  UNION ALL SELECT 1, 10,  60000.00  UNION ALL SELECT 1, 11,  50000.00
  UNION ALL SELECT 1, 12,  30000.00  UNION ALL SELECT 1, 13,      0.00
  UNION ALL SELECT 2,  1,      0.00  UNION ALL SELECT 2,  2,      0.00
  UNION ALL SELECT 2,  3,      0.00  UNION ALL SELECT 2,  4,      8.00
  UNION ALL SELECT 2,  5,      0.00  UNION ALL SELECT 2,  6,      0.00
  UNION ALL SELECT 2,  7,      0.00  UNION ALL SELECT 2,  8,      0.00
  UNION ALL SELECT 2,  9,      0.00  UNION ALL SELECT 2, 10,      0.00
  UNION ALL SELECT 2, 11,      2.00  UNION ALL SELECT 2, 12,      0.00
  UNION ALL SELECT 2, 13,      0.00
) AS s
ORDER BY 1;

-- ----------------------------------------------------------------------
-- Orders and services
-- ----------------------------------------------------------------------
INSERT INTO tblorders
  (id, ordernum, userid, contactid, `date`, nameservers, transfersecret,
   renewals, promocode, promotype, promovalue, orderdata, amount,
   paymentmethod, invoiceid, status, ipaddress, fraudmodule, fraudoutput, notes)
VALUES
  (1, 1234567890, 1, 0, '2017-01-06 09:00:00', '', '', '', '', '', '', '',
      450000.00, 'banktransfer', 1, 'Pending', '127.0.0.1', '', '', ''),
  (2, 2234567890, 2, 0, '2017-01-06 09:00:00', '', '', '', '', '', '', '',
      300000.00, 'banktransfer', 2, 'Pending', '127.0.0.1', '', '', '');

-- 1: client 1, VPS 01 monthly, Pending (invoice 1 unpaid)
-- 2: client 2, VPS 01 monthly, Pending (invoice 2 unpaid)
-- 3: client 1, VPS 02 annually, Active, with domain/IPs (invoice 3 paid)
-- 4: client 8 (USD), VPS 01 monthly, Active, no order, no invoice
INSERT INTO tblhosting
  (id, userid, orderid, packageid, server, regdate, domain, paymentmethod,
   qty, firstpaymentamount, amount, billingcycle, nextduedate, nextinvoicedate,
   termination_date, completed_date, domainstatus, username, password, notes,
   subscriptionid, promoid, promocount, suspendreason, overideautosuspend,
   overidesuspenduntil, dedicatedip, assignedips, ns1, ns2)
VALUES
  (1, 1, 1, 1, 0, '2017-01-06', '', 'banktransfer',
      1, 450000.00, 450000.00, 'Monthly', '2017-01-06', '2017-01-06',
      '0000-00-00', '0000-00-00', 'Pending', '', '', '',
      '', 0, 0, '', 0,
      '0000-00-00', '', '', '', ''),
  (2, 2, 2, 1, 0, '2017-01-06', '', 'banktransfer',
      1, 300000.00, 300000.00, 'Monthly', '2017-01-06', '2017-01-06',
      '0000-00-00', '0000-00-00', 'Pending', '', '', '',
      '', 0, 0, '', 0,
      '0000-00-00', '', '', '', ''),
  (3, 1, 1, 2, 0, '2016-05-01', 'vps3.example.com', 'banktransfer',
      1, 3000000.00, 3000000.00, 'Annually', '2018-05-01', '2018-05-01',
      '0000-00-00', '0000-00-00', 'Active', 'root', '', '',
      '', 0, 0, '', 0,
      '0000-00-00', '203.0.113.10', '203.0.113.11', '', ''),
  (4, 8, 0, 1, 0, '2017-06-27', '', 'banktransfer',
      1, 12.00, 12.00, 'Monthly', '2017-07-27', '2017-07-27',
      '0000-00-00', '0000-00-00', 'Active', '', '', '',
      '', 0, 0, '', 0,
      '0000-00-00', '', '', '', '');

-- Chosen options.  optionid = sub-option id; qty used by quantity (6) and
-- yes/no (7) options.  Service 1 matches invoice item 1's description.
INSERT INTO tblhostingconfigoptions (id, relid, configid, optionid, qty) VALUES
  ( 1, 1, 1,  1, 0),   -- DATA CENTER: VIỆT NAM
  ( 2, 1, 2,  2, 0),   -- Server OS: Centos 6.x 64Bit
  ( 3, 1, 3,  5, 0),   -- CPU: 2 Core
  ( 4, 1, 4,  7, 0),   -- RAM: 1GB
  ( 5, 1, 5,  9, 0),   -- HDD: 40G
  ( 6, 1, 6, 11, 3),   -- Extra IP: 3 x IP
  ( 7, 1, 7, 12, 0),   -- Backup: No
  ( 8, 1, 8, 13, 0),   -- Internal note (hidden option)
  ( 9, 2, 2,  3, 0),   -- service 2: Ubuntu 22.04
  (10, 2, 6, 11, 1);   -- service 2: 1 extra IP

-- ----------------------------------------------------------------------
-- Billing
-- ----------------------------------------------------------------------
INSERT INTO tblinvoices
  (id, userid, invoicenum, `date`, duedate, datepaid, subtotal, credit, tax,
   tax2, total, taxrate, taxrate2, status, paymentmethod, notes)
VALUES
  (1, 1, '', '2017-01-06', '2017-01-06', '0000-00-00 00:00:00',
      450000.00, 0.00, 0.00, 0.00, 450000.00, 0.000, 0.000, 'Unpaid', 'banktransfer', ''),
  (2, 2, '', '2017-01-06', '2017-01-06', '0000-00-00 00:00:00',
      300000.00, 0.00, 0.00, 0.00, 300000.00, 0.000, 0.000, 'Unpaid', 'banktransfer', ''),
  (3, 1, '', '2016-05-01', '2016-05-01', '2016-05-01 10:00:00',
      3000000.00, 0.00, 0.00, 0.00, 3000000.00, 0.000, 0.000, 'Paid', 'banktransfer', '');

-- Item 1's description is the exact sample of the old Kdata API; lines are
-- joined with a bare LF (CHAR(10)) so the file does not depend on
-- backslash-escape handling.
INSERT INTO tblinvoiceitems
  (id, invoiceid, userid, type, relid, description, amount, taxed, duedate,
   paymentmethod, notes)
VALUES
  (1, 1, 1, 'Hosting', 1,
      CONCAT_WS(CHAR(10),
        'VPS 01 (06/01/2017 - 05/02/2017)',
        'DATA CENTER: VIỆT NAM',
        'Server OS: Centos 6.x 64Bit',
        'CPU: 2 Core',
        'RAM: 1GB',
        'HDD: 40G',
        'Extra IP: 3 x IP VND50,000VND'),
      450000.00, 0, '2017-01-06', 'banktransfer', ''),
  (2, 2, 2, 'Hosting', 2,
      CONCAT_WS(CHAR(10),
        'VPS 01 (06/01/2017 - 05/02/2017)',
        'Server OS: Ubuntu 22.04 64Bit',
        'Extra IP: 1 x IP VND50,000VND'),
      300000.00, 0, '2017-01-06', 'banktransfer', ''),
  (3, 3, 1, 'Hosting', 3,
      'VPS 02 - vps3.example.com (01/05/2016 - 30/04/2017)',
      3000000.00, 0, '2016-05-01', 'banktransfer', '');

-- Payment that settled invoice 3.
INSERT INTO tblaccounts
  (id, userid, currency, gateway, `date`, description, amountin, fees,
   amountout, rate, transid, invoiceid, refundid)
VALUES
  (1, 1, 1, 'banktransfer', '2016-05-01 10:00:00', 'Invoice Payment',
      3000000.00, 0.00, 0.00, 1.00000, 'TX-0001', 3, 0);
