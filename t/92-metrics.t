# The counters of SetHandler kdata-status (src/kd_metrics.c): a known
# set of requests moves each counter by exactly its share, whichever
# process answered (parallel requests, and children of a new generation
# after a restart, graceful or not, add to the same table); the text is
# Prometheus' exposition format; the page is GET only and, as
# t/conf/extra.conf.in says, for 127.0.0.1 only.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use LWP::UserAgent;
use Time::HiRes ();
use IO::Socket::INET ();

plan tests => 32, need_module 'kdata', 'dbd';

my $base = 'http://' . Apache::TestRequest::hostport();
my $tok1 = mint(sub => 1);
my $tok2 = mint(sub => 2);
my @routes = qw(login logout refresh getproduct addorder applycredit
                getinvoice getinvoiceproduct cancelrequest getclientsproducts
                getinvoices getclientsdetails unknown);
my @codes = (qw(200 400 401 403 404 405 408 409 413 415 422 429 500 503),
             'other');

# --- the page -----------------------------------------------------------------
my $page;
sub scrape {
    my $res = Apache::TestRequest::GET('/kdata-status');
    die 'scrape: ' . $res->code . "\n" unless $res->code == 200;
    $page = $res;
    my %m;
    for my $l (split /\n/, $res->content) {
        next if $l =~ /^# (?:HELP|TYPE) /;
        $l =~ /^(kdata_\w+(?:\{[^}]*\})?) (\d+(?:\.\d{6})?)$/
            or die "scrape: not a sample: $l\n";
        $m{$1} = $2;
    }
    return \%m;
}

my $h = 'kdata_request_duration_seconds';
sub rq { "kdata_requests_total{route=\"$_[0]\",status=\"$_[1]\"}" }

