# The OpenAPI conformance check itself (t/bin/kd-openapi-check, which
# t/run-tests runs over every response the suite received): fed made-up
# responses, it passes the ones openapi.yaml describes and names each
# way the others differ (status, required header, header value,
# Content-Type, body schema, a body on HEAD; a text body as a string,
# the other methods of /kdata-status as its x-kdata-other-methods),
# with the route as the module maps the path (mounts, a test's own
# server's mounts, escapes, dot segments); and that the document's
# examples match their schemas.  And the recorder
# (t/lib/KData/Record.pm) writes what a test receives.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use JSON::PP ();
use File::Temp qw(tempfile);

plan tests => 7;

my $top = $ENV{KD_TOP} or die "KD_TOP is not set (run t/run-tests)\n";
my $J = JSON::PP->new->canonical(1);
my %cc = ('Cache-Control' => 'no-store', 'Content-Type' => 'application/json');
my $denied = '{"result":"error","messages":"Permission denied!"}';
my $unavailable = '{"result":"error","message":'
    . '"Service temporarily unavailable, try again later"}';
my $prom = 'text/plain; version=0.0.4; charset=utf-8';
my %text = ('Content-Type' => 'text/plain; charset=utf-8');
my $useget = "Method not allowed: use GET\n";

# [method, path, status, headers, body, port]
my @good = (
    ['POST', '/login', 401, {%cc},
     '{"result":"error","messages":"User not exists"}'],
    ['POST', '/kdata/api/v1/getproduct', 403, {%cc}, $denied],
    ['POST', '/api/v1/getinvoice/../%61pplycredit', 401,
     {%cc, 'WWW-Authenticate' => 'Bearer realm="kdata"'},
     '{"result":"error","error":"token not provided"}'],
    ['POST', '/api/v1/getproduct', 503, {%cc, 'Retry-After' => '5'},
     $unavailable],
    ['GET', '/logout', 405, {%cc, Allow => 'POST'},
     '{"result":"error","message":"Method not allowed: use POST"}'],
    ['HEAD', '/login', 405, {%cc, Allow => 'POST'}, ''],
    ['PROPFIND', '/refresh', 405, {%cc, Allow => 'POST'},
     '{"result":"error","message":"Method not allowed: use POST"}'],
    ['POST', '/api/v1/nowhere', 404, {%cc},
     '{"result":"error","message":"Not found"}'],
    ['POST', '/api/v1/addorder', 200, {%cc, 'Idempotent-Replayed' => 'true'},
     '{"result":"success","orderid":7,"productids":"8","addonids":"",'
     . '"domainids":"","invoiceid":9}'],
    ['GET', '/status', 200, {'Content-Type' => 'text/plain'}, 'x', 9],
    # the counters' own handler: text, GET only (x-kdata-other-methods)
    ['GET', '/kdata-status', 200, {%cc, 'Content-Type' => $prom},
     "# TYPE kdata_up gauge\nkdata_up 1\n"],
    ['POST', '/kdata-status', 405, {%cc, %text, Allow => 'GET'}, $useget],
    ['PROPFIND', '/kdata-status', 405, {%cc, %text, Allow => 'GET'},
     $useget],
    # a server of the test's own, the API below /kd (see the mounts line)
    ['POST', '/kd/login', 401, {%cc},
     '{"result":"error","messages":"User not exists"}', 7],
    ['POST', '/login', 404, {'Content-Type' => 'text/html'}, '<html>', 7],
);
my @bad = (
    [['DELETE', '/kdata-status', 405, {%cc, %text, Allow => 'POST'},
      $useget],
     "DELETE /kdata-status -> 405: header Allow: 'GET' was expected"],
    [['POST', '/api/v1/getproduct', 418, {%cc}, $denied],
     'POST /api/v1/getproduct -> 418: status not documented for POST'],
    [['POST', '/api/v1/getproduct', 503, {%cc}, $unavailable],
     'POST /api/v1/getproduct -> 503: header Retry-After missing'],
    [['POST', '/api/v1/getproduct', 401,
      {%cc, 'WWW-Authenticate' => 'Basic'},
      '{"result":"error","error":"token invalid"}'],
     "POST /api/v1/getproduct -> 401: header WWW-Authenticate: 'Basic' is "
     . 'not one of'],
    [['GET', '/login', 405, {%cc},
      '{"result":"error","message":"Method not allowed: use POST"}'],
     'GET /login -> 405: header Allow missing'],
    [['HEAD', '/login', 405, {%cc, Allow => 'POST'}, '{}'],
     'HEAD /login -> 405: a body in a HEAD response'],
    [['POST', '/nope', 404, {%cc, 'Content-Type' => 'text/html'}, '<html>'],
     "POST other paths -> 404: Content-Type 'text/html' not documented"],
    [['POST', '/api/v1/getinvoiceproduct', 200, {%cc},
      '{"result":"true","data":[{"id":"1"}]}'],
     'POST /api/v1/getinvoiceproduct -> 200: body at /data/0: '],
    [['POST', '/login', 401, {%cc},
      '{"result":"error","message":"User not exists"}'],
     'POST /login -> 401: body '],
);

