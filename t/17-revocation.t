# Revoked tokens live in the WHMCS database (mod_kdata_revoked), checked
# in the same statement as the caller on every route: no flood of other
# traffic, cache restart or eviction brings a logged-out token back; a
# missing table is 503 (never a token accepted unchecked); expired rows
# are purged on the write path.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use JSON::PP ();
use LWP::UserAgent;
use MIME::Base64 qw(decode_base64url);
use Time::HiRes ();

plan tests => 17, need_module 'kdata', 'dbd';

my $invalid = { result => 'error', error => 'token invalid' };
sub claims { JSON::PP->new->decode(decode_base64url((split /\./, $_[0])[1])) }
sub log_text {
    open my $fh, '<', 't/logs/error_log' or die "error_log: $!";
    local $/;
    return <$fh>;
}

# --- logout writes the row -------------------------------------------------------
my $t = login_token('other@example.com', 'other-pass-2');
my $c = claims($t);
is api('/logout', undef, token => $t)->code, 200, 'logout: 200';
is_deeply sql("SELECT jti, expires FROM mod_kdata_revoked "
              . "WHERE jti = '$c->{jti}'"),
    [[$c->{jti}, $c->{exp} + 30 + 1]],
    'the row: the token id, until it expires (exp + leeway + 1)';

# --- every route refuses it ------------------------------------------------------
my %routes = (
    '/api/v1/getproduct' => { serviceid => 2 },
    '/api/v1/getinvoice' => { invoiceid => 2 },
    '/api/v1/getinvoiceproduct' => { serviceid => 2 },
    '/api/v1/addorder' => { product => 'VPS 01', billingcycle => 'monthly' },
    '/api/v1/applycredit' => { invoiceid => 2 },
    '/api/v1/cancelrequest' => { serviceid => 2, reason => 'x' },
    '/api/v1/getclientsproducts' => {},
    '/api/v1/getinvoices' => {},
    '/api/v1/getclientsdetails' => {},
    '/refresh' => undef,
    '/logout' => undef,
);
my $c0 = counts();
my @bad = grep {
    my $res = api($_, $routes{$_}, token => $t);
    !($res->code == 401 && JSON::PP->new->canonical->encode(json_of($res))
      eq JSON::PP->new->canonical->encode($invalid)
      && ($res->header('WWW-Authenticate') || '') =~ /invalid_token/);
} sort keys %routes;
is_deeply \@bad, [], 'every route: 401 token invalid for the revoked token';
is_deeply counts(), $c0, '... and nothing written';

# --- a flood of other traffic does not bring it back ---------------------------------
# What used to evict it from the shared cache: other customers' logins,
# orders with fresh Idempotency-Keys, failed logins from many addresses.
my $other = login_token('namns@example.com', 'secret-pass-1');
login_token('namns@example.com', 'secret-pass-1') for 1 .. 20;
my $tok1 = mint(sub => 1);
setting(NoAutoApplyCredit => 'on');
for my $i (1 .. 25) {
    api('/api/v1/addorder', { product => 'VPS 01', billingcycle => 'monthly' },
        token => $tok1, headers => { 'Idempotency-Key' => "flood-$$-$i" });
}
my $base = 'http://' . Apache::TestRequest::hostport();
for my $a (1 .. 20) {
    my $ua = LWP::UserAgent->new(local_address => "127.0.5.$a",
                                 keep_alive => 0, timeout => 30);
    $ua->post("$base/login", { email => "nobody$a\@example.com",
                               password => 'x' }) for 1 .. 5;
}
my $res = api('/api/v1/getproduct', { serviceid => 2 }, token => $t);
is_deeply [$res->code, json_of($res)], [401, $invalid],
    'after 21 logins, 25 keyed orders, 100 failed logins: still revoked';
is api('/refresh', undef, token => $t)->code, 401,
    '... and it cannot be refreshed into a new token';

# --- refresh: the replaced token is in the table too ---------------------------------
my $u = login_token('other@example.com', 'other-pass-2');
$res = api('/refresh', undef, token => $u);
is $res->code, 200, 'refresh: 200';
is sql1("SELECT COUNT(*) FROM mod_kdata_revoked WHERE jti = '"
        . claims($u)->{jti} . "'"), 1, 'refresh: the old token\'s row';
is api('/api/v1/getproduct', { serviceid => 2 }, token => $u)->code, 401,
    'refresh: the old token is refused';

# --- expired rows are purged on the write path ------------------------------------------
my $now = time;
sql("INSERT INTO mod_kdata_revoked (jti, expires) VALUES "
    . join ', ', map { "('old-$$-$_', " . ($now - 60) . ")" } 1 .. 5);
Time::HiRes::sleep(1.1);        # at most one purge a second per process
my $v = login_token('other@example.com', 'other-pass-2');
is api('/logout', undef, token => $v)->code, 200, 'another logout';
is sql1("SELECT COUNT(*) FROM mod_kdata_revoked WHERE expires < $now"), 0,
    '... purged the expired rows';
is sql1("SELECT COUNT(*) FROM mod_kdata_revoked WHERE jti = '$c->{jti}'"),
    1, '... and kept the live ones';

# --- the table missing: 503, never a token accepted unchecked ----------------------------
my $log0 = length log_text();
my $w = login_token('other@example.com', 'other-pass-2');
sql('RENAME TABLE mod_kdata_revoked TO mod_kdata_revoked_gone');
$res = api('/api/v1/getproduct', { serviceid => 2 }, token => $w);
is_deeply [$res->code, json_of($res)],
    [503, { result => 'error', message => 'Service temporarily '
            . 'unavailable, try again later' }],
    'table missing: a token route is 503';
is $res->header('Retry-After'), 5, '... with Retry-After';
is api('/logout', undef, token => $w)->code, 503, '... logout too';
sql('RENAME TABLE mod_kdata_revoked_gone TO mod_kdata_revoked');
like substr(log_text(), $log0),
    qr/KD00307: kd_\w+: .*mod_kdata_revoked.* install mod_kdata's tables with conf\/mod_kdata\.sql/,
    'the log names the table and the file that creates it';
is api('/api/v1/getproduct', { serviceid => 2 }, token => $w)->code, 200,
    'the table back: the token works';
