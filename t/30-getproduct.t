# POST /api/v1/getproduct: the seed's shape with the chosen options, the
# ownership rule, and input checks.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;

plan tests => 20, need_module 'kdata', 'dbd';

my $tok = mint(sub => 1);
my $denied = { result => 'error', messages => 'Permission denied!' };

my $res = api('/api/v1/getproduct', { serviceid => 1 }, token => $tok);
is $res->code, 200, 'own service: 200';
is $res->header('Cache-Control'), 'no-store', 'no-store';
is $res->content,
    '{"result":"success","serviceid":"1","product":{"serviceid":"1",'
  . '"regdate":"2017-01-06","nextduedate":"2017-01-06","status":"Pending",'
  . '"domain":"","dedicatedip":"","assignedips":"","billingcycle":"Monthly",'
  . '"username":"","password":"","os":"Centos 6.x 64Bit","cpu":"2 Core",'
  . '"ram":"1GB","hdd":"40G","Extra ip":"3"}}',
    'the seed example, byte for byte';

$res = api('/api/v1/getproduct', { serviceid => 3 }, token => $tok);
is_deeply json_of($res), {
    result => 'success', serviceid => '3',
    product => {
        serviceid => '3', regdate => '2016-05-01',
        nextduedate => '2018-05-01', status => 'Active',
        domain => 'vps3.example.com', dedicatedip => '203.0.113.10',
        assignedips => '203.0.113.11', billingcycle => 'Annually',
        username => 'root', password => '', os => '', cpu => '', ram => '',
        hdd => '', 'Extra ip' => '',
    },
}, 'a service without options: the same keys, empty values';

# another client's service and a missing one: the same answer
for my $sid (2, 4, 999, 2147483647) {
    $res = api('/api/v1/getproduct', { serviceid => $sid }, token => $tok);
    is_deeply [$res->code, json_of($res)], [403, $denied],
        "service $sid (not ours): Permission denied!";
}
$res = api('/api/v1/getproduct', { serviceid => 2 },
           token => mint(sub => 2));
is json_of($res)->{product}{os}, 'Ubuntu 22.04 64Bit',
    'its owner reads it (display part of "ubuntu22|Ubuntu 22.04 64Bit")';

# input
$res = api('/api/v1/getproduct', {}, token => $tok);
is_deeply [$res->code, json_of($res)],
    [400, { result => 'error',
            message => 'The serviceid field is required.' }],
    'serviceid required';
for my $bad ('abc', '1 OR 1=1', '01', '-1', '0', '1.0', '99999999999') {
    $res = api('/api/v1/getproduct', { serviceid => $bad }, token => $tok);
    is_deeply [$res->code, json_of($res)],
        [400, { result => 'error', message => 'Invalid serviceid' }],
        "serviceid '$bad' refused";
}
$res = api('/api/v1/getproduct', { serviceid => 1 }, token => $tok,
           ct => 'application/json');
is json_of($res)->{product}{'Extra ip'}, '3', 'a JSON body works';

# The option catalogue is a per-process snapshot (kd_whmcs.c): an
# option a service uses that the snapshot lacks (added since) is read at
# once, not a minute later.  Service 1 gets a second "os", listed first.
my $os = sql1("SELECT o.id FROM tblhostingconfigoptions hc JOIN "
    . "tblproductconfigoptionssub s ON s.id = hc.optionid JOIN "
    . "tblproductconfigoptions o ON o.id = s.configid WHERE hc.relid = 1 "
    . "AND s.optionname LIKE '%Centos 6.x 64Bit%'");
api('/api/v1/getproduct', { serviceid => 1 }, token => $tok) for 1 .. 8;
select undef, undef, undef, 1.2;      # snapshots over a second old
sql("INSERT INTO tblproductconfigoptions (gid, optionname, optiontype, "
    . "qtyminimum, qtymaximum, `order`, hidden) SELECT gid, optionname, "
    . "optiontype, 0, 0, -1, 0 FROM tblproductconfigoptions WHERE id = $os");
my $new = sql1('SELECT MAX(id) FROM tblproductconfigoptions');
sql("INSERT INTO tblproductconfigoptionssub (configid, optionname, "
    . "sortorder, hidden) VALUES ($new, 'debian12|Debian 12', 0, 0)");
my $sub = sql1('SELECT MAX(id) FROM tblproductconfigoptionssub');
sql("INSERT INTO tblhostingconfigoptions (relid, configid, optionid, qty) "
    . "VALUES (1, $new, $sub, 0)");
my @os = map {
    json_of(api('/api/v1/getproduct', { serviceid => 1 },
                token => $tok))->{product}{os}
} 1 .. 8;
is_deeply \@os, [('Debian 12') x 8],
    'an option added since the snapshot: shown at once';
sql("DELETE FROM tblhostingconfigoptions WHERE configid = $new");
sql("DELETE FROM tblproductconfigoptionssub WHERE id = $sub");
sql("DELETE FROM tblproductconfigoptions WHERE id = $new");
is json_of(api('/api/v1/getproduct', { serviceid => 1 },
               token => $tok))->{product}{os}, 'Centos 6.x 64Bit',
    'and gone again with it';
