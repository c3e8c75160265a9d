# Two WHMCS installations behind one Apache: the main server on the
# flavour's database and <VirtualHost kdata_alt> (t/conf/extra.conf.in),
# whose DBDParams name a second database of the other generation (WHMCS
# 7 beside 8, 8 beside 7; t/run-tests makes it).  What a process learns
# of a database (kd_whmcs.c: WHMCS 7 or 8, option names and which
# gateways take cards) belongs to the server it was learnt for
# (sconf->whmcs).  Kept per process instead, the second server reads
# with the first one's knowledge: a WHMCS 8 user's token checked against
# WHMCS 7's tblclients (401), a WHMCS 7 login looked up in tblusers
# (500), the other installation's option names and gateways.  (The
# vhost has no Kdata directive: mod_kdata's AP_MODULE_FLAG_ALWAYS_MERGE
# still gives it a kd_srv_conf, and a kd_whmcs, of its own; see
# extra.conf.in.)
#
# So the same processes must serve both, alternately and fast (the
# snapshots live KdataSchemaRecheck = 2 s): 60 requests, interleaved,
# over keep-alive connections and fresh ones, and each answer must be
# its own side's.  The alt database differs where only the catalogue
# shows it: service 1's OS has another name there, and its bank
# transfer gateway takes cards.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use JSON::PP ();
use MIME::Base64 qw(decode_base64url);

plan tests => 13, need_module 'kdata', 'dbd';

my $alt_db = $ENV{KD_ALT_DB_NAME} or die "KD_ALT_DB_NAME is not set\n";
my $alt_flavour = $ENV{KD_ALT_FLAVOUR} or die "KD_ALT_FLAVOUR is not set\n";
my %side = (
    default   => { db => $ENV{KD_DB_NAME}, v8 => schema_flavour() ne 'whmcs7',
                   os => 'Centos 6.x 64Bit', cc => 0 },
    kdata_alt => { db => $alt_db, v8 => $alt_flavour ne 'whmcs7',
                   os => 'CentOS 6 (the other WHMCS)', cc => 1 },
);
my @sides = qw(default kdata_alt);

# Requests go to $s's server, sql() to $s's database.
sub on {
    my ($s, $code) = @_;
    Apache::TestRequest::module($s);
    local $ENV{KD_DB_NAME} = $side{$s}{db};
    return $code->();
}

ok $side{default}{v8} != $side{kdata_alt}{v8},
    "one WHMCS 8 and one WHMCS 7 ($ENV{KD_DB_NAME}: "
    . ($side{default}{v8} ? 8 : 7) . ", $alt_db: "
    . ($side{kdata_alt}{v8} ? 8 : 7) . ')';

# The alt's catalogue differs (sub-option 2 is service 1's OS, gateway
# row 2 bank transfer's type); undone at the end for a rerun.
on(kdata_alt => sub {
    sql("UPDATE tblproductconfigoptionssub SET optionname = "
        . "'centos6|$side{kdata_alt}{os}' WHERE id = 2");
    sql("UPDATE tblpaymentgateways SET value = 'CC' WHERE id = 2");
});

sub claims_of {
    JSON::PP->new->decode(decode_base64url((split /\./, shift)[1]));
}

# Each side's tokens: one from its own /login (a WHMCS 8 one names the
# user and carries the fingerprint of tblusers' hash, a WHMCS 7 one
# tblclients'), one minted as WHMCS 8 (uid 1, client 1's owner) or 7.
for my $s (@sides) {
    on($s => sub {
        my $minted = $side{$s}{v8} ? mint(sub => 1, uid => 1)
                                   : mint(sub => 1);
        my $res = api('/login', { email => 'namns@example.com',
                                  password => 'secret-pass-1' });
        is $res->code, 200, "$s: /login" or diag $res->content;
        # A failed login fails the loop below too, with the minted token
        # in its place.
        my $t = eval { json_of($res)->{0}{token} } // $minted;
        $side{$s}{tokens} = [$t, $minted];
        is claims_of($t)->{uid}, $side{$s}{v8} ? 1 : undef,
            "$s: its login token names "
            . ($side{$s}{v8} ? 'WHMCS 8 user 1' : 'no user (WHMCS 7)');
    });
}

