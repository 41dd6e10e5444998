"""Bulk import of departments, the capability taxonomy, companies and scenarios from a JSON file,
upserting by ``key``. Each record lands or fails on its own: bad records are reported by key with
the reason, good ones still land, and re-running the same file changes nothing."""
