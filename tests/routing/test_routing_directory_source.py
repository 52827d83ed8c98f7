"""The shipped regions data, the demo directory, and validation of directory
YAML: every problem reported at once, each with file, entry and field."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from routing import Directory, Kind, RoutingRequest, decide
from servicedesk.directory_source import (
    DirectoryError,
    Problem,
    RegionData,
    load_regions,
    read_directory,
)
from servicedesk.errors import ServiceDeskError

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_regions(regions: RegionData) -> None:
    assert len(regions.regions) == 19
    assert len(regions.municipalities) == 308
    assert len(regions.postcodes) == 5033
    assert {r.code for r in regions.regions} == {f"{n:02}" for n in range(1, 22)} - {"03", "20"}
    codes = {m.code for m in regions.municipalities}
    assert set(regions.postcodes.values()) <= codes
    assert set(regions.aliases.values()) <= codes
    assert regions.aliases["Maarianhamina"] == "478"
    assert regions.aliases["Pedersöre"] == "599"
    assert regions.aliases["Pertunmaa"] == "507"
    assert regions.municipality_code("Vasa") == "905"
    assert regions.municipality_code("91") == "091"
    by_code = {m.code: m for m in regions.municipalities}
    assert by_code["564"].name_sv == "Uleåborg" and by_code["564"].region == "17"
    assert (ROOT / "config" / "regions" / "SOURCE.md").is_file()


def test_demo_directory_validates_and_covers_the_country(demo_directory: Directory) -> None:
    orgs = demo_directory.organizations.values()
    desks = {o.region for o in orgs if o.kind is Kind.REGIONAL_DESK}
    assert {"01", "02", "15", "17"} <= desks
    assert demo_directory.national_desk and demo_directory.staff_helpdesk
    assert any(o.kind is Kind.APPRENTICESHIP_OFFICE for o in orgs)
    staff_queues = [q for q in demo_directory.queues.values() if q.audience == "staff"]
    assert len(staff_queues) >= 5 and demo_directory.staff_domains
    assert all(e.email.endswith(("@example.org", "@example.fi")) for e in demo_directory.experts)
    phones = [o.phone for o in orgs if o.phone]
    assert phones and all(re.fullmatch(r"\+3585\d{8}", p) for p in phones)
    assert demo_directory.rules


@pytest.mark.parametrize(
    ("fields", "queue"),
    [
        ({"text": "Haluaisin oppisopimukseen Oulussa"}, "pp-apprenticeship-applicants"),
        ({"text": "Milloin OSAOn hakuaika päättyy?"}, "osao-applicants"),
        ({"text": "Jag vill studera vid Novida i Närpes"}, "novida-applicants"),
        ({"text": "Hej, jag bor i Jakobstad.", "channel": "phone"}, "pohjanmaa-applicants-sv"),
        ({"text": "Onko Stadin AO:ssa iltaopiskelua?"}, "stadin-ao-applicants"),
        ({"text": "When are the admission results published?"}, "national-results"),
        ({"text": "Can my degree from abroad be recognised?"}, "national-international"),
        ({"text": "Oppisopimus Turussa"}, "turku-apprenticeship-applicants"),
        ({"text": "Paljonko opiskelu maksaa? Asun Espoossa."}, "uusimaa-applicants"),
        (
            {
                "audience": "staff",
                "text": "Hakukohteen tiedot eivät tallennu",
                "sender_email": "a@osao.fi",
            },
            "helpdesk-technical",
        ),
        (
            {"audience": "staff", "text": "Kysymys tutkinnon osista", "sender_email": "a@tredu.fi"},
            "tredu-staff",
        ),
        ({"text": "Hei"}, "national-triage"),
    ],
)
def test_demo_routing(
    demo_directory: Directory, now: datetime, fields: dict[str, str], queue: str
) -> None:
    decision = decide(RoutingRequest(**fields), demo_directory, now)
    assert decision.queue_id == queue, [r.text for r in decision.reasons]


BROKEN = """\
organizations:
  - id: osao
    kind: institution
    region: "99"
    name: {fi: Oulun seudun ammattiopisto}
    queues:
      - {id: osao-applicants, audience: applicants, topics: [cooking]}
      - {id: osao-staff, audience: staff, languages: [de]}
  - id: osao
    kind: university
    region: "17"
    name: OSAO again
  - id: vamia
    kind: institution
    region: 15
    name: Vamia
    opening_hours: {mon: "16:00-08:00"}
    aliases: Vamia
    queues:
      - {id: vamia-applicants, audience: applicant}
      - {id: vamia-staff, audience: staff}
      - {id: vamia-applicants, audience: applicant}
  - kind: regional_desk
    region: "01"
    phone: 0401234567
    colour: red
