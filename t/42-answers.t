# What httpd answers itself under the API (issue 15 part 6): with the
# configuration conf/kdata.conf ships (t/conf/extra.conf.in has the same
# lines), httpd's own refusals reach the API through ErrorDocument and
# come back as the API's JSON errors, exactly once each; TRACE is off;
# the Server header names no version.  Sent on raw sockets: most of
# these requests are ones no HTTP client library would write.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use IO::Socket::INET ();

my $main = Apache::TestRequest::hostport();
Apache::TestRequest::module('kdata_answers');
my $limited = Apache::TestRequest::hostport();
Apache::TestRequest::module('default');

sub err { qq({"result":"error","message":"$_[0]"}) }
my $denied = '{"result":"error","messages":"Permission denied!"}';
my $form = "Content-Type: application/x-www-form-urlencoded\r\n";

# Each: what is sent (to the main server unless a host is given), the
# status and the exact body that must come back.
my @cases = (
    ['a request line of four words', "POST /login HTTP/1.1 x\r\n\r\n",
     400, err('Bad request')],
    ['a request line of one word', "POST\r\n\r\n", 400, err('Bad request')],
    ['a request line over LimitRequestLine',
     'POST /' . ('a' x 9000) . " HTTP/1.1\r\nHost: x\r\n\r\n",
     414, err('Request URI too long')],
    ['a header over LimitRequestFieldSize',
     "POST /login HTTP/1.1\r\nHost: x\r\nX-Big: " . ('a' x 9000)
     . "\r\n\r\n", 400, err('Bad request')],
    ['a header line without a colon',
     "POST /login HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
     400, err('Bad request')],
    ['HTTP/1.1 without Host', "POST /login HTTP/1.1\r\n\r\n",
     400, err('Bad request')],
    ['a Content-Length that is not a number',
     "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
     400, err('Bad request')],
    ['a Transfer-Encoding other than chunked',
     "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
     400, err('Bad request')],
    ['an Expect httpd does not know',
     "POST /login HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n"
     . "Connection: close\r\n\r\n", 417, err('Expectation failed')],
    ['an encoded slash in the path',
     "POST /api%2Fv1/getproduct HTTP/1.1\r\nHost: x\r\n"
     . "Connection: close\r\n\r\n", 404, err('Not found')],
    ['an encoded slash below <Location "/kdata">',
     "POST /kdata/api%2Fv1/getproduct HTTP/1.1\r\nHost: x\r\n"
     . "Connection: close\r\n\r\n", 404, err('Not found')],
    ['a bad escape in the path',
     "POST /login%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     400, err('Bad request')],
    ['a path above the root',
     "POST /../login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     400, err('Bad request')],
    ['a bad chunk size line',
     "POST /login HTTP/1.1\r\nHost: x\r\n${form}Transfer-Encoding: chunked"
     . "\r\nConnection: close\r\n\r\nzz\r\naa\r\n0\r\n\r\n",
     400, err('Bad request')],
    ['a chunked body over LimitRequestBody',
     "POST /login HTTP/1.1\r\nHost: x\r\n${form}Transfer-Encoding: chunked"
     . "\r\nConnection: close\r\n\r\n96\r\n" . ('a' x 150)
     . "\r\n0\r\n\r\n", 413, err('Request body too large'), $limited],
    ['a Content-Length over LimitRequestBody',
     "POST /login HTTP/1.1\r\nHost: x\r\n${form}Content-Length: 150\r\n"
     . "Connection: close\r\n\r\n" . ('a' x 150),
     413, err('Request body too large'), $limited],
    ['a Require that denies',
     "POST /locked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     403, $denied, $limited],
    ['a Require that fails',
     "POST /broken HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     500, err('Internal error'), $limited],
    # The ErrorDocument's URL is no route: asked for, it is not found.
    ['the error URL asked for',
     "POST /kdata/error HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     404, err('Not found')],
);

plan tests => @cases + 7, need_module 'kdata', 'dbd';

# Sends $req on a fresh connection and reads until the server closes it:
# the status, the headers (names in lower case) and everything after
# them, so a second answer after the first would show in the body.
sub raw {
    my ($req, $host, $pause) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $host || $main, Timeout => 20)
        or die "connect: $!";
    print $s $req;
    sleep $pause if $pause;
    local $/;
    my $all = <$s> // '';
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $all, 2;
    my ($code) = ($head // '') =~ m{^HTTP/1\.[01] (\d{3}) };
    my %h;
    for (split /\r\n/, $head // '') {
        $h{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
    }
    # for the OpenAPI conformance check (t/lib/KData/Record.pm)
    KData::Record::exchange($req, $host || $main, $code, \%h, $body // '')
        if defined &KData::Record::exchange;
    return ($code // 0, \%h, $body // '', $all);
}

# What every answer under the API has, whoever refused the request.
sub shape {
    my ($code, $h, $body) = @_;
    return [$code, @$h{qw(content-type cache-control x-content-type-options
                          server)},
            ($h->{'content-length'} // -1) == length $body ? 'length ok'
                : 'length wrong', $body];
}

for my $c (@cases) {
    my ($what, $req, $code, $body, $host) = @$c;
    my @r = raw($req, $host);
    is_deeply shape(@r), [$code, 'application/json', 'no-store', 'nosniff',
                          'Apache', 'length ok', $body],
        "$what: $code, JSON, once" or diag $r[3];
}

# TRACE is off: answered 405 like any other method, and the request
# (its Authorization header) is not echoed.
my $tok = mint(sub => 1);
my ($code, $h, $body, $all) = raw("TRACE /api/v1/getproduct HTTP/1.1\r\n"
    . "Host: x\r\nAuthorization: Bearer $tok\r\nConnection: close\r\n\r\n");
is_deeply shape($code, $h, $body),
    [405, 'application/json', 'no-store', 'nosniff', 'Apache', 'length ok',
     err('Method not allowed: use POST')], 'TRACE: 405, JSON';
is $h->{allow}, 'POST', 'TRACE: Allow: POST';
unlike $all, qr/\Q$tok\E|Authorization/i, 'TRACE: the token is not echoed';

# The API's own answers name no version either.
my $res = api('/login', { email => 'nobody@example.com', password => 'x' });
is_deeply [$res->code, scalar $res->header('Server')], [401, 'Apache'],
    'Server: Apache on an API answer';
$res = api('/api/v1/getproduct', { serviceid => 1 }, token => $tok);
is_deeply [$res->code, scalar $res->header('Server')], [200, 'Apache'],
    'Server: Apache on a success';

# Headers not sent in time (mod_reqtimeout, header=2-4 in the test
# configuration): 408, in JSON.  (A body too slow is t/87-slow-clients.t's.)
my $t0 = time;
my @r = raw("POST /login HTTP/1.1\r\nHost: x\r\nX-Slow: a", undef, 0);
is_deeply [@{ shape(@r) }, time - $t0 <= 15 ? 'in time' : time - $t0],
    [408, 'application/json', 'no-store', 'nosniff', 'Apache', 'length ok',
     err('Request not received in time'), 'in time'],
    'headers too slow: 408, JSON, within the timeout' or diag $r[3];

# A HEAD httpd refuses: the JSON error's headers, no body.
@r = raw("HEAD /api%2Fv1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is_deeply [$r[0], $r[1]{'content-type'}, $r[1]{'content-length'}, $r[2]],
    [404, 'application/json', length err('Not found'), ''],
    'HEAD refused by httpd: 404, JSON headers, no body';
