"""Pages that show several domains at once, and their JSON twins: the home page, the scenario
catalog (search with its database fallback) and a scenario's public page with its published
result and pilot, the company directory and a company's track record, and the member home
(recommendations, proposals, invitations, notifications). It sits above every domain and the
read engines (search, matching) and composes their services; no domain imports it."""
