# A connection lost at BEGIN or at COMMIT (the database killed under
# load, t/95-outage-load.t, lands there now and then): 503 with
# Retry-After like any lost connection, not 500.  BEGIN and COMMIT are
# the statements "START TRANSACTION" and "COMMIT" (kd_db.c); a failure
# that does not say the connection went still makes the module ask the
# connection (a ping) whether it is gone.
#
# To lose it at exactly that moment, the server kdata_blackhole
# (t/conf/extra.conf.in; t/84-db-connect-timeout.t's, whose database is
# 127.0.0.1:$KD_BLACKHOLE_PORT) gets a proxy there to the test database
# that passes everything until it sees the statement it is told to cut
# at, then closes both sides, as a database that died would.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use IO::Select ();
use IO::Socket::INET ();
use File::Temp ();
use POSIX ();

plan tests => 10, need_module 'kdata', 'dbd';

my $bport = $ENV{KD_BLACKHOLE_PORT} or die "KD_BLACKHOLE_PORT is not set\n";
my $dbport = $ENV{KD_DB_PORT};
my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };
my $tmp = File::Temp::tempdir(CLEANUP => 1);
my $mode = "$tmp/cut-at";               # what to cut at ('' = nothing)
my $cuts = "$tmp/cuts";                 # one line per connection cut

sub cut_at {
    open my $fh, '>', $mode or die "$mode: $!";
    print $fh shift;
    close $fh;
}
sub cuts {
    open my $fh, '<', $cuts or return 0;
    my @l = <$fh>;
    return scalar @l;
}
cut_at('');

my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                   LocalPort => $bport, Listen => 64,
                                   ReuseAddr => 1, Proto => 'tcp')
    or die "proxy on 127.0.0.1:$bport: $!\n";
my $proxy = fork // die "fork: $!";
if (!$proxy) {
    alarm 120;                  # never outlives a test that died early
    my $sel = IO::Select->new($listen);
    my (%peer, %client);
    my $drop = sub {
        my $s = shift;
        my $p = delete $peer{fileno $s};
        for my $x ($s, $p ? $p : ()) {
            delete $peer{fileno $x};
            delete $client{fileno $x};
            $sel->remove($x);
            close $x;
        }
    };
    while (1) {
        for my $s ($sel->can_read) {
            if ($s == $listen) {
                my $c = $listen->accept or next;
                my $d = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                              PeerPort => $dbport)
                    or do { close $c; next };
                $peer{fileno $c} = $d;
                $peer{fileno $d} = $c;
                $client{fileno $c} = 1;
                $sel->add($c, $d);
                next;
            }
            my $p = $peer{fileno $s} or next;
            my $n = sysread $s, my $buf, 65536;
            if (!$n) {
                $drop->($s);
                next;
            }
            if ($client{fileno $s}) {
                open my $fh, '<', $mode;
                my $at = do { local $/; <$fh> } // '';
                # A COM_QUERY packet (0x03) with that text.
                if ($at ne '' && index($buf, "\x03$at") >= 0) {
                    open my $cf, '>>', $cuts;
                    print $cf "$at\n";
                    close $cf;
                    $drop->($s);
                    next;
                }
            }
            syswrite $p, $buf;
        }
    }
}
close $listen;
END { kill 'TERM', $proxy if $proxy }

Apache::TestRequest::user_agent(reset => 1, keep_alive => 0)->timeout(20);
Apache::TestRequest::module('kdata_blackhole');

setting(NoAutoApplyCredit => 'on');
sql('UPDATE tblclients SET credit = 900000.00 WHERE id = 2');
my $tok = mint(sub => 2);
sub order {
    api('/api/v1/addorder', { product => 'VPS 01',
                              billingcycle => 'monthly' }, token => $tok);
}

my $res = order();
is $res->code, 200, 'through the proxy: an order';
my $iid = json_of($res)->{invoiceid};

# --- lost at COMMIT: the statement "COMMIT" ---------------------------------
my $c0 = counts();
cut_at('COMMIT');
$res = order();
is_deeply [$res->code, eval { json_of($res) }], [503, $down],
    'connection lost at COMMIT: 503'
    or diag $res->content;
is $res->header('Retry-After'), '5', 'with Retry-After';
is cuts(), 1, 'the proxy cut one connection, at COMMIT';
is_deeply counts(), $c0, 'nothing written';

# --- lost at BEGIN: the statement "START TRANSACTION" ------------------------
cut_at('START TRANSACTION');
$res = api('/api/v1/applycredit', { invoiceid => $iid }, token => $tok);
is_deeply [$res->code, eval { json_of($res) }], [503, $down],
    'connection lost at BEGIN: 503'
    or diag $res->content;
is cuts(), 2, 'the proxy cut one more connection, at BEGIN';
is_deeply counts(), $c0, 'nothing written';

# --- and then: the dead connection is thrown away, the next one works -------
cut_at('');
$res = api('/api/v1/applycredit', { invoiceid => $iid }, token => $tok);
is json_of($res)->{invoicepaid}, 'true', 'the same payment then works';
like do { local $/; open my $fh, '<', 't/logs/error_log'; <$fh> },
    qr{KD00302: statement COMMIT failed \(20\d\d\)},
    'the log says which statement lost it';
