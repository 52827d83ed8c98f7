"""Properties over random directories and random enquiries: ``decide`` is
total and deterministic, and audiences never cross (an applicant enquiry
never lands in a staff queue, a staff enquiry never in an applicant queue),
whatever the rules say."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import (
    LANGUAGES,
    TOPICS,
    Audience,
    Directory,
    Kind,
    Names,
    Organization,
    Queue,
    RoutingDecision,
    RoutingRequest,
    Rule,
    build_directory,
    decide,
)
from servicedesk.directory_source import RegionData

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
ALIASES = ("OSAO", "Omnia", "Vamia", "Novida", "Stadin AO", "Gradia", "Turun AKK")
WORDS = (
    "Oulussa", "Helsingissä", "i Vasa", "från Jakobstad", "Salo", "salo", "Pellon", "Simo",
    "oppisopimus", "läroavtal", "apprenticeship", "hakuaika", "results", "tulokset",
    "salasana ei toimi", "logga in", "password", "maksaa", "studiestöd", "fee", "kiire",
    "90100", "00100", "131052-308T", "010100A123D", "matti@osao.fi", "Pohjois-Pohjanmaalla",
    "Österbotten", "ja", "och", "the", "?", "!", "\n", "-", ":", *ALIASES,
)  # fmt: skip


def subset(regions: RegionData) -> RegionData:
    """Every eleventh municipality (and the ones the words name): enough to
    route, small enough to build a directory per example quickly."""
    keep = {m.code for m in regions.municipalities[::11]} | {"564", "091", "905", "598", "734"}
    municipalities = tuple(m for m in regions.municipalities if m.code in keep)
    postcodes = {p: c for p, c in regions.postcodes.items() if c in keep}
    aliases = {a: c for a, c in regions.aliases.items() if c in keep}
    return RegionData(regions.regions, municipalities, postcodes, aliases)


@st.composite
def directories(draw: st.DrawFn, regions: RegionData) -> Directory:
    codes = [r.code for r in regions.regions]
    org_count = draw(st.integers(0, 8))
    organizations, queues = [], []
    for index in range(org_count):
        kind = draw(st.sampled_from(list(Kind)))
        national = kind in (Kind.NATIONAL_DESK, Kind.STAFF_HELPDESK)
        region = None if national else draw(st.sampled_from(codes))
        org_id = f"org{index}"
        aliases = tuple(draw(st.lists(st.sampled_from(ALIASES), max_size=2, unique=True)))
        domains = (f"org{index}.fi",) if draw(st.booleans()) else ()
        organizations.append(
            Organization(org_id, kind, region, Names(f"Organisaatio {index}"), aliases, domains,
                         active=draw(st.booleans()) or index % 2 == 0)
        )  # fmt: skip
        for q in range(draw(st.integers(0, 3))):
            queues.append(
                Queue(
                    f"{org_id}-q{q}", org_id, draw(st.sampled_from(list(Audience))),
                    tuple(draw(st.lists(st.sampled_from(TOPICS), max_size=3, unique=True))),
                    tuple(draw(st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True))),
                    active=draw(st.booleans()) or q == 0,
                )
            )  # fmt: skip
    rules = []
    if queues:
        for index in range(draw(st.integers(0, 5))):
            when: dict[str, Any] = {}
            for key, values in (
                ("audience", ["applicant", "staff"]), ("region", codes), ("topic", list(TOPICS)),
                ("language", list(LANGUAGES)), ("channel", ["email", "sms", "phone", "web"]),
                ("municipality", ["564", "091", "Vaasa"]),
                ("institution", [o.id for o in organizations]),
            ):  # fmt: skip
                if draw(st.integers(0, 3)) == 0:
                    when[key] = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2))
            route_to = draw(st.sampled_from([q.id for q in queues]))
            priority = draw(st.sampled_from([None, "normal", "high", "low"]))
            rules.append(Rule.of(f"rule-{index}", route_to, when, priority))
    r = regions
    return build_directory(
        r.regions, r.municipalities, r.postcodes, r.aliases, organizations, queues, (), rules
    )


def requests() -> st.SearchStrategy[RoutingRequest]:
    text = st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=12).map(" ".join)
    hint = st.none() | st.sampled_from(["", "17", "1", "99", "Uusimaa", "Atlantis"])
    return st.builds(
        RoutingRequest,
        audience=st.sampled_from(["applicant", "staff", "STAFF", "", "student"]),
        channel=st.sampled_from(["email", "sms", "phone", "web", "api", ""]),
        subject=st.sampled_from(["", "Kysymys", "Fråga"]),
        text=text,
        language=st.none() | st.sampled_from(["fi", "sv", "en", "sv-FI", "de", ""]),
        municipality=st.none() | st.sampled_from(["564", "91", "Vaasa", "Maarianhamina", "x"]),
        institution=st.none() | st.sampled_from(["org0", "org1", "OSAO", "nobody"]),
        region=hint,
        topic=st.none() | st.sampled_from([*TOPICS, "astrology"]),
        sender_email=st.none()
        | st.sampled_from(["a@org0.fi", "b@mail.org1.fi", "c@gmail.com", "x"]),
        staff_organization=st.none() | st.sampled_from(["org0", "org2", "ghost"]),
        contact_region=hint,
        previous_region=hint,
    )


def check(decision: RoutingDecision, request: RoutingRequest, directory: Directory) -> None:
    expected = Audience.STAFF if request.audience.strip().lower() == "staff" else Audience.APPLICANT
    assert decision.audience is expected
    assert decision.topic in TOPICS and decision.language in LANGUAGES
    assert decision.priority in ("normal", "high", "low")
    assert decision.reasons and all(r.text for r in decision.reasons)
    if decision.queue_id is None:
        assert decision.organization_id is None
        assert any("unrouted" in r.text or "no " in r.text for r in decision.reasons)
        return
    queue = directory.queues[decision.queue_id]
    assert queue.audience is decision.audience  # never across audiences
    assert queue.active and directory.organizations[queue.organization].active
    assert decision.organization_id == queue.organization
    if decision.rule_id is not None:
        assert any(rule.id == decision.rule_id for rule in directory.rules)
    if decision.region is not None:
        assert decision.region in directory.regions


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_total_deterministic_and_audiences_never_cross(
    regions: RegionData, data: st.DataObject
) -> None:
    directory = data.draw(directories(subset(regions)))
    for _ in range(5):
        request = data.draw(requests())
        decision = decide(request, directory, NOW)
        check(decision, request, directory)
        assert decide(request, directory, NOW) == decision  # deterministic


@settings(max_examples=300, deadline=None)
@given(request=requests())
def test_total_on_the_test_directory(directory: Directory, request: RoutingRequest) -> None:
    check(decide(request, directory, NOW), request, directory)


@settings(max_examples=100, deadline=None)
@given(request=requests())
def test_total_with_an_empty_directory(regions: RegionData, request: RoutingRequest) -> None:
    empty = _empty(regions)
    decision = decide(request, empty, NOW)
    assert decision.queue_id is None and decision.organization_id is None
    assert any("stays unrouted" in r.text or "no national" in r.text for r in decision.reasons)


_EMPTY: dict[int, Directory] = {}


def _empty(regions: RegionData) -> Directory:
    key = id(regions)
    if key not in _EMPTY:
        r = regions
        _EMPTY[key] = build_directory(
            r.regions, r.municipalities, r.postcodes, r.aliases, (), (), (), ()
        )
    return _EMPTY[key]


def test_nothing_at_all() -> None:
    empty = build_directory((), (), {}, {}, (), (), (), ())
    decision = decide(RoutingRequest(text="Asun Oulussa"), empty, NOW)
    assert decision.queue_id is None and decision.region is None
    decision = decide(RoutingRequest(audience="staff", text="virhe"), empty, NOW)
    assert decision.queue_id is None
    assert any("no national staff helpdesk" in r.text for r in decision.reasons)