sub product_body {
    my $os = shift;
    return '{"result":"success","serviceid":"1","product":{"serviceid":"1",'
      . '"regdate":"2017-01-06","nextduedate":"2017-01-06","status":"Pending",'
      . '"domain":"","dedicatedip":"","assignedips":"","billingcycle":"Monthly",'
      . '"username":"","password":"","os":"' . $os . '","cpu":"2 Core",'
      . '"ram":"1GB","hdd":"40G","Extra ip":"3"}}';
}

# One request of the loop: what came back and whether it is $s's answer.
my @ops = (
    [getproduct => sub {
        my ($s, $tok) = @_;
        my $res = api('/api/v1/getproduct', { serviceid => 1 }, token => $tok);
        my $os = eval { json_of($res)->{product}{os} } // '?';
        return ($res, $res->code == 200
                      && $res->content eq product_body($side{$s}{os}),
                "os \"$os\"");
    }],
    [getinvoice => sub {
        my ($s, $tok) = @_;
        my $res = api('/api/v1/getinvoice', { invoiceid => 3 }, token => $tok);
        my $b = eval { json_of($res) } || {};
        return ($res, $res->code == 200 && ($b->{result} || '') eq 'success'
                      && ($b->{invoiceid} || '') eq '3'
                      && ($b->{status} || '') eq 'Paid'
                      && ($b->{total} || '') eq '3000000.00'
                      && JSON::PP::is_bool($b->{ccgateway})
                      && !!$b->{ccgateway} == !!$side{$s}{cc},
                'ccgateway ' . ($b->{ccgateway} ? 'true' : 'false'));
    }],
    [login => sub {
        my ($s) = @_;
        my $res = api('/login', { email => 'namns@example.com',
                                  password => 'secret-pass-1' });
        my $b = eval { json_of($res) } || {};
        my $c = eval { claims_of($b->{0}{token}) } || {};
        return ($res, $res->code == 200 && ($b->{result} || '') eq 'success'
                      && ($b->{user}[0]{id} || 0) == 1
                      && ($c->{sub} || 0) == 1
                      && ($side{$s}{v8} ? ($c->{uid} || 0) == 1
                                        : !exists $c->{uid}),
                'uid ' . ($c->{uid} // 'none'));
    }],
);

# 5 rounds of 12, keep-alive (a connection to each server, reused) and
# not (a connection per request) in turn; sides alternate every
# request, so whichever process takes a request has most likely just
# served the other side.
my (@wrong, %codes, %n, $reused);
my $i = 0;
for my $round (1 .. 5) {
    Apache::TestRequest::user_agent(reset => 1,
                                    keep_alive => $round % 2 ? 2 : 0);
    for (1 .. 12) {
        my $s = $sides[$i % 2];
        my ($name, $op) = @{ $ops[int($i / 2) % @ops] };
        my $tok = $side{$s}{tokens}[int($i / 6) % 2];
        my ($res, $right, $got) = on($s => sub { $op->($s, $tok) });
        $codes{ $res->code }++;
        $n{$s}++;
        $reused ||= (Apache::TestRequest::user_agent_request_num($res) || 0) > 1;
        push @wrong, sprintf('#%d %s %s: %d %s', $i, $s, $name, $res->code,
                             $res->code == 200 ? $got : $res->content)
            unless $right;
        $i++;
    }
}
Apache::TestRequest::user_agent(reset => 1);
Apache::TestRequest::module('default');

is $i, 60, '60 requests';
is_deeply [$n{default}, $n{kdata_alt}], [30, 30], '30 on each server';
ok $reused, 'keep-alive connections served more than one request';
is_deeply \@wrong, [], "every answer is its own database's"
    or diag join "\n", @wrong;
ok !$codes{500}, 'no 500' or diag "$codes{500} x 500";
ok !$codes{401}, 'no 401' or diag "$codes{401} x 401";
is_deeply [keys %codes], [200], 'all 200';

on(kdata_alt => sub {
    sql("UPDATE tblproductconfigoptionssub SET optionname = "
        . "'centos6|Centos 6.x 64Bit' WHERE id = 2");
    sql("UPDATE tblpaymentgateways SET value = 'Invoices' WHERE id = 2");
});
Apache::TestRequest::module('default');
is json_of(api('/api/v1/getproduct', { serviceid => 1 },
               token => $side{default}{tokens}[1]))->{product}{os},
    $side{default}{os}, 'the main server still answers after';
