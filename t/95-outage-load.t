# The database killed (kill -9) under load on every route, then started
# again (issue 15, part 4).  Before the circuit breaker (src/kd_breaker.c)
# each failing request tried up to 64 connects in a tight loop: thousands
# a second, sweeping the ephemeral ports until one reconnect drew the
# database's own port, connected to itself and hung the child, and the
# database could not start again.  What must hold:
#   - every answer is a success or the 503 JSON with Retry-After;
#   - no request takes more than a few seconds;
#   - the database starts again on its port;
#   - the API recovers without restarting Apache, within the breaker's
#     longest interval (2 s) and some slack;
#   - during the outage each Apache process tries a few connects a second
#     at most (mod_dbd logs each failed one, AH00629), and the breaker
#     logs its changes of state, not each request.
# Runs after t/90-dbdown.t, and leaves the database running.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use JSON::PP ();
use LWP::UserAgent ();
use File::Temp ();
use POSIX ();
use Time::HiRes qw(time sleep);

plan tests => 22, need_module 'kdata', 'dbd';

my $dir = $ENV{KD_DB_DIR};
my $port = $ENV{KD_DB_PORT};
my $v8 = schema_flavour() ne 'whmcs7';
my $base = 'http://' . Apache::TestRequest::hostport();
my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };
my $JSON = JSON::PP->new;

# Whatever happens below, the tests after this one find the database up.
my $killed = 0;
END {
    system(kd_db() . " start '$dir' '$port' >/dev/null 2>&1") if $killed;
}

# --- the ports: below the ephemeral range, so no connect can draw them
open my $pr, '<', '/proc/sys/net/ipv4/ip_local_port_range'
    or die "ip_local_port_range: $!";
my ($eph_lo, $eph_hi) = split ' ', scalar <$pr>;
close $pr;
my ($hport) = Apache::TestRequest::hostport() =~ /:(\d+)$/;
ok(($port < $eph_lo || $port > $eph_hi)
   && ($hport < $eph_lo || $hport > $eph_hi),
   "database port $port and httpd port $hport outside the ephemeral "
   . "range $eph_lo-$eph_hi");

# --- the load: every read and write route -----------------------------------
setting(NoAutoApplyCredit => 'on');
sql('UPDATE tblclients SET credit = 900000000.00 WHERE id = 2');
my $tok = mint(sub => 2, ($v8 ? (uid => 2) : ()));
my $res = api('/api/v1/addorder', { product => 'VPS 01',
                                    billingcycle => 'monthly' },
              token => $tok);
is $res->code, 200, 'before: an order to read';
my $iid0 = json_of($res)->{invoiceid};

my $workers = 8;
my $logdir = File::Temp::tempdir(CLEANUP => 1);
my $stop = "$logdir/stop";
my $t_begin = time + 0.5;

# One request: its start, duration, route, status, Retry-After and, unless
# it is a 200, its body; a 200's decoded body is returned.
sub req {
    my ($ua, $fh, $path, $form, $token) = @_;
    my @h = $token ? (Authorization => "Bearer $token") : ();
    my $t = time;
    my $r = $ua->post("$base$path", $form, @h);
    my $body = $r->code == 200 ? '' : $r->content;
    $body =~ s/[\t\n]/ /g;
    printf $fh "%.4f\t%.4f\t%s\t%d\t%s\t%s\n", $t, time - $t, $path,
        $r->code, $r->header('Retry-After') // '', $body;
    return undef unless $r->code == 200;
    return eval { $JSON->decode($r->content) } || {};
}

sub worker {
    my $i = shift;
    my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
    open my $fh, '>', "$logdir/w$i" or POSIX::_exit(1);
    $fh->autoflush(1);
    my $deadline = time + 60;           # never outlives a test that died
    while (!-e $stop && time < $deadline) {
        if ($i == 0) {
            # Sessions, one at a time (the per-account login limit counts
            # attempts in flight): login, a read with its token, refresh,
            # logout.
            my $b = req($ua, $fh, '/login', { email => 'namns@example.com',
                                              password => 'secret-pass-1' });
            my $t = $b && $b->{0}{token};
            $t &&= req($ua, $fh, '/api/v1/getproduct', { serviceid => 1 }, $t)
                   && $t;
            my $n = $t && req($ua, $fh, '/refresh', {}, $t);
            $t = $n && $n->{0}{token};
            req($ua, $fh, '/logout', {}, $t) if $t;
        }
        else {
            # Reads, then an order paid from credit and cancelled; a step
            # that fails ends the chain.
            req($ua, $fh, '/api/v1/getproduct', { serviceid => 2 }, $tok)
            && req($ua, $fh, '/api/v1/getinvoiceproduct', { serviceid => 2 },
                   $tok)
            && req($ua, $fh, '/api/v1/getinvoice', { invoiceid => $iid0 },
                   $tok)
            && do {
                my $o = req($ua, $fh, '/api/v1/addorder',
                            { product => 'VPS 01',
                              billingcycle => 'monthly' }, $tok);
                $o && req($ua, $fh, '/api/v1/applycredit',
                          { invoiceid => $o->{invoiceid} }, $tok)
                   && req($ua, $fh, '/api/v1/cancelrequest',
                          { serviceid => $o->{productids},
                            reason => 'outage test' }, $tok);
            };
        }
        sleep 0.05;
    }
    close $fh;
    POSIX::_exit(0);
}

