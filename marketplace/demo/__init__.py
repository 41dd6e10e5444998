"""Demo data written for this project (``demo_data.json``) and ``seed_demo``, which loads it
through the importer so that every screen has real content."""
