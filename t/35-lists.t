# The list calls (issue 12): getclientsproducts, getinvoices and
# getclientsdetails in WHMCS's API shapes, for the caller's own client
# only, within a WHMCS 8 user's permissions; filters, paging, Draft
# invoices never shown, secrets never sent, input checks.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use JSON::PP ();
use POSIX qw(strftime);

plan tests => 84, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $C = 41;                     # a client of this test's own
my $tok = mint(sub => $C, ($v8 ? (uid => $C) : ()));
my $tok1 = mint(sub => 1, ($v8 ? (uid => 1) : ()));
my $denied = { result => 'error', messages => 'Permission denied!' };
my $future = strftime('%Y-%m-%d', localtime(time + 30 * 86400));
sub call { api("/api/v1/$_[0]", $_[1], token => $_[2] || $tok, @_[3 .. $#_]) }
sub bad { { result => 'error', message => $_[0] } }

# --- the data: client 41, its services, options and invoices ----------------
add_account($C, 'lists@example.com', 'x');
sql("UPDATE tblclients SET firstname = 'List', lastname = 'Tester', "
    . "companyname = 'Lists Ltd', currency = 2, credit = 123.45, "
    . "notes = 'ADMIN-NOTE', securityqans = 'SECRET-ANSWER' WHERE id = $C");
sql("INSERT INTO tblservers (id, name, ipaddress, assignedips, hostname, "
    . "noc, statusaddress, nameserver1, nameserver1ip, nameserver2, "
    . "nameserver2ip, nameserver3, nameserver3ip, nameserver4, "
    . "nameserver4ip, nameserver5, nameserver5ip, type, username, "
    . "password, accesshash, secure, active, disabled) VALUES (41, "
    . "'Saturn', '198.51.100.7', '', 'saturn.example.com', '', '', '', '', "
    . "'', '', '', '', '', '', '', '', '', 'root', 'SERVER-PASS', '', '', "
    . "1, 0)");
my $svc_cols = "(id, userid, orderid, packageid, server, regdate, domain, "
    . "paymentmethod, firstpaymentamount, amount, billingcycle, nextduedate, "
    . "nextinvoicedate, domainstatus, username, password, notes, "
    . "subscriptionid, promoid, suspendreason, overideautosuspend, "
    . "overidesuspenduntil, dedicatedip, assignedips, ns1, ns2)";
sql("INSERT INTO tblhosting $svc_cols VALUES "
    . "(4101, $C, 0, 1, 41, '2020-01-15', 'a.example.com', 'paypal', 12.34, "
    . "10.05, 'Monthly', '2020-02-15', '2020-02-15', 'Active', 'alice', "
    . "'ENC:SVC-PASS', 'ADMIN-NOTE', 'SUB-1', 0, '', 0, '0000-00-00', "
    . "'198.51.100.8', '', 'ns1.example.com', 'ns2.example.com'), "
    . "(4102, $C, 0, 2, 0, '2020-03-01', 'b.example.com', 'banktransfer', "
    . "0, 0, 'Free Account', '0000-00-00', '0000-00-00', 'Suspended', '', "
    . "'', '', '', 0, 'Overdue on payment', 0, '0000-00-00', '', '', '', ''), "
    . "(4103, $C, 0, 1, 0, '2020-04-01', 'c.example.com', 'banktransfer', "
    . "30, 30, 'Quarterly', '2020-07-01', '2020-07-01', 'Pending', '', '', "
    . "'', '', 0, '', 0, '0000-00-00', '', '', '', ''), "
    . "(4104, $C, 0, 1, 0, '2020-05-01', 'a.example.com', 'banktransfer', "
    . "120, 120, 'Annually', '2021-05-01', '2021-05-01', 'Cancelled', '', "
    . "'', '', '', 0, '', 0, '0000-00-00', '', '', '', '')");
# Backup (7) listed before the OS (2) in the table, a hidden option (8)
# and a row whose option is gone (999).
sql("INSERT INTO tblhostingconfigoptions (relid, configid, optionid, qty) "
    . "VALUES (4101, 7, 12, 1), (4101, 999, 0, 0), (4101, 8, 13, 0), "
    . "(4101, 6, 11, 2), (4101, 2, 4, 0)");
# Product 1's custom fields: one a client sees ("machine|Display" name),
# one admin only, one a password, one without a value; values for the
# first three on 4101, twice for the first (no unique key stops it).
sql("INSERT INTO tblcustomfields (id, type, relid, fieldname, fieldtype, "
    . "description, fieldoptions, regexpr, adminonly, required, showorder, "
    . "showinvoice, sortorder) VALUES "
    . "(4101, 'product', 1, 'hostname|Server hostname', 'text', '', '', "
    . "'', '', '', 'on', '', 2), "
    . "(4102, 'product', 1, 'Admin ref', 'text', '', '', '', 'on', '', '', "
    . "'', 0), "
    . "(4103, 'product', 1, 'Root password', 'password', '', '', '', '', "
    . "'', 'on', '', 1), "
    . "(4104, 'product', 1, 'Rack', 'text', '', '', '', '', '', 'on', '', "
    . "2)");
sql("INSERT INTO tblcustomfieldsvalues (fieldid, relid, value) VALUES "
    . "(4101, 4101, 'srv1.example.com'), (4101, 4101, 'srv1.example.com'), "
    . "(4102, 4101, 'ADMIN-REF'), (4103, 4101, 'FIELD-PASS')");
my $inv_cols = "(id, userid, invoicenum, `date`, duedate, datepaid, "
    . "subtotal, credit, tax, tax2, total, taxrate, taxrate2, status, "
    . "paymentmethod, notes)";
my @inv = (
    [4101, '',      '2020-01-01', '2020-01-08', '10.05',   'Unpaid'],
    [4102, '',      '2020-02-01', $future,      '100.00',  'Unpaid'],
    [4103, 'INV-9', '2019-12-01', '2019-12-08', '1234.56', 'Paid'],
    [4104, '',      '2020-03-01', '2020-03-08', '0.10',    'Cancelled'],
    [4105, '',      '2020-04-01', '2020-04-08', '50.00',   'Draft'],
    [4106, '',      '2020-05-01', '2020-05-08', '5.00',    'Refunded'],
    [4107, '',      '2020-06-01', '2020-06-08', '7.77',    'Payment Pending'],
    [4108, '',      '2020-07-01', '2020-07-08', '8.88',    'Collections'],
);
sql("INSERT INTO tblinvoices $inv_cols VALUES " . join(', ', map {
    my ($id, $num, $d, $due, $total, $st) = @$_;
    my $paid = $st eq 'Paid' ? '2019-12-05 09:30:00' : '0000-00-00 00:00:00';
    my ($sub, $tax, $rate) = $id == 4107 ? ('7.07', '0.70', '10.125')
                                         : ($total, '0.00', '0.000');
    my $notes = $id == 4108 ? 'Handed to agency' : '';
    "($id, $C, '$num', '$d', '$due', '$paid', $sub, 0.00, $tax, 0.00, "
    . "$total, $rate, 0.000, '$st', 'banktransfer', '$notes')"
} @inv));

# --- getclientsproducts -----------------------------------------------------
my %p1 = (
    id => '4101', clientid => "$C", orderid => '0', ordernumber => '',
    pid => '1', regdate => '2020-01-15', name => 'VPS 01',
    groupname => 'VPS', domain => 'a.example.com',
    dedicatedip => '198.51.100.8', serverid => '41', servername => 'Saturn',
    serverip => '198.51.100.7', serverhostname => 'saturn.example.com',
    suspensionreason => '', firstpaymentamount => '12.34',
    recurringamount => '10.05', paymentmethod => 'paypal',
    paymentmethodname => 'PayPal', billingcycle => 'Monthly',
    nextduedate => '2020-02-15', status => 'Active', username => 'alice',
    ns1 => 'ns1.example.com', ns2 => 'ns2.example.com', assignedips => '',
    diskusage => '0', disklimit => '0', bwusage => '0', bwlimit => '0',
    lastupdate => '0000-00-00 00:00:00',
    customfields => { customfield => [
        { id => '4101', name => 'Server hostname',
          value => 'srv1.example.com' },
        { id => '4104', name => 'Rack', value => '' },
    ] },
    configoptions => { configoption => [
        { id => '2', option => 'Server OS', type => 'dropdown',
          value => 'Windows Server 2019' },
        { id => '6', option => 'Extra IP', type => 'quantity', value => '2' },
        { id => '7', option => 'Backup', type => 'yesno', value => '1' },
    ] },
);
my $res = call('getclientsproducts', { serviceid => 4101 });
is $res->code, 200, 'getclientsproducts: 200';
my $json = JSON::PP->new->canonical(0);
my $exp = '{"result":"success","clientid":"41","serviceid":"4101",'
    . '"pid":null,"domain":null,"totalresults":"1","startnumber":0,'
    . '"numreturned":1,"products":{"product":[{' . join(',', map {
        my $k = $_;
        my %sub = (customfields => [customfield => qw(id name value)],
                   configoptions => [configoption => qw(id option type
                                                        value)]);
        my ($list, @keys) = @{ $sub{$k} || [] };
        $list ? qq("$k":{"$list":[) . join(',', map {
                    my $o = $_;
                    '{' . join(',', map { qq("$_":"$o->{$_}") } @keys) . '}'
                } @{ $p1{$k}{$list} }) . ']}'
              : qq("$k":"$p1{$k}")
    } qw(id clientid orderid ordernumber pid regdate name groupname domain
         dedicatedip serverid servername serverip serverhostname
         suspensionreason firstpaymentamount recurringamount paymentmethod
         paymentmethodname billingcycle nextduedate status username ns1 ns2
         assignedips diskusage disklimit bwusage bwlimit lastupdate
         customfields configoptions)) . '}]}}';
is $res->content, $exp, 'one service: WHMCS\'s keys, order and types, '
    . 'fields and options in WHMCS\'s order, byte for byte';
unlike $res->content,
    qr/SVC-PASS|ADMIN-NOTE|SUB-1|password|notes|Internal|ADMIN-REF|FIELD/,
    'no password, admin notes, subscription id, hidden option, admin-only '
    . 'or password field';

sub ids { [map { $_->{id} } @{ ref $_[0]{products} ? $_[0]{products}{product}
                                                    : [] }] }
my $all = json_of(call('getclientsproducts', {}));
is_deeply [@$all{qw(totalresults startnumber numreturned)}], ['4', 0, 4],
    'all four: totalresults "4" (a string, as WHMCS), 4 returned';
is_deeply ids($all), [qw(4101 4102 4103 4104)], 'by id';
is_deeply $all->{products}{product}[0], \%p1, 'the first with its options';
is_deeply { map { $_ => $all->{products}{product}[1]{$_} }
            qw(name nextduedate status suspensionreason billingcycle
               firstpaymentamount serverid servername customfields
               configoptions) },
    { name => 'VPS 02', nextduedate => '0000-00-00', status => 'Suspended',
      suspensionreason => 'Overdue on payment',
      billingcycle => 'Free Account', firstpaymentamount => '0.00',
      serverid => '0', servername => '', customfields => {
          customfield => [] }, configoptions => { configoption => [] } },
    'a free, suspended service without options, fields or server';
is_deeply $all->{products}{product}[2]{customfields}{customfield},
    [{ id => '4101', name => 'Server hostname', value => '' },
     { id => '4104', name => 'Rack', value => '' }],
    'a service of the same product without values: its fields, empty';

my %filter = (
    'pid 2' => [{ pid => 2 }, ['4102']],
    'domain' => [{ domain => 'a.example.com' }, ['4101', '4104']],
    'status' => [{ status => 'Suspended' }, ['4102']],
    'pid and status' => [{ pid => 1, status => 'Active' }, ['4101']],
    'another client\'s service' => [{ serviceid => 1 }, []],
);
for my $t (sort keys %filter) {
    my ($args, $want) = @{ $filter{$t} };
    my $b = json_of(call('getclientsproducts', $args));
    is_deeply [ids($b), $b->{totalresults}, $b->{numreturned}],
        [$want, scalar(@$want) . '', scalar @$want], "filter: $t";
}
$res = call('getclientsproducts', { serviceid => 1 });
is_deeply [@{ json_of($res) }{qw(totalresults numreturned products)}],
    ['0', 0, ''], 'none: products "" (as WHMCS)';
is json_of(call('getclientsproducts', { domain => 'a.example.com' }))
    ->{domain}, 'a.example.com', 'a filter is echoed';

my $page = json_of(call('getclientsproducts', { limitstart => 2,
                                                limitnum => 2 }));
is_deeply [ids($page), @$page{qw(totalresults startnumber numreturned)}],
    [['4103', '4104'], '4', 2, 2], 'paging: limitstart 2, limitnum 2';
$page = json_of(call('getclientsproducts', { limitstart => 1,
                                             limitnum => 1 }));
is_deeply ids($page), ['4102'], 'paging: limitstart 1, limitnum 1';
$page = json_of(call('getclientsproducts', { limitstart => 10 }));
is_deeply [@$page{qw(totalresults startnumber numreturned products)}],
    ['4', 10, 0, ''], 'paging: past the end';

# Client 1 may have more services than a default page by now (earlier
# files order for it): one page of the most WHMCS allows here.
my $one = json_of(call('getclientsproducts', { limitnum => 250 }, $tok1));
ok !grep({ $_->{clientid} ne '1' || $_->{id} =~ /^410[1-4]$/ }
         @{ $one->{products}{product} }),
    'client 1 sees only its own services';
is_deeply [map { $_->{id} } @{ $one->{products}{product} }],
    [map { $_->[0] } @{ sql('SELECT id FROM tblhosting WHERE userid = 1 '
                            . 'ORDER BY id LIMIT 250') }],
    'all of them';

# --- getinvoices ------------------------------------------------------------
sub inv_ids { [map { $_->{id} } @{ ref $_[0]{invoices} eq 'HASH'
                                   ? $_[0]{invoices}{invoice} : [] }] }
$res = call('getinvoices', { status => 'Overdue' });
is $res->code, 200, 'getinvoices: 200';
is $res->content, '{"result":"success","totalresults":1,"startnumber":0,'
    . '"numreturned":1,"invoices":{"invoice":[{"id":4101,"userid":41,'
    . '"firstname":"List","lastname":"Tester","companyname":"Lists Ltd",'
    . '"invoicenum":"","date":"2020-01-01","duedate":"2020-01-08",'
    . '"datepaid":"0000-00-00 00:00:00",'
    . '"last_capture_attempt":"0000-00-00 00:00:00","subtotal":"10.05",'
    . '"credit":"0.00","tax":"0.00","tax2":"0.00","total":"10.05",'
    . '"taxrate":"0.00","taxrate2":"0.00","status":"Unpaid",'
    . '"paymentmethod":"banktransfer","notes":"","currencycode":"USD",'
    . '"currencyprefix":"$","currencysuffix":" USD"}]}}',
    'Overdue: Unpaid and due before today; WHMCS\'s keys and types, '
    . 'byte for byte';

my $list = json_of(call('getinvoices', {}));
is_deeply [@$list{qw(totalresults startnumber numreturned)}, inv_ids($list)],
    [7, 0, 7, [4101, 4102, 4103, 4104, 4106, 4107, 4108]],
    'every invoice but the Draft, by id';
my ($i7) = grep { $_->{id} == 4107 } @{ $list->{invoices}{invoice} };
is_deeply [@$i7{qw(subtotal tax total taxrate status)}],
    ['7.07', '0.70', '7.77', '10.125', 'Payment Pending'],
    'exact amounts; a three-decimal tax rate';
my ($i3) = grep { $_->{id} == 4103 } @{ $list->{invoices}{invoice} };
is_deeply [@$i3{qw(invoicenum datepaid total)}],
    ['INV-9', '2019-12-05 09:30:00', '1234.56'], 'a paid one';

my %st = (Unpaid => [4101, 4102], Paid => [4103], Cancelled => [4104],
          Refunded => [4106], 'Payment Pending' => [4107],
          Collections => [4108]);
for my $s (sort keys %st) {
    my $b = json_of(call('getinvoices', { status => $s }));
    is_deeply [inv_ids($b), $b->{totalresults}],
        [$st{$s}, scalar @{ $st{$s} }],
        "status $s";
}
is_deeply inv_ids(json_of(call('getinvoices',
                                { status => 'payment pending' }))), [4107],
    'a status in any case, as WHMCS\'s collation compares it';
is_deeply ids(json_of(call('getclientsproducts',
                            { status => 'SUSPENDED' }))), ['4102'],
    'a service status too';
is_deeply json_of(call('getinvoices', { status => 'Draft' })),
    bad('Invalid status: valid values are Unpaid,Paid,Cancelled,Refunded,'
        . 'Collections,Payment Pending,Overdue'),
    'Draft is never listed, not even asked for';

my %order = (
    'total desc' => [{ orderby => 'total', order => 'desc' },
                     [4103, 4102, 4101, 4108, 4107, 4106, 4104]],
    'status asc' => [{ orderby => 'status' },
                     [4104, 4108, 4103, 4107, 4106, 4101, 4102]],
    'date asc' => [{ orderby => 'date', order => 'ASC' },
                   [4103, 4101, 4102, 4104, 4106, 4107, 4108]],
    'duedate desc' => [{ orderby => 'duedate', order => 'desc' },
                       [4102, 4108, 4107, 4106, 4104, 4101, 4103]],
    'invoicenumber asc' => [{ orderby => 'invoicenumber' },
                            [4101, 4102, 4104, 4106, 4107, 4108, 4103]],
    'id desc' => [{ orderby => 'ID', order => 'desc' },
                  [4108, 4107, 4106, 4104, 4103, 4102, 4101]],
);
for my $t (sort keys %order) {
    my ($args, $want) = @{ $order{$t} };
    is_deeply inv_ids(json_of(call('getinvoices', $args))), $want,
        "orderby $t";
    # pages of two, in the same order, make up the whole list
    my @got;
    for my $start (0, 2, 4, 6) {
        push @got, @{ inv_ids(json_of(call('getinvoices',
            { %$args, limitstart => $start, limitnum => 2 }))) };
    }
    is_deeply \@got, $want, "orderby $t: pages of two";
}
$page = json_of(call('getinvoices', { limitstart => 100 }));
is_deeply [@$page{qw(totalresults startnumber numreturned invoices)}],
    [7, 100, 0, []], 'past the end: none, invoices [] (as WHMCS)';
$page = json_of(call('getinvoices', { status => 'Unpaid', limitnum => 1 },
                     $tok, ct => 'application/json'));
is_deeply [@$page{qw(totalresults numreturned)}, inv_ids($page)],
    [2, 1, [4101]], 'a JSON body (numbers as JSON numbers)';

my $l1 = json_of(call('getinvoices', { limitnum => 250 }, $tok1));
is_deeply inv_ids($l1), [map { $_->[0] } @{ sql('SELECT id FROM '
    . "tblinvoices WHERE userid = 1 AND status <> 'Draft' ORDER BY id") }],
    'client 1 sees only its own invoices';
is_deeply [@{ $l1->{invoices}{invoice}[0] }{qw(currencycode currencyprefix)}],
    ['VND', 'VND'], 'in its own currency';

# --- getclientsdetails ------------------------------------------------------
my $uuid = sql1("SELECT uuid FROM tblclients WHERE id = $C");
$res = call('getclientsdetails', {});
is $res->content, '{"result":"success","client":{"client_id":41,'
    . '"userid":41,"id":41,"uuid":"' . $uuid . '","firstname":"List",'
    . '"lastname":"Tester","fullname":"List Tester",'
    . '"companyname":"Lists Ltd","email":"lists@example.com",'
    . '"address1":"","address2":"","city":"","state":"","postcode":"",'
    . '"countrycode":"VN","country":"VN","phonenumber":"","currency":2,'
    . '"currency_code":"USD","defaultgateway":"","groupid":0,'
    . '"status":"Active","credit":"123.45","taxexempt":false,'
    . '"language":""}}',
    'getclientsdetails: the credit balance and currency, byte for byte';
unlike call('getclientsdetails', {}, $tok1)->content,
    qr/SECRET|ENC:|RESETKEY|4242|\$2y\$|password|notes/,
    'no password, security answer, card, bank or admin notes';
sql("UPDATE tblclients SET currency = 0 WHERE id = $C");
is json_of(call('getclientsdetails', {}))->{client}{currency_code}, 'VND',
    'currency 0: the default currency';
is_deeply [@{ json_of(call('getinvoices', { status => 'Paid' }))
              ->{invoices}{invoice}[0] }{qw(currencycode currencysuffix)}],
    ['VND', 'VND'], 'and so on invoices';
sql("UPDATE tblclients SET currency = 2 WHERE id = $C");

# --- WHMCS 8 users act within their permissions -----------------------------
SKIP: {
    skip 'WHMCS 8 users only', 8 unless $v8;
    sql("INSERT INTO tblusers_clients (auth_user_id, client_id, invite_id, "
        . "owner, permissions, created_at, updated_at) VALUES (7, $C, 0, 0, "
        . "'products', NOW(), NOW())");
    my $u7 = mint(sub => $C, uid => 7);
    is_deeply ids(json_of(call('getclientsproducts', {}, $u7))),
        [qw(4101 4102 4103 4104)], 'user with "products": lists services';
    for my $op (qw(getinvoices getclientsdetails)) {
        $res = call($op, {}, $u7);
        is_deeply [$res->code, json_of($res)], [403, $denied],
            "user without \"invoices\"/\"profile\": $op denied";
    }
    sql("UPDATE tblusers_clients SET permissions = 'invoices,profile' "
        . "WHERE auth_user_id = 7 AND client_id = $C");
    $res = call('getclientsproducts', {}, $u7);
    is_deeply [$res->code, json_of($res)], [403, $denied],
        'user without "products": getclientsproducts denied';
    is json_of(call('getinvoices', {}, $u7))->{totalresults}, 7,
        'user with "invoices": lists invoices';
    is json_of(call('getclientsdetails', {}, $u7))->{client}{credit},
        '123.45', 'user with "profile": reads the credit balance';
    sql("DELETE FROM tblusers_clients WHERE auth_user_id = 7 "
        . "AND client_id = $C");
    $res = call('getinvoices', {}, $u7);
    is_deeply [$res->code, json_of($res)->{error}], [401, 'token invalid'],
        'user no longer linked: token invalid';
    is call('getinvoices', {}, mint(sub => 1, uid => 7))->code, 200,
        'their link to client 1 ("invoices") still reads';
}

# --- input ------------------------------------------------------------------
my @bad = (
    [getinvoices => { limitnum => 0 }, 'Invalid limitnum'],
    [getinvoices => { limitnum => 251 }, 'Invalid limitnum'],
    [getinvoices => { limitnum => '-1' }, 'Invalid limitnum'],
    [getinvoices => { limitnum => '05' }, 'Invalid limitnum'],
    [getinvoices => { limitnum => '1e3' }, 'Invalid limitnum'],
    [getinvoices => { limitstart => '-5' }, 'Invalid limitstart'],
    [getinvoices => { limitstart => '99999999999' }, 'Invalid limitstart'],
    [getclientsproducts => { limitstart => ' 1' }, 'Invalid limitstart'],
    [getclientsproducts => { serviceid => '1 OR 1=1' }, 'Invalid serviceid'],
    [getclientsproducts => { pid => 'abc' }, 'Invalid pid'],
    [getclientsproducts => { domain => 'x' x 256 }, 'Invalid domain'],
    [getclientsproducts => { status => 'Activ' },
     'Invalid status: valid values are Pending,Active,Suspended,Terminated,'
     . 'Cancelled,Fraud,Completed'],
    [getinvoices => { orderby => 'notes' }, 'Invalid orderby: valid values '
     . 'are id,invoicenumber,date,duedate,total,status'],
    [getinvoices => { order => 'up' },
     'Invalid order: valid values are asc,desc'],
);
for my $b (@bad) {
    my ($op, $args, $msg) = @$b;
    $res = call($op, $args);
    my ($k) = keys %$args;
    is_deeply [$res->code, json_of($res)], [400, bad($msg)],
        "$op: $k '" . substr($args->{$k}, 0, 12) . "' refused";
}
for my $t ([getclientsproducts => 'clientid'], [getinvoices => 'userid'],
           [getclientsdetails => 'clientid']) {
    my ($op, $k) = @$t;
    is call($op, { $k => $C })->code, 200, "$op: $k naming the caller: 200";
    $res = call($op, { $k => 1 });
    is_deeply [$res->code, json_of($res)], [403, $denied],
        "$op: $k naming another client: Permission denied!";
}
is call('getclientsproducts', {}, mint(sub => 999))->code, 401,
    'a client that no longer exists: 401';
$res = api('/api/v1/getinvoices', {});
is_deeply [$res->code, json_of($res)->{error}], [401, 'token not provided'],
    'no token: 401';

# leave the database as it was
sql("DELETE FROM tblhostingconfigoptions WHERE relid BETWEEN 4101 AND 4104");
sql("DELETE FROM tblcustomfieldsvalues WHERE fieldid BETWEEN 4101 AND 4104");
sql("DELETE FROM tblcustomfields WHERE id BETWEEN 4101 AND 4104");
sql("DELETE FROM tblhosting WHERE userid = $C");
sql("DELETE FROM tblinvoices WHERE userid = $C");
sql("DELETE FROM tblservers WHERE id = 41");
sql("DELETE FROM tblusers_clients WHERE client_id = $C") if $v8;
sql("DELETE FROM tblusers WHERE id = $C") if $v8;
sql("DELETE FROM tblclients WHERE id = $C");
# The ids the rows above took are free again for the files after this
# one, which expect the next order's ids right after the fixtures' (an
# InnoDB counter set below the largest id is raised to it plus one).
sql("ALTER TABLE $_ AUTO_INCREMENT = 1")
    for qw(tblhosting tblhostingconfigoptions tblcustomfields
           tblcustomfieldsvalues tblinvoices tblservers tblclients),
        $v8 ? qw(tblusers tblusers_clients) : ();
