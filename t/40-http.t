# What every route shares: routing below the <Location>, methods, content
# types, body limits, strict decoding, and one JSON error shape.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use IO::Socket::INET;

plan tests => 54, need_module 'kdata', 'dbd';

my $tok = mint(sub => 1);

sub err_is {
    my ($res, $code, $msg, $what) = @_;
    is $res->code, $code, "$what: $code";
    is_deeply eval { json_of($res) }, { result => 'error', message => $msg },
        "$what: body";
    is $res->header('Content-Type'), 'application/json', "$what: JSON";
}

# routing
err_is(api('/nope', { a => 1 }), 404, 'Not found', 'unknown route');
err_is(api('/api/v1/nope', { a => 1 }, token => $tok), 404, 'Not found',
       'unknown operation');
err_is(api('/api/v1/getproduct/', { serviceid => 1 }, token => $tok), 404,
       'Not found', 'trailing slash');
my $res = api('/kdata/api/v1/getproduct', { serviceid => 1 }, token => $tok);
is $res->code, 200, 'routes hang below <Location "/kdata"> too';
$res = api('/kdata/login', { email => 'other@example.com',
                             password => 'other-pass-2' });
is $res->code, 200, '/kdata/login';

# methods
$res = api('/login', undef, method => 'GET');
err_is($res, 405, 'Method not allowed: use POST', 'GET /login');
is $res->header('Allow'), 'POST', 'Allow: POST';
$res = api('/api/v1/getproduct', undef, method => 'PUT', token => $tok);
is $res->code, 405, 'PUT: 405';
is $res->header('Cache-Control'), 'no-store', '405 is no-store too';

# content types
my $ct = 'Content-Type must be application/x-www-form-urlencoded or '
       . 'application/json (UTF-8)';
err_is(api('/login', 'email=a', ct => 'text/plain'), 415, $ct, 'text/plain');
err_is(api('/login', 'email=a', ct => 'multipart/form-data; boundary=x'),
       415, $ct, 'multipart');
err_is(api('/login', 'email=a',
           ct => 'application/x-www-form-urlencoded; charset=latin1'),
       415, $ct, 'latin1 charset');
$res = api('/login', 'email=other%40example.com&password=other-pass-2',
           ct => 'application/x-www-form-urlencoded; charset=UTF-8');
is $res->code, 200, 'charset=UTF-8 is fine';

# size limits
err_is(api('/login', 'email=' . ('a' x 9000)), 413, 'Request body too large',
       'body over KdataMaxBody');
err_is(api('/kdata/login', 'email=' . ('a' x 3000)), 413,
       'Request body too large', 'KdataMaxBody 2048 on /kdata');
$res = api('/login', 'email=' . ('a' x 250) . '&password=' . ('b' x 2000));
is $res->code, 413, 'a field over KdataMaxFieldLength: 413';
$res = api('/login', join('&', map { "f$_=1" } 1 .. 33));
is $res->code, 413, 'more than KdataMaxFields fields: 413';

# a chunked body with no Content-Length is capped as well
{
    my $sock = IO::Socket::INET->new(PeerAddr => Apache::TestRequest::hostport(),
                                     Timeout => 10) or die "connect: $!";
    my $chunk = 'a' x 4096;
    print $sock "POST /login HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    print $sock sprintf("%x\r\n%s\r\n", length $chunk, $chunk) for 1 .. 3;
    print $sock "0\r\n\r\n";
    my $status = <$sock>;
    like $status, qr{^HTTP/1\.1 413 }, 'chunked body over the limit: 413';
    close $sock;
}

# strict decoding
my $bad = 'Malformed request body: ';
for my $case (['email=%zz&password=x', 'bad escape'],
              ['email=%4&password=x', 'short escape'],
              ['email=a%00b&password=x', 'NUL byte'],
              ['email=%C3%28&password=x', 'invalid UTF-8'],
              ['email=%C0%AF&password=x', 'overlong UTF-8'],
              ['email=a&email=b&password=x', 'repeated key'],
              ['=a&password=x', 'empty key']) {
    $res = api('/login', $case->[0]);
    is $res->code, 400, "$case->[1]: 400";
    like json_of($res)->{message}, qr/^\Q$bad\E/, "$case->[1]: says why";
}
for my $case (['{"email":"a","email":"b"}', 'JSON duplicate'],
              ['{"email":{"x":1}}', 'JSON nested'],
              ['["email"]', 'JSON array'],
              ['{"email":"a"', 'JSON truncated']) {
    $res = api('/login', $case->[0], ct => 'application/json');
    is $res->code, 400, "$case->[1]: 400";
}
