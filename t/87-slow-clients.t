# Slow clients (catalogue case 71): headers or a body sent at 1 byte/s
# are cut off by mod_reqtimeout (RequestReadTimeout in the test
# config: 2 s, at most 4) with 408 or a closed connection, well before
# httpd's own Timeout; the body is read before any database work, so
# such a client holds no database connection and writes nothing.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use IO::Socket::INET ();
use Time::HiRes qw(time);

plan tests => 16, need_module 'kdata', 'dbd', 'reqtimeout';

my $v8 = schema_flavour() ne 'whmcs7';
my $tok = mint(sub => 1, ($v8 ? (uid => 1) : ()));
my $hostport = Apache::TestRequest::hostport();
my $limit = 20;                 # give up here: the timeout did not work

# Sends $head at once, then $drip one byte a second until the server
# answers or closes; returns what it sent back and when it did.  $during
# runs once, after the first dripped byte.
sub slow_client {
    my ($head, $drip, $during) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 5)
        or die "connect $hostport: $!";
    local $SIG{PIPE} = 'IGNORE';
    my $t0 = time;
    syswrite $s, $head if length $head;
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    my $sent = 0;
    for my $ch (split //, $drip) {
        last if time - $t0 > $limit;
        last unless syswrite $s, $ch;
        $sent++;
        $during->() if $during && $sent == 1;
        last if select(my $rout = $rin, undef, undef, 1.0);
    }
    my $took = time - $t0;
    my $resp = '';
    while (time - $t0 < $limit + 5
           && select(my $rout = $rin, undef, undef, 1.0)) {
        my $n = sysread $s, $resp, 4096, length $resp;
        last unless $n;
    }
    close $s;
    return ($resp, $took, $sent);
}
sub busy_db_connections {
    sql1("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
         . "WHERE USER = 'kdata' AND COMMAND <> 'Sleep'");
}

setting(NoAutoApplyCredit => 'on');
sql('UPDATE tblclients SET credit = 900000.00 WHERE id = 1');
my $ord = json_of(api('/api/v1/addorder', { product => 'VPS 01',
                                            billingcycle => 'monthly' },
                      token => $tok));
my $iid = $ord->{invoiceid};
ok $iid, 'an unpaid invoice to pay';
my $c0 = counts();

# --- slow headers ----------------------------------------------------------------
my ($resp, $took, $sent) = slow_client('', "POST /api/v1/getproduct HTTP/1.1"
    . "\r\nHost: $hostport\r\nAuthorization: Bearer $tok\r\n\r\n");
my $status = $resp eq '' ? 'closed' : (split /\r\n/, $resp)[0];
ok $resp eq '' || $resp =~ m{^HTTP/1\.[01] 408 },
    "slow headers: 408 or closed ($status)";
ok $took >= 1.5 && $took < 8,
    sprintf('slow headers: cut off after %.1f s (%d bytes)', $took, $sent);

# --- slow body --------------------------------------------------------------------------
my $body = "invoiceid=$iid&amount=1.00";
my $busy;
($resp, $took, $sent) = slow_client(
    "POST /api/v1/applycredit HTTP/1.1\r\nHost: $hostport\r\n"
    . "Authorization: Bearer $tok\r\n"
    . "Content-Type: application/x-www-form-urlencoded\r\n"
    . 'Content-Length: ' . length($body) . "\r\n\r\n",
    $body, sub { $busy = busy_db_connections() });
like $resp, qr{^HTTP/1\.[01] 408 }, 'slow body: 408';
like $resp, qr/\r\n\r\n\{"result":"error",
              "message":"Request\ body\ not\ received\ in\ time"\}\z/x,
    'slow body: a JSON body saying why';
ok $took >= 1.5 && $took < 8,
    sprintf('slow body: cut off after %.1f s (%d bytes)', $took, $sent);
ok $sent < length $body, 'slow body: cut off before the body was complete';
is $busy, 0, 'while the body trickles in, no database connection is busy';
is_deeply counts(), $c0, 'slow clients wrote nothing';
is sql1("SELECT status FROM tblinvoices WHERE id = $iid"), 'Unpaid',
    'the invoice is untouched';
is busy_db_connections(), 0, 'afterwards no database connection is busy';

# --- more slow clients than workers (64): cut off, so others get served ------
my @socks;
for (1 .. 70) {
    my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 5)
        or last;
    syswrite $s, 'P';                       # and nothing more
    push @socks, $s;
}
is scalar @socks, 70, '70 slow clients connected';
my $t0 = time;
my $res = api('/api/v1/getproduct', { serviceid => 1 }, token => $tok);
$took = time - $t0;
is $res->code, 200, 'a normal client among them: 200';
ok $took < 10, sprintf('answered in %.1f s', $took);
close $_ for @socks;

# --- and normal clients are served right after --------------------------------------------
$res = api('/api/v1/applycredit', { invoiceid => $iid, amount => '1.00' },
              token => $tok);
is $res->code, 200, 'the same request sent at once: 200';
is sql1("SELECT credit FROM tblinvoices WHERE id = $iid"), '1.00',
    'and it applied the credit once';
