"""The root of the `fairdraw` package's exception tree.

Every error the composition root raises on purpose is a `FairdrawError`. Its
branches live beside the code that raises them, each a direct subclass:

- `ClientError` (`fairdraw.portal_source`): the verifying clients (portal
  files, trust.json, client state, proofs, reports, assignments, bundles);
- `SettingsError` (`fairdraw.settings`): an unusable setting or settings file;
- `AuthError` (`fairdraw.auth`): a token request that cannot be accepted;
- `NoticeError` (`fairdraw.notices`), `DeployConfigError` (`fairdraw.deploy`),
  `ClusterError` (`fairdraw.local_processes`), `DemoError` (`fairdraw.cli.demo`);
- `SkipCheckError` (`fairdraw.verify`): control flow inside one verification
  check ("skipped, because…"), never raised out of `verify`;
- `LogKeyMismatchError` (`fairdraw.trust`): also a
  `transparency.errors.SignatureError`, so every caller that handles a bad
  checkpoint signature handles "trust.json is for another log" too.

Some branches also derive from `ValueError` or `RuntimeError`, for callers that
catch those; the service's HTTP table (`fairdraw.http_errors`) never maps a
builtin exception: it maps these classes and the other packages' trees
explicitly, and answers anything else 500.

This module imports nothing, so the CLI can load it at start-up for free.
"""

from __future__ import annotations


class FairdrawError(Exception):
    """Base of every error the fairdraw package raises on purpose."""
