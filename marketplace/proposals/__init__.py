"""Proposals that member companies submit to open scenarios, alone or as a consortium (a lead
company with invited members, roles and work shares), with versions kept at every submit."""
