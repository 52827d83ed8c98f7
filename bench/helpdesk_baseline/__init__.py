"""The django-helpdesk baseline of the benchmarks (see baseline.py)."""