my @kids;
for my $i (0 .. $workers - 1) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        sleep $t_begin - time if $t_begin > time;
        worker($i);
    }
    push @kids, $pid;
}

# 1.5 s of load, the database killed, 3 s down, started again, then 4 s
# more for the API to recover (the breaker's longest interval is 2 s).
sleep $t_begin + 1.5 - time;
open my $pf, '<', "$dir/mysqld.pid" or die "mysqld.pid: $!";
chomp(my $dbpid = <$pf>);
close $pf;
my $log_kill = log_size();
my $t_kill = time;
$killed = kill 'KILL', $dbpid or die "kill -9 $dbpid: $!";
# Gone once reaped or a zombie: its sockets are closed by then.
my $t_dead;
for (1 .. 200) {
    my $st = -e "/proc/$dbpid/stat" ? do {
        open my $fh, '<', "/proc/$dbpid/stat";
        (split ' ', scalar <$fh>)[2] // 'Z';
    } : 'Z';
    if ($st eq 'Z') {
        $t_dead = time;
        last;
    }
    sleep 0.05;
}
ok $t_dead, sprintf('kill -9: the database is gone after %.2f s',
                    ($t_dead // time) - $t_kill);
sleep 3;
my $t_start = time;
my $started = system(kd_db() . " start '$dir' '$port' >/dev/null 2>&1") == 0;
my $t_up = time;
my $log_up = log_size();
$killed = 0 if $started;
ok $started, sprintf('the database starts again on port %d (%.2f s)',
                     $port, $t_up - $t_start);
sleep 4;
open my $sf, '>', $stop or die "$stop: $!";
close $sf;
waitpid $_, 0 for @kids;
my $log_end = log_size();
if ($ENV{KD_KEEP95}) {
    system("cp -r $logdir $ENV{KD_KEEP95}");
    open my $tf, '>', "$ENV{KD_KEEP95}/times";
    print $tf "kill $t_kill\ndead ", $t_dead // 0,
        "\nstart $t_start\nup $t_up\n";
}

# --- what the clients saw ---------------------------------------------------
my (@all, %code);
for my $i (0 .. $workers - 1) {
    open my $fh, '<', "$logdir/w$i" or die "worker $i wrote nothing";
    while (my $l = <$fh>) {
        chomp $l;
        my %r;
        @r{qw(t d path code ra body)} = split /\t/, $l, 6;
        $r{w} = $i;
        push @all, \%r;
        $code{$r{code}}++;
    }
}
my @r503 = grep { $_->{code} == 503 } @all;
my @other = grep { $_->{code} != 200 && $_->{code} != 503 } @all;
my %routes = map { $_->{path} => 1 } @all;
is scalar(keys %routes), 9, 'load on all nine routes: '
    . join(' ', sort keys %routes);
is_deeply \@other, [], sprintf('%d requests (%s): every answer 200 or 503',
    scalar @all, join(', ', map { "$_ x $code{$_}" } sort keys %code))
    or diag explain [@other[0 .. ($#other < 4 ? $#other : 4)]];
my @bad = grep {
    my $b = eval { $JSON->decode($_->{body}) } || {};
    $_->{ra} ne '5' || join('|', %$b{sort keys %$b})
                       ne join('|', %$down{sort keys %$down})
} @r503;
is scalar(@bad), 0, sprintf('every 503 (%d) has the JSON body and '
                            . 'Retry-After: 5', scalar @r503)
    or diag explain [@bad[0 .. ($#bad < 4 ? $#bad : 4)]];
my @slow = sort { $b->{d} <=> $a->{d} } @all;
ok $slow[0]{d} < 4, sprintf('the slowest request took %.2f s (%s, %d)',
                            $slow[0]{d}, $slow[0]{path}, $slow[0]{code});
# While the database was gone, nothing can succeed: all 503, and quick.
my @out = grep { $_->{t} >= ($t_dead // $t_kill) && $_->{t} < $t_start }
    @all;
my @out503 = sort { $a->{d} <=> $b->{d} } grep { $_->{code} == 503 } @out;
my ($first503) = sort { $a->{t} + $a->{d} <=> $b->{t} + $b->{d} } @r503;
is scalar(@out503), scalar(@out), sprintf('while down (%.1f s): %d '
    . 'requests, all 503, in %.3f s (median) to %.3f s; the first 503 '
    . '%.3f s after the kill', $t_start - ($t_dead // $t_kill), scalar @out,
    @out503 ? ($out503[$#out503 / 2]{d}, $out503[-1]{d}) : (0, 0),
    $first503 ? $first503->{t} + $first503->{d} - $t_kill : -1);

# Recovery: each client's first success once the database was up.
my %back;
for (grep { $_->{code} == 200 && $_->{t} >= $t_up } @all) {
    my $end = $_->{t} + $_->{d} - $t_up;
    $back{$_->{w}} = $end if !defined $back{$_->{w}} || $end < $back{$_->{w}};
}
my ($recovery) = sort { $b <=> $a } values %back;
$recovery //= -1;
is scalar(keys %back), $workers, 'every client succeeds again';
ok $recovery >= 0 && $recovery < 4,
    sprintf('recovered %.2f s after the database was up (the last '
            . 'client\'s first success), without restarting Apache',
            $recovery);

# --- connect attempts and log lines while down ------------------------------
my $down_log = log_from($log_kill, $log_up);
my $win = $t_up - $t_kill;
my %per;
$per{$1}++ while $down_log =~ /\[pid (\d+)[^\]]*\][^\n]*AH00629/g;
my $connects = 0;
$connects += $_ for values %per;
my ($worst) = sort { $b <=> $a } values %per;
$worst //= 0;
ok $connects > 0, sprintf('%d failed connects while down, %d process(es)',
                          $connects, scalar keys %per);
ok $worst / $win <= 5, sprintf('at most %.1f connects/s per process '
                               . '(%d in %.1f s)', $worst / $win, $worst,
                               $win);
my $all_log = log_from($log_kill, $log_end);
my %kd;
$kd{$1}++ while $all_log =~ /(KD0120\d):/g;
ok $kd{KD01201} && $kd{KD01201} <= keys %per,
    sprintf('circuit opened once per process (%d)', $kd{KD01201} // 0);
ok $kd{KD01204} && $kd{KD01204} <= keys %per,
    sprintf('and closed once per process (%d)', $kd{KD01204} // 0);
# Per process, in order: opened, then probes one at a time (half-open,
# then failed or closed), each after the pause the last line announced.
my (%seq, %bad_gap);
my $stamp = qr/^\[\w+ \w+ \d+ (\d+):(\d+):([\d.]+) \d+\]/m;
while ($all_log =~ /$stamp[^\n]*?\[pid (\d+)[^\n]*?KD0120(\d):([^\n]*)/g) {
    my ($t, $pid, $n, $text) = ($1 * 3600 + $2 * 60 + $3, $4, $5, $6);
    my $s = $seq{$pid} ||= { str => '', t => 0, wait => 0 };
    $bad_gap{$pid}++ if $n == 2 && $t - $s->{t} < $s->{wait} / 1000 - 0.01;
    $s->{str} .= $n;
    ($s->{t}, $s->{wait}) = ($t, $text =~ /(\d+) ms$/ ? $1 : 0);
}
my @bad_seq = grep { $seq{$_}{str} !~ /^1(?:23)*24$/ || $bad_gap{$_} }
    sort keys %seq;
is_deeply \@bad_seq, [], 'one probe at a time, none before its pause: '
    . join(' ', map { "$_:$seq{$_}{str}" } sort keys %seq);
# LogLevel is trace8 in the suite: what an admin would see is warn and up.
my $lines = () =
    $all_log =~ /^\[[^\]]*\] \[\w+:(?:emerg|alert|crit|error|warn)\]/mg;
ok $lines < 100, sprintf('%d error_log lines at warn or worse for %d '
    . 'requests (%s)', $lines, scalar @all,
    join(', ', map { "$_ x $kd{$_}" } sort keys %kd));
unlike $all_log, qr/KD00301/, 'no log line per refused request';

# --- after ------------------------------------------------------------------
is open_transactions(), 0, 'no transaction left open';
my @after = parallel(40, sub {
    api('/api/v1/getproduct', { serviceid => 2 }, token => $tok);
});
is scalar(grep { $_->[0] == 200 } @after), 40,
    'after recovery, 40 parallel requests all succeed';
# A restart with every pool full of connections it killed: asked past,
# not taken for a database that is down (no 503, the circuit stays shut).
my $log_r = log_size();
system(kd_db() . " stop '$dir' >/dev/null 2>&1") == 0 or die 'kd-db stop';
$killed = 1;
system(kd_db() . " start '$dir' '$port' >/dev/null 2>&1") == 0
    or die 'kd-db start';
$killed = 0;
@after = parallel(40, sub {
    api('/api/v1/getproduct', { serviceid => 2 }, token => $tok);
});
is scalar(grep { $_->[0] == 200 } @after), 40,
    'database restarted: 40 parallel requests on dead pools all succeed';
my $restart_log = log_from($log_r, log_size());
my $dead = () = $restart_log =~ /AH00639/g;
unlike $restart_log, qr/KD0120\d/,
    "the circuit stayed closed ($dead dead connections thrown away)";
diag sprintf('outage %.2f s (kill to database up), recovery %.2f s, '
             . '%d connects (%.1f/s per process), %d requests, %d x 503',
             $win, $recovery, $connects, $worst / $win, scalar @all,
             scalar @r503);