experts:
  - {email: a@example.org, name: A, organization: vamia, queues: [vamia-applicants, osao-staff]}
  - {email: A@EXAMPLE.ORG, name: B, organization: vamia}
  - {email: not-an-email, organization: ghost}
rules:
  - when: {audience: applicant, planet: mars}
    route_to: vamia-staff
  - when: {audience: staff}
    route_to: vamia-applicants
  - when: {region: "17"}
    route_to: nowhere
  - id: bad-values
    when: {topic: [funding, astrology], language: de, channel: pigeon, institution: ghost}
    route_to: vamia-applicants
    priority: urgent
  - route_to: vamia-applicants
"""


def test_every_problem_at_once_with_file_entry_and_field(
    regions: RegionData, tmp_path: Path
) -> None:
    (tmp_path / "a.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "b.yml").write_text(
        "organizations:\n  - id: x\n   kind: institution\n", encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("not read", encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        read_directory(tmp_path, regions)
    problems = caught.value.problems
    found = {(Path(p.file).name, p.entry, p.field) for p in problems}
    expected = {
        ("a.yaml", "organizations[0] (id=osao)", "region"),  # unknown region
        ("a.yaml", "organizations[0] (id=osao)", "queues[0].audience"),  # unknown audience
        ("a.yaml", "organizations[0] (id=osao)", "queues[0].topics[0]"),  # unknown topic
        ("a.yaml", "organizations[0] (id=osao)", "queues[1].languages[0]"),  # unknown language
        ("a.yaml", "organizations[1] (id=osao)", "id"),  # duplicate organisation
        ("a.yaml", "organizations[1] (id=osao)", "kind"),  # unknown kind
        ("a.yaml", "organizations[2] (id=vamia)", "opening_hours"),
        ("a.yaml", "organizations[2] (id=vamia)", "queues[2].id"),  # duplicate queue
        ("a.yaml", "organizations[3]", "id"),  # missing required field
        ("a.yaml", "organizations[3]", "name"),
        ("a.yaml", "organizations[3]", "phone"),  # wrong type / format
        ("a.yaml", "organizations[3]", "colour"),  # unknown field
        ("a.yaml", "experts[0] (email=a@example.org)", "queues[1]"),  # queue of another org
        ("a.yaml", "experts[1] (email=A@EXAMPLE.ORG)", "email"),  # duplicate expert
        ("a.yaml", "experts[2] (email=not-an-email)", "email"),
        ("a.yaml", "experts[2] (email=not-an-email)", "name"),
        ("a.yaml", "rules[0]", "when.planet"),  # unknown when key
        ("a.yaml", "rules[0]", "route_to"),  # applicant rule to a staff queue
        ("a.yaml", "rules[1]", "route_to"),  # staff rule to an applicant queue
        ("a.yaml", "rules[2]", "route_to"),  # unknown queue
        ("a.yaml", "rules[3] (id=bad-values)", "when.topic[1]"),
        ("a.yaml", "rules[3] (id=bad-values)", "when.language[0]"),
        ("a.yaml", "rules[3] (id=bad-values)", "when.channel[0]"),
        ("a.yaml", "rules[3] (id=bad-values)", "when.institution[0]"),
        ("a.yaml", "rules[3] (id=bad-values)", "priority"),
        ("a.yaml", "rules[4]", "when"),  # missing when
        ("b.yml", "", ""),  # YAML syntax error
    }
    assert expected <= found, sorted(found)
    syntax = next(p for p in problems if p.file.endswith("b.yml"))
    assert syntax.line == 3 and "YAML syntax error" in syntax.message
    assert all(p.line for p in problems if p.file.endswith("a.yaml"))
    region = next(p for p in problems if p.field == "region" and "osao" in p.entry)
    assert str(region).startswith(f"{tmp_path / 'a.yaml'}:4: organizations[0] (id=osao): region:")
    assert isinstance(caught.value, ServiceDeskError) and caught.value.code == "directory_invalid"
    assert f"{len(problems)} problems in the directory" in str(caught.value)


@pytest.mark.parametrize(
    ("yaml_text", "field", "words"),
    [
        ("organizations: {id: x}", "organizations", "must be a list"),
        ("- just a list", "", "must be a mapping"),
        ("people: []", "people", "unknown field"),
        (
            "organizations:\n  - id: x\n    id: y\n    kind: national_desk\n    name: X",
            "id",
            "given twice",
        ),
        (
            "organizations:\n  - {id: x, kind: regional_desk, region: '01', name: X}\n"
            "  - {id: y, kind: regional_desk, region: '01', name: Y}",
            "kind",
            "a second active regional_desk",
        ),
        (
            "organizations:\n"
            "  - {id: x, kind: institution, region: '01', name: X, aliases: [Omnia]}\n"
            "  - {id: y, kind: institution, region: '01', name: Omnia}",
            "aliases",
            "also names organization",
        ),
        (
            "organizations:\n"
            "  - {id: x, kind: institution, region: '01', name: X, staff_email_domains: [a.fi]}\n"
            "  - {id: y, kind: institution, region: '01', name: Y, staff_email_domains: [a.fi]}",
            "staff_email_domains",
            "belongs to 'x'",
        ),
        (
            "organizations:\n  - {id: x, kind: institution, region: '01', name: X, active: maybe}",
            "active",
            "true or false",
        ),
        (
            "organizations:\n  - {id: x, kind: institution, region: '01', name: X,\n"
            "     queues: [{id: q, audience: applicant, response_hours: -1}]}",
            "queues[0].response_hours",
            "positive",
        ),
        (
            "rules:\n  - {when: {municipality: Atlantis}, route_to: q}",
            "when.municipality[0]",
            "unknown municipality",
        ),
    ],
)
def test_single_problems(
    regions: RegionData, tmp_path: Path, yaml_text: str, field: str, words: str
) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        read_directory(path, regions)
    assert any(p.field == field and words in p.message for p in caught.value.problems), [
        str(p) for p in caught.value.problems
    ]


def test_files_in_name_order_and_rule_ids(regions: RegionData, tmp_path: Path) -> None:
    (tmp_path / "2-rules.yaml").write_text(
        "rules:\n  - {when: {topic: results}, route_to: nat-q}\n"
        "  - {id: named, when: {}, route_to: nat-q}\n",
        encoding="utf-8",
    )
    (tmp_path / "1-orgs.yaml").write_text(
        "organizations:\n  - id: nat\n    kind: national_desk\n"
        "    name: {fi: Neuvonta, sv: Rådgivning}\n"
        "    queues: [{id: nat-q, audience: applicant, name: Triage, response_hours: 4}]\n",
        encoding="utf-8",
    )
    source = read_directory(tmp_path, regions)
    assert [f.name for f in source.files] == ["1-orgs.yaml", "2-rules.yaml"]
    assert [r.id for r in source.rules] == ["rule-1", "named"]
    assert source.queues[0].response_hours == 4.0 and source.queues[0].name is not None
    assert source.organizations[0].opening_hours.describe()["mon"] == "09:00-16:00"
    assert source.build().national_desk == "nat"


def test_missing_and_empty(regions: RegionData, tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="no such file"):
        read_directory(tmp_path / "nothing.yaml", regions)
    with pytest.raises(DirectoryError, match=r"no \*\.yaml"):
        read_directory(tmp_path, regions)
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    assert read_directory(tmp_path, regions).organizations == ()


def test_broken_region_csv(tmp_path: Path) -> None:
    source = ROOT / "config" / "regions"
    for name in ("regions.csv", "postcodes.csv", "aliases.csv"):
        (tmp_path / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    rows = (source / "municipalities.csv").read_text(encoding="utf-8").splitlines()
    rows[5] = "999,Atlantis,Atlantis,42"
    (tmp_path / "municipalities.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        load_regions(tmp_path)
    problems = caught.value.problems
    assert any(p.entry == "row 6" and p.field == "region" for p in problems)
    # The municipality that row replaced leaves its postal codes pointing nowhere.
    assert any(Path(p.file).name == "postcodes.csv" for p in problems)


def test_problem_text() -> None:
    problem = Problem("d.yaml", "organizations[3] (id=osao)", "region", "unknown region '99'", 12)
    assert str(problem) == "d.yaml:12: organizations[3] (id=osao): region: unknown region '99'"