my ($fh, $file) = tempfile(UNLINK => 1);
print {$fh} $J->encode({ port => 7, mounts => ['/kd'],
                         test => 't/03-openapi-check.t' }), "\n";
for my $r (@good, map { $_->[0] } @bad) {
    my ($method, $path, $status, $h, $body, $port) = @$r;
    print {$fh} $J->encode({ method => $method, path => $path,
                             status => $status, headers => $h,
                             body => $body, port => $port || 80,
                             test => 't/03-openapi-check.t' }), "\n";
}
close $fh;

my $cmd = qq("$top/t/bin/kd-openapi-check" "$top/openapi.yaml" "$file")
    . ' --mount /kdata --skip-port 9 2>&1';
my $out = `$cmd`;
my $rc = $? >> 8;
is $rc, 1, 'mismatches: exit status 1' or diag $out;
my @lines = grep { /^not ok: / } split /\n/, $out;
is scalar @lines, scalar @bad, 'one line per mismatch' or diag $out;
my @missed = grep {
    my $want = "not ok: $_->[1]";
    !grep { index($_, $want) == 0 } @lines;
} @bad;
is_deeply [map { $_->[1] } @missed], [], 'each mismatch named' or diag $out;
my $count = "22 responses checked against $top/openapi.yaml, 9 mismatched,"
    . " 1 skipped (--skip-port), 1 outside the API's Location";
like $out, qr/^# openapi: \Q$count\E$/m,
    'the count: checked, mismatched, skipped, outside the mounts';

# The document's own examples are checked against their schemas.
{
    open my $in, '<', "$top/openapi.yaml" or die "openapi.yaml: $!";
    my $doc = do { local $/; <$in> };
    $doc =~ s/(example: \{result: error, )message(: Your IP)/$1messages$2/
        or die 'the 403 example of /login is gone';
    my ($dfh, $dfile) = tempfile(UNLINK => 1, SUFFIX => '.yaml');
    print {$dfh} $doc;
    close $dfh;
    my ($efh, $empty) = tempfile(UNLINK => 1);
    close $efh;
    my $o = `"$top/t/bin/kd-openapi-check" "$dfile" "$empty" 2>&1`;
    like $o, qr{^not ok: example at #/paths//login/post/responses/403/}m,
        'an example its schema refuses is named';
}

# The recorder: a response received here is the last line of KD_RECORD.
SKIP: {
    skip 'KD_RECORD not set (run t/run-tests)', 2 unless $ENV{KD_RECORD};
    my $res = Apache::TestRequest::POST('/api/v1/recorded?x=1',
                                        content => 'a=1');
    is $res->code, 404, 'an unknown route: 404';
    open my $rf, '<', $ENV{KD_RECORD} or die "$ENV{KD_RECORD}: $!";
    my @recs = <$rf>;
    my $last = $J->decode($recs[-1]);
    delete @$last{qw(port test)};
    is_deeply $last, { method => 'POST', path => '/api/v1/recorded',
                       status => 404, via => 'lwp',
                       headers => { %cc },
                       body => '{"result":"error","message":"Not found"}' },
        'recorded: method, path, status, headers, body';
}
