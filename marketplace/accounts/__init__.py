"""Users and what they may do: company members (one of them the company's manager), bureau staff
of one department (optionally its CDO and/or an evaluator) and association admins."""
