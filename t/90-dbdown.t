# The database goes away: 503 with Retry-After, quickly, the workers
# survive, and the next requests recover once it is back, without
# restarting Apache.  Runs late: it stops and restarts the test database
# (t/95-outage-load.t kills it under load).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use Time::HiRes qw(time);

plan tests => 16, need_module 'kdata', 'dbd';

my $dir = $ENV{KD_DB_DIR};
my $port = $ENV{KD_DB_PORT};
my $tok = mint(sub => 1);
my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };

sub getproduct { api('/api/v1/getproduct', { serviceid => 1 }, token => $tok) }

is getproduct()->code, 200, 'before: 200';

for my $how ('stop', 'kill') {
    system(kd_db(), $how, $dir) == 0 or die "kd-db $how failed";
    my $t0 = time;
    my $res = getproduct();
    my $took = time - $t0;
    is $res->code, 503, "$how: getproduct 503";
    is_deeply json_of($res), $down, "$how: the body";
    is $res->header('Retry-After'), '5', "$how: Retry-After";
    ok $took < 5, sprintf("$how: answered in %.2f s", $took);
    $res = api('/login', { email => 'namns@example.com',
                           password => 'secret-pass-1' });
    is $res->code, 503, "$how: login 503";

    system(kd_db(), 'start', $dir, $port) == 0 or die 'kd-db start failed';
    my ($code, $tries) = (0, 0);
    while ($tries++ < 20) {
        $code = getproduct()->code;
        last if $code == 200;
        select undef, undef, undef, 0.25;
    }
    is $code, 200, "$how: back to 200 without restarting Apache";
    ok $tries <= 2, "$how: recovered after $tries request(s)";
}
# Every child, every pooled connection: all of them recover.
my @r = parallel(40, sub { getproduct() });
is scalar(grep { $_->[0] == 200 } @r), 40,
    'after recovery, 40 parallel requests all succeed';
