# Token lifecycle: logout revokes, refresh swaps and revokes the old one
# (once, even under parallel requests), and a password changed in WHMCS
# ends every token issued before it.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use JSON::PP ();
use MIME::Base64 qw(decode_base64url);

plan tests => 20, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $invalid = { result => 'error', error => 'token invalid' };
sub claims { JSON::PP->new->decode(decode_base64url((split /\./, $_[0])[1])) }
sub read_with { api('/api/v1/getproduct', { serviceid => 2 }, token => $_[0]) }

# --- logout --------------------------------------------------------------------------
my $a = login_token('other@example.com', 'other-pass-2');
is read_with($a)->code, 200, 'a fresh token reads';
my $res = api('/logout', undef, token => $a);
is_deeply [$res->code, json_of($res)],
    [200, { result => 'success', message => 'Successfully logged out' }],
    'logout: 200';
$res = read_with($a);
is_deeply [$res->code, json_of($res)], [401, $invalid],
    'logout: the token is refused afterwards';
my @r = parallel(8, sub { read_with($a) });
is scalar(grep { $_->[0] == 401 } @r), 8,
    'logout: refused by every process';
$res = api('/logout', undef, token => $a);
is $res->code, 401, 'logout twice: 401';
$res = api('/logout', undef);
is_deeply [$res->code, json_of($res)],
    [401, { result => 'error', error => 'token not provided' }],
    'logout without a token: 401';
my $b = login_token('other@example.com', 'other-pass-2');
is read_with($b)->code, 200, 'another token of the same client still works';

# --- refresh ---------------------------------------------------------------------------
$res = api('/refresh', undef, token => $b);
is $res->code, 200, 'refresh: 200';
my $c = json_of($res)->{0}{token};
my ($cb, $cc) = (claims($b), claims($c));
isnt $cc->{jti}, $cb->{jti}, 'refresh: a new jti';
is_deeply [@$cc{qw(sub uid iss)}], [@$cb{qw(sub uid iss)}],
    'refresh: same client, user and issuer';
is $cc->{exp} - $cc->{iat}, 3600, 'refresh: a full lifetime';
is read_with($c)->code, 200, 'refresh: the new token works';
$res = read_with($b);
is_deeply [$res->code, json_of($res)], [401, $invalid],
    'refresh: the old token is revoked';

@r = parallel(10, sub { api('/refresh', undef, token => $c) });
is scalar(grep { $_->[0] == 200 } @r), 1,
    'ten refreshes of one token at once: one new token';
is scalar(grep { $_->[0] == 401 } @r), 9, '... the others 401';

$res = api('/refresh', undef, token => mint(sub => 6));
is_deeply [$res->code, json_of($res)],
    [403, { result => 'error',
            message => 'Unable to refresh a token of a Closed client' }],
    'refresh for a Closed client: 403';

# --- a password changed in WHMCS ends older tokens ----------------------------------------
my $d = login_token('manager@example.com', 'manager-pass-7');
is read_with($d)->code, 403, 'before: the token is accepted (403: not its service)';
my $table = $v8 ? 'tblusers' : 'tblclients';
my $hash = sql1("SELECT password FROM $table WHERE id = 7");
sql("UPDATE $table SET password = CONCAT(password, 'x') WHERE id = 7");
$res = read_with($d);
is_deeply [$res->code, json_of($res)], [401, $invalid],
    'password changed: the older token is refused';
sql("UPDATE $table SET password = '$hash' WHERE id = 7");
is read_with($d)->code, 403, 'the hash back as it was: accepted again';
my $e = login_token('manager@example.com', 'manager-pass-7');
ok length(claims($e)->{pwf}) == 22, 'tokens carry a 22-character fingerprint';
