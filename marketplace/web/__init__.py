"""HTTP plumbing every domain's controllers share, below all of them: path and query parsing
with the one ``Id`` type (``params``), the API's conventions (``api``: prefix, error bodies,
documented parameters, paging), error pages and handlers (``errors``), form helpers and safe
redirects (``forms``), role guards (``guards``), template set-up with the labels the domains
hand in (``templating``) and security headers (``security``). It knows no domain."""
