"""Accounts and sign-in. `identity` the signed-in user (AuthUser, ANONYMOUS); `permissions` who may
do what (the one home of every access rule); `users` accounts; `sessions` sign-in, throttling and
the cookie hand-over; `passwords` hashes and tokens; `config` login mode and thresholds. `auth`
only re-exports these names for callers not yet moved."""
