"""The dependency audit's fallback never drops what pip-audit found."""

from __future__ import annotations

from tests.security.audit_dependencies import merged


def test_a_finding_of_pip_audit_is_kept_when_the_audit_falls_back() -> None:
    from_pip_audit = [
        {"name": "flask-babel", "version": "4.0.0", "vulns": [{"id": "GHSA-x"}]},
        {"name": "nh3", "version": "0.2.0", "skip_reason": "not found"},
    ]
    from_project_pages = [
        {"name": "Flask-Babel", "version": "4.0.0", "vulns": []},
        {"name": "nh3", "version": "0.2.0", "vulns": [{"id": "GHSA-y"}]},
        {"name": "rq", "version": "2.0", "skip_reason": "older than the latest release"},
    ]
    assert merged(from_pip_audit, from_project_pages) == [
        from_pip_audit[0],
        from_project_pages[1],
        from_project_pages[2],
    ]
    assert merged(None, from_project_pages) == from_project_pages
