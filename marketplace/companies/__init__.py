"""Member companies of the park's big-data association: their public profile, the capabilities
they declare with evidence (self-declared, past project, verified by the association) and past
projects. A company is ``pending`` until an admin approves it, and can be ``suspended``."""
