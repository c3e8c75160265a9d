# A database host that stops answering (catalogue case 99, a network
# partition): TCP connects, then nothing, not even MariaDB's greeting.
# The server kdata_blackhole (t/conf/extra.conf.in) has its database at
# a port where this test listens, accepts and never writes; its
# DBDParams name "group=kdata_t", the option file section where
# t/run-tests put connect-timeout=2.  Connector/C applies that to the
# handshake too, so a request needing a connection gets the 503 JSON
# with Retry-After in about 2 s instead of waiting forever; without the
# group (or the option) it hangs and the UA timeout below fails the test.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use IO::Socket::INET ();
use File::Temp ();
use POSIX ();
use Time::HiRes qw(time);

plan tests => 8, need_module 'kdata', 'dbd';

my $port = $ENV{KD_BLACKHOLE_PORT} or die "KD_BLACKHOLE_PORT is not set\n";
my $tok = mint(sub => 1);
my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };

# Listening before the fork, so no request can come before the socket
# exists.  The child accepts, notes each connection in $seen (proof the
# request reached the black hole rather than failing some other way)
# and keeps them all open, never reading or writing.
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                   LocalPort => $port, Listen => 64,
                                   ReuseAddr => 1, Proto => 'tcp')
    or die "black hole on 127.0.0.1:$port: $!\n";
my $seen = File::Temp->new;
my $hole = fork // die "fork: $!";
if (!$hole) {
    alarm 120;                  # never outlives a test that died early
    my @held;
    while (my $c = $listen->accept) {
        push @held, $c;
        if (open my $fh, '>>', $seen->filename) {
            syswrite $fh, 'x';
        }
    }
    POSIX::_exit(0);
}
close $listen;
my $stopped = 0;
END { kill 'TERM', $hole if $hole && !$stopped }

# LWP's timeout (Apache::Test sets 600 s): long enough for a slow
# machine, short enough that a hang fails instead of stalling the suite.
Apache::TestRequest::user_agent(reset => 1, keep_alive => 0)->timeout(20);

Apache::TestRequest::module('kdata_blackhole');
my $host = Apache::TestRequest::hostport();
my $t0 = time;
my $res = api('/api/v1/getproduct', { serviceid => 1 }, token => $tok);
my $took = time - $t0;
is $res->code, 503, "getproduct on $host, database a black hole: 503"
    or diag $res->status_line;
my $body = eval { json_of($res) };   # not JSON if LWP timed out
is_deeply $body, $down, 'the body';
is $res->header('Retry-After'), '5', 'Retry-After';
# At least one connect-timeout (2 s) waited out; under 6 s: that one
# attempt, not a hang (mod_kdata stops trying after 1.5 s of failures).
ok $took >= 1.5, sprintf('waited for the connect timeout: %.2f s', $took);
ok $took < 6, sprintf('bounded by it: answered in %.2f s', $took);
ok -s $seen->filename, 'httpd connected to the black hole';

# Freed before the next request: a hung worker (the failing case) gets
# EOF and lets go.
kill 'TERM', $hole;
waitpid $hole, 0;
$stopped = 1;
is $?, 0 + POSIX::SIGTERM(), 'the black hole ran until stopped';

Apache::TestRequest::module('default');
is api('/api/v1/getproduct', { serviceid => 1 }, token => $tok)->code, 200,
    'the main server and its database unaffected: 200';