# What moved from one scrape to the next (the series matching $skip left
# out), the series that did not move left out.
sub delta {
    my ($from, $to, $skip) = @_;
    my %d;
    for my $k (keys %$to) {
        next if $skip && $k =~ $skip;
        my $n = $to->{$k} - ($from->{$k} // 0);
        $d{$k} = $n if $n;
    }
    return \%d;
}

my $m0 = scrape();
is $page->header('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8',
    'the page: Prometheus text format 0.0.4';
is $page->header('Cache-Control'), 'no-store', 'the page: no-store';

# Every family announced once, before its samples; every sample of one.
my (%type, @order, $ok);
$ok = 1;
for my $l (split /\n/, $page->content) {
    if ($l =~ /^# TYPE (\w+) (counter|gauge|histogram)$/) {
        $ok = 0 if $type{$1}++;
        push @order, $1;
        next;
    }
    next if $l =~ /^# HELP kdata_\w+ \S/;
    my ($name) = $l =~ /^(\w+)/;
    $name =~ s/_(?:bucket|sum|count)$// if !$type{$name};
    $ok = 0 unless $order[-1] && $name eq $order[-1];
}
ok $ok, 'the page: HELP and TYPE before each family, each sample in it';
is_deeply \@order, [qw(kdata_requests_total kdata_request_duration_seconds
                       kdata_idempotent_replays_total kdata_unavailable_total
                       kdata_login_throttled_total
                       kdata_db_acquire_duration_seconds
                       kdata_db_acquire_failures_total
                       kdata_metrics_start_time_seconds)],
    'the page: its families';
is_deeply [grep { defined $m0->{"kdata_requests_total{route=\"$_->[0]\","
                                . "status=\"$_->[1]\"}"} }
           map { my $r = $_; map { [$r, $_] } @codes } @routes],
          [map { my $r = $_; map { [$r, $_] } @codes } @routes],
    'the page: every route by every status, "unknown" and "other" too';
is scalar(grep { /^kdata_requests_total/ } keys %$m0),
    @routes * @codes, '... and no other request counter';

my $same = scrape();
is_deeply $same, $m0, 'a scrape counts nothing itself';

# --- who may read it, and how -------------------------------------------------
my $res = LWP::UserAgent->new(local_address => '127.0.0.2', keep_alive => 0)
    ->get("$base/kdata-status");
is $res->code, 403, 'from 127.0.0.2: 403 (Require ip 127.0.0.1)';
$res = Apache::TestRequest::POST('/kdata-status', content => 'x=1');
is_deeply [$res->code, $res->header('Allow'), $res->content],
    [405, 'GET', "Method not allowed: use GET\n"], 'POST: 405, Allow: GET';
$res = Apache::TestRequest::HEAD('/kdata-status');
is $res->code, 405, 'HEAD: 405';
# The 403 is httpd's, sent into the API by ErrorDocument 403 (as
# conf/kdata.conf ships it): the API's answer, for no route of it.
is_deeply delta($m0, scrape(), qr/_sum|le="(?!\+Inf)/),
    { rq(unknown => 403) => 1,
      'kdata_request_duration_seconds_count{route="unknown"}' => 1,
      'kdata_request_duration_seconds_bucket{route="unknown",le="+Inf"}'
          => 1 },
    'refused reads: the 403 counted once (ErrorDocument), the 405s not';

# --- login limits to hit: an address and an unknown email, filled before ------
my %ua;
sub login_from {
    my ($addr, $email) = @_;
    $ua{$addr} ||= LWP::UserAgent->new(local_address => $addr,
                                       keep_alive => 0, timeout => 30);
    return $ua{$addr}->post("$base/login",
                            { email => $email, password => 'wrong' });
}
my $fails = 0;
for my $i (1 .. 40) {       # KdataLoginLimitIP 40 600
    $fails++ if login_from('127.0.14.1', "metrics-$i\@example.com")->code
        == 401;
}
for my $i (1 .. 5) {        # KdataLoginLimitAccount 5 900 (the default)
    $fails++ if login_from("127.0.14.2", 'metrics-slow@example.com')->code
        == 401;
}
is $fails, 45, 'set-up: 45 failed logins';
setting(NoAutoApplyCredit => 'on');

# --- the requests counted -----------------------------------------------------
my $m1 = scrape();
my @got;
push @got, login_from('127.0.14.1', 'metrics-41@example.com')->code;
push @got, login_from('127.0.14.3', 'metrics-slow@example.com')->code;
push @got, login_from('127.0.14.4', 'metrics-new@example.com')->code;
push @got, api('/api/v1/getproduct', { serviceid => 1 }, token => $tok1)
    ->code for 1 .. 3;
push @got, api('/api/v1/getproduct', { serviceid => 'abc' },
               token => $tok1)->code;
push @got, api('/api/v1/getproduct', undef, method => 'GET')->code;
push @got, api('/api/v1/getinvoice', { invoiceid => 2147483000 },
               token => $tok1)->code for 1 .. 2;
push @got, api('/api/v1/nosuch', { a => 1 })->code;
my $key = "metrics-$$-" . time;
my %order = (product => 'VPS 01', billingcycle => 'monthly');
my @orders = map {
    api('/api/v1/addorder', \%order, token => $tok2,
        headers => { 'Idempotency-Key' => $key })
} 1 .. 2;
push @got, map { $_->code } @orders;
is_deeply \@got, [429, 429, 401, 200, 200, 200, 400, 405, 403, 403, 404,
                  200, 200], 'the requests: their statuses';
is $orders[1]->header('Idempotent-Replayed'), 'true', 'the second replayed';

# 503 for want of a connection: kdata_blackhole's database port (no one
# listens there now).  Its breaker lets a request ask after 2 s at most.
Time::HiRes::sleep(2.5);
Apache::TestRequest::module('kdata_blackhole');
$res = api('/api/v1/getproduct', { serviceid => 1 }, token => $tok1);
Apache::TestRequest::module('default');
is $res->code, 503, 'kdata_blackhole: 503';

# 503 for a missing table of ours (conf/mod_kdata.sql not applied)
sql('RENAME TABLE mod_kdata_idempotency TO mod_kdata_idempotency_gone');
$res = api('/api/v1/addorder', \%order, token => $tok2,
           headers => { 'Idempotency-Key' => "$key-2" });
sql('RENAME TABLE mod_kdata_idempotency_gone TO mod_kdata_idempotency');
is $res->code, 503, 'mod_kdata_idempotency missing: 503';

# Several at once, each on a connection of its own: any process answers.
my @par = parallel(12, sub {
    api('/api/v1/getproduct', { serviceid => 1 }, token => $tok1);
});
is scalar(grep { $_->[0] == 200 } @par), 12, '12 in parallel: 200';

# --- what moved ---------------------------------------------------------------
my $m2 = scrape();
my %want = (
    rq(login => 429) => 2, rq(login => 401) => 1,
    rq(getproduct => 200) => 15, rq(getproduct => 400) => 1,
    rq(getproduct => 405) => 1, rq(getproduct => 503) => 1,
    rq(getinvoice => 403) => 2, rq(unknown => 404) => 1,
    rq(addorder => 200) => 2, rq(addorder => 503) => 1,
    'kdata_idempotent_replays_total{route="addorder"}' => 1,
    'kdata_login_throttled_total{reason="address"}' => 1,
    'kdata_login_throttled_total{reason="email"}' => 1,
    'kdata_unavailable_total{cause="no_connection"}' => 1,
    'kdata_unavailable_total{cause="missing_table"}' => 1,
    'kdata_db_acquire_failures_total' => 1,
);
my %per_route = (login => 3, getproduct => 18, getinvoice => 2,
                 unknown => 1, addorder => 3);
for my $r (keys %per_route) {
    $want{"${h}_count{route=\"$r\"}"} = $per_route{$r};
    $want{"${h}_bucket{route=\"$r\",le=\"+Inf\"}"} = $per_route{$r};
}

# Sums, the buckets below +Inf and the connection waits depend on time.
my $timed = qr/_sum|le="(?!\+Inf)|^kdata_db_acquire_duration/;
is_deeply delta($m1, $m2, $timed), \%want,
    'every counter moved by exactly the requests made';

# Each route's histogram: cumulative buckets, +Inf = count, a sum.
my $hist_ok = 1;
for my $r (@routes) {
    my %le = map { /^${h}_bucket\{route="$r",le="([^"]+)"\}$/
                   ? ($_ => $1 eq '+Inf' ? 1e9 : $1) : () } keys %$m2;
    my @b = map { $m2->{$_} - $m1->{$_} }
        sort { $le{$a} <=> $le{$b} } keys %le;
    my $n = $per_route{$r} // 0;
    my $sum = $m2->{"${h}_sum{route=\"$r\"}"}
              - $m1->{"${h}_sum{route=\"$r\"}"};
    $hist_ok = 0 unless @b == 13 && $b[-1] == $n
        && !grep { $b[$_] < $b[$_ - 1] } 1 .. $#b;
    $hist_ok = 0 unless $n ? $sum > 0 && $sum < 60 * $n : $sum == 0;
    diag "histogram $r: @b, sum $sum" unless $hist_ok;
}
ok $hist_ok, 'each route\'s latency histogram: cumulative, +Inf = count';

# The connection waits: one per request that needed a connection.
my $acq = $m2->{kdata_db_acquire_duration_seconds_count}
          - $m1->{kdata_db_acquire_duration_seconds_count};
is $acq, $m2->{'kdata_db_acquire_duration_seconds_bucket{le="+Inf"}'}
         - $m1->{'kdata_db_acquire_duration_seconds_bucket{le="+Inf"}'},
    'connection waits: +Inf = count';
ok $acq >= 15 + 2 + 1 + 1 + 1 && $acq <= 28 - 2,
    "connection waits: $acq for 28 requests (at least 20 need one, 404 "
    . 'and 405 none)';

# --- httpd's own refusals, sent into the API by ErrorDocument ---------------
# Counted once each, under the route the refused request was for.
sub raw {
    my ($req, $host) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $host, Timeout => 20)
        or die "connect: $!";
    print $s $req;
    local $/;
    my $all = <$s> // '';
    return $all =~ m{^HTTP/1\.[01] (\d{3}) } ? $1 : 0;
}
Apache::TestRequest::module('kdata_answers');
my $limited = Apache::TestRequest::hostport();
Apache::TestRequest::module('default');
my $main = Apache::TestRequest::hostport();
my $ma = scrape();
my @refused = (
    raw("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
        . "x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
        . "Connection: close\r\n\r\n96\r\n" . ('a' x 150) . "\r\n0\r\n\r\n",
        $limited),
    raw("TRACE /api/v1/getproduct HTTP/1.1\r\nHost: x\r\n"
        . "Connection: close\r\n\r\n", $main),
    raw("POST /api%2Fv1/getproduct HTTP/1.1\r\nHost: x\r\n"
        . "Connection: close\r\n\r\n", $main),
);
my $mb = scrape();
is_deeply \@refused, [413, 405, 404], 'refused by httpd: 413, 405, 404';
# The chunked body was refused by httpd's filter inside the login route
# (kd_body_read leaves the answer to the ErrorDocument); TRACE and the
# encoded slash before any handler was chosen: no route.
is_deeply delta($ma, $mb, qr/_sum|le="(?!\+Inf)/),
    { rq(login => 413) => 1, rq(unknown => 405) => 1,
      rq(unknown => 404) => 1,
      "${h}_count{route=\"login\"}" => 1,
      "${h}_bucket{route=\"login\",le=\"+Inf\"}" => 1,
      "${h}_count{route=\"unknown\"}" => 2,
      "${h}_bucket{route=\"unknown\",le=\"+Inf\"}" => 2 },
    'refused by httpd: each counted once, under its route if it had one';

# --- a graceful restart: new children, the same table -------------------------
my $pidfile = Apache::Test::vars('serverroot') . '/logs/httpd.pid';
open my $pf, '<', $pidfile or die "$pidfile: $!";
chomp(my $httpd = <$pf>);
close $pf;
sub log_text {
    open my $fh, '<', 't/logs/error_log' or die "error_log: $!";
    local $/;
    return <$fh>;
}
# Signals the parent; true once it says it runs again.
sub restart {
    my $log0 = length log_text();
    kill shift, $httpd;
    for (1 .. 150) {
        return 1 if substr(log_text(), $log0)
            =~ /resuming normal operations/;
        Time::HiRes::sleep(0.1);
    }
    return 0;
}
my $m3 = scrape();
ok restart('USR1'), 'graceful restart: done';
my $m4 = scrape();
is $m4->{kdata_metrics_start_time_seconds},
    $m3->{kdata_metrics_start_time_seconds},
    'graceful restart: the same table';
is_deeply delta($m3, $m4), {}, 'graceful restart: every counter kept';
is_deeply [map { $_->code }
           api('/api/v1/getproduct', { serviceid => 1 }, token => $tok1),
           api('/api/v1/nosuch', { a => 1 })],
    [200, 404], 'after the restart: 200, 404';
my $m5 = scrape();
is_deeply delta($m4, $m5, qr/_sum|le="(?!\+Inf)/),
    { rq(getproduct => 200) => 1, rq(unknown => 404) => 1,
      "${h}_count{route=\"getproduct\"}" => 1,
      "${h}_bucket{route=\"getproduct\",le=\"+Inf\"}" => 1,
      "${h}_count{route=\"unknown\"}" => 1,
      "${h}_bucket{route=\"unknown\",le=\"+Inf\"}" => 1,
      'kdata_db_acquire_duration_seconds_count' => 1,
      'kdata_db_acquire_duration_seconds_bucket{le="+Inf"}' => 1 },
    'after the restart: a new child adds to the same counters (one '
    . 'connection wait: the 404 needs none)';
ok $m5->{rq(getproduct => 200)} - $m0->{rq(getproduct => 200)} == 16,
    'getproduct 200 since the first scrape: 15 before, 1 after the restart';

# --- a plain restart (SIGHUP: every child stopped at once) -------------------
ok restart('HUP'), 'restart: done';
my $m6 = scrape();
is $m6->{kdata_metrics_start_time_seconds},
    $m5->{kdata_metrics_start_time_seconds}, 'restart: the same table';
is_deeply delta($m5, $m6), {}, 'restart: every counter kept';
