"""Who sees which report: every state, sensitivity, viewer, route and list.

EXPECTED is written from DESIGN §3 (the visibility table), not from app/services/policy.py,
so the policy, its SQL twin, every page and every list are all held to the design. Each
test builds the same world: the cast of tests.support.reports and one report for each state
and sensitivity, plus two (in manufacturer review and published) whose reporter agreed to
show its name to the manufacturers, all walked there through the real services. A failure
names the report (state/sensitivity), the viewer and the route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from app.extensions import db
from app.models import Delivery, Notification, OutboxMessage, Report, ReportState, User
from app.services import notifications, outbox, policy
from tests.support.reports import TEST_PASSWORD, VIEWERS, build_cast, walk_to

S = ReportState

# --- the table (DESIGN §1 and §3) --------------------------------------------------------

REPORTER_ORG = frozenset({"author", "colleague"})
INVOLVED = frozenset({"involved_maker", "second_involved_maker"})
MAKERS = INVOLVED | {"uninvolved_maker"}
REPORTERS = REPORTER_ORG | {"other_party"} | MAKERS  # party and manufacturer users
# Who may write reports: reporters for their organisation, validators for the DCC.
AUTHORS = REPORTERS | {"validator"}
EVERYONE = frozenset(VIEWERS)

_AUTHOR = frozenset({"author"})
_CASE = REPORTER_ORG | {"validator"}
_REVIEWED = _CASE | INVOLVED
_SSC = frozenset({"ssc"})

# (state, security-sensitive) -> the signed-in viewers who see the whole report.
EXPECTED: dict[tuple[ReportState, bool], frozenset[str]] = {
    (S.draft, False): _AUTHOR,
    (S.draft, True): _AUTHOR,
    (S.submitted, False): _CASE,
    (S.submitted, True): _CASE | _SSC,
    (S.in_validation, False): _CASE,
    (S.in_validation, True): _CASE | _SSC,
    (S.info_requested, False): _CASE,
    (S.info_requested, True): _CASE | _SSC,
    (S.rejected, False): _CASE,
    (S.rejected, True): _CASE | _SSC,
    (S.manufacturer_review, False): _REVIEWED,
    (S.manufacturer_review, True): _REVIEWED | _SSC,
    (S.approved, False): _REVIEWED,
    (S.approved, True): _REVIEWED | _SSC,
    (S.published, False): EVERYONE,
    (S.published, True): _REVIEWED | _SSC,
    (S.withdrawn, False): _REVIEWED,
    (S.withdrawn, True): _REVIEWED | _SSC,
}
# Everyone else signed in sees only that the record was withdrawn, and why.
NOTICE_FOR_OTHERS = frozenset({(S.withdrawn, False)})
# Where the manufacturer's review page and queue apply (DESIGN §2: "from manufacturer review on").
REVIEW_STATES = frozenset({S.manufacturer_review, S.approved, S.published, S.withdrawn})
OPEN_STATES = frozenset(
    {S.submitted, S.in_validation, S.info_requested, S.manufacturer_review, S.approved}
)
CATEGORY = "Large Supplier"
DESCRIPTION_FRAGMENT = "leaves the HAN and raises alert"


@dataclass(frozen=True)
class Spec:
    """One report of the world."""

    state: ReportState
    sensitive: bool
    reveal: bool = False  # the reporter agreed to show its name to the manufacturers

    def __str__(self) -> str:
        flags = ["sensitive" if self.sensitive else "open"] + (["reveal"] if self.reveal else [])
        return "/".join([self.state.value, *flags])


SPECS = [Spec(state, sensitive) for state in S for sensitive in (False, True)] + [
    Spec(S.manufacturer_review, False, reveal=True),
    Spec(S.published, False, reveal=True),
]


def sees(viewer: str, spec: Spec) -> bool:
    return viewer in EXPECTED[(spec.state, spec.sensitive)]


def sees_notice(viewer: str, spec: Spec) -> bool:
    return not sees(viewer, spec) and (spec.state, spec.sensitive) in NOTICE_FOR_OTHERS


def sees_reporter_name(viewer: str, spec: Spec) -> bool:
    """DESIGN §3: its own members, validators and, with consent, the manufacturers."""
    if not sees(viewer, spec):
        return False
    return viewer in _CASE or (spec.reveal and viewer in INVOLVED)


def may_see_name_anywhere(viewer: str) -> bool:
    return viewer in _CASE


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    keys: dict[Spec, str]
    ids: dict[Spec, int]
    tokens: dict[Spec, str]  # a word only this report's title contains
    emails: dict[str, str]
    users: dict[str, int]
    reporter_org: str
    year: str
    next_reference: str
    next_id: int

    def token_leaks(self, viewer: str, html: str) -> list[str]:
        """Titles of reports the viewer may not see in full that appear in a page."""
        return [str(s) for s, t in self.tokens.items() if t in html and not sees(viewer, s)]


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        cast = build_cast()
        # A colleague on the daily digest, so digests are checked as well as immediate mail.
        cast.user("colleague").notification_delivery = Delivery.daily_digest
        db.session.commit()
        keys, ids, tokens = {}, {}, {}
        for number, spec in enumerate(SPECS):
            token = f"vq{number:02d}z"
            report = walk_to(
                cast,
                spec.state,
                title=f"Probe {token}: Comms Hub drops ESME off the HAN",
                security_sensitive=spec.sensitive,
                reveal_organisation=spec.reveal,
            )
            assert report.state == spec.state and report.security_sensitive == spec.sensitive
            keys[spec] = report.reference or f"draft-{report.id}"
            ids[spec] = report.id
            tokens[spec] = token
        references = sorted(k for k in keys.values() if k.startswith("IDR-"))
        year, last = references[-1].split("-")[1:]
        return World(
            keys=keys,
            ids=ids,
            tokens=tokens,
            emails={viewer: cast.user(viewer).email for viewer in VIEWERS},
            users=dict(cast.users),
            reporter_org=cast.reporter_org,
            year=year,
            next_reference=f"IDR-{year}-{int(last) + 1:05d}",
            next_id=max(ids.values()) + 1,
        )


def signed_in(app, world: World, viewer: str):
    client = app.test_client()
    response = client.post(
        "/auth/login", data={"email": world.emails[viewer], "password": TEST_PASSWORD}
    )
    assert response.status_code == 302, f"{viewer} could not sign in"
    return client


_VOLATILE = re.compile(r'name="csrf_token" value="[^"]*"')


def page(client, path: str) -> tuple[int, str]:
    status, html, _ = answer(client, path)
    return status, html


def answer(client, path: str) -> tuple[int, str, str | None]:
    """Status, page (without its CSRF token) and where a redirect goes."""
    response = client.get(path)
    html = _VOLATILE.sub("", response.get_data(as_text=True))
    return response.status_code, html, response.location


def test_the_table_covers_every_state_twice():
    assert set(EXPECTED) == {(state, sensitive) for state in S for sensitive in (False, True)}
    assert {(s.state, s.sensitive) for s in SPECS} == set(EXPECTED)


# --- the policy and its SQL twin ---------------------------------------------------------


def test_policy_and_sql_list_follow_the_table(app, world):
    mismatches = []
    with app.app_context():
        reports = {spec: db.session.get(Report, world.ids[spec]) for spec in SPECS}
        users = {viewer: _user(world, viewer) for viewer in VIEWERS}
        users["anonymous"] = AnonymousUserMixin()
        for viewer, user in users.items():
            for spec, report in reports.items():
                expected = viewer != "anonymous" and sees(viewer, spec)
                if policy.can(user, "report.view", report) != expected:
                    mismatches.append(f"can({viewer}, report.view, {spec}) != {expected}")
                notice = viewer != "anonymous" and sees_notice(viewer, spec)
                if not expected and policy.can(user, "report.view_notice", report) != notice:
                    mismatches.append(f"can({viewer}, report.view_notice, {spec}) != {notice}")
                edits = viewer == "author" and spec.state == S.draft
                if policy.can(user, "report.edit", report) != edits:
                    mismatches.append(f"can({viewer}, report.edit, {spec}) != {edits}")
                named = viewer != "anonymous" and sees_reporter_name(viewer, spec)
                if expected and policy.can(user, "report.see_reporter", report) != named:
                    mismatches.append(f"can({viewer}, report.see_reporter, {spec}) != {named}")
            listed = set(db.session.scalars(policy.visible_reports(user, sa.select(Report.id))))
            for spec in SPECS:
                expected = viewer != "anonymous" and sees(viewer, spec)
                if (world.ids[spec] in listed) != expected:
                    mismatches.append(f"visible_reports({viewer}) has {spec}: {not expected}")
    assert not mismatches, "\n".join(mismatches)


def _user(world: World, viewer: str) -> User:
    return db.session.get(User, world.users[viewer])


# --- through HTTP, one signed-in viewer at a time ----------------------------------------


class Pages:
    """Fetches pages for one viewer, collecting every way they differ from the table."""

    def __init__(self, client, world: World, viewer: str):
        self.client, self.world, self.viewer = client, world, viewer
        self.mismatches: list[str] = []
        self.served = 0
        self.location: str | None = None  # where the last redirect went

    def get(self, path: str, expected_status: int, what: str) -> str:
        status, html, self.location = answer(self.client, path)
        if status != expected_status:
            self.mismatches.append(f"{what}: GET {path} {status}, expected {expected_status}")
        if status == 200:
            self.served += 1
        # Nothing the viewer may not see leaks into any page they are served.
        for leaked in self.world.token_leaks(self.viewer, html):
            self.mismatches.append(f"{what}: GET {path} shows the title of {leaked}")
        return html

    def fail(self, message: str) -> None:
        self.mismatches.append(message)

    def name_shown(self, html: str) -> bool:
        return self.world.reporter_org in html


def _detail_pages(pages: Pages, world: World, viewer: str) -> None:
    """/reports/<key>, unknown and guessed keys."""
    unknown_html = pages.get(f"/reports/IDR-{world.year}-99999", 404, "unknown reference")
    for spec in SPECS:
        key = world.keys[spec]
        what = f"{spec} as {viewer} on records.detail"
        status = 200 if sees(viewer, spec) or sees_notice(viewer, spec) else 404
        html = pages.get(f"/reports/{key}", status, what)
        if sees(viewer, spec):
            if world.tokens[spec] not in html or DESCRIPTION_FRAGMENT not in html:
                pages.fail(f"{what}: the full report is not shown")
            if not sees_reporter_name(viewer, spec) and f"A {CATEGORY}" not in html:
                pages.fail(f"{what}: the reporter's category is not shown")
        elif sees_notice(viewer, spec):
            if "has been withdrawn" not in html or DESCRIPTION_FRAGMENT in html:
                pages.fail(f"{what}: not the bare withdrawal notice")
        elif html != unknown_html:
            pages.fail(f"{what}: the 404 differs from an unknown reference's")
        if pages.name_shown(html) != sees_reporter_name(viewer, spec):
            pages.fail(f"{what}: reporter's name shown is {pages.name_shown(html)}")
        # A reference typed in lower case answers exactly as the reference itself does.
        lower = key.lower()
        if lower != key and pages.get(f"/reports/{lower}", status, f"{what} (lc)") != html:
            pages.fail(f"{what}: the lower-case reference answers differently")
    published = world.ids[Spec(S.published, False)]
    for guess in (
        world.next_reference,  # the next number, not yet allocated
        world.next_reference.lower(),
        f"draft-{world.next_id}",
        f"draft-{published}",  # a submitted report is not reachable by its row id
        f"IDR-{world.year}-00000",
        "IDR-0000-00001",
    ):
        html = pages.get(f"/reports/{guess}", 404, f"guessed key {guess} as {viewer}")
        if html != unknown_html:
            pages.fail(f"guessed key {guess} as {viewer}: the 404 differs from an unknown one")


def _lists(pages: Pages, world: World, viewer: str) -> None:
    """each list shows a report exactly when the table says so."""

    def listed(html: str, spec: Spec, prefix: str) -> bool:
        return f'href="{prefix}{world.keys[spec]}"' in html

    html = pages.get("/records/", 200, f"records.index as {viewer}")
    for spec in SPECS:
        expected = spec.state in (S.published, S.withdrawn) and (
            sees(viewer, spec) or sees_notice(viewer, spec)
        )
        if listed(html, spec, "/reports/") != expected:
            pages.fail(f"{spec} as {viewer} on records.index: listed is {not expected}")

    html = pages.get("/reports/mine", 200 if viewer in AUTHORS else 403, f"mine as {viewer}")
    for spec in SPECS:
        expected = viewer == "author" or (viewer == "colleague" and spec.state != S.draft)
        if listed(html, spec, "/reports/") != expected:
            pages.fail(f"{spec} as {viewer} on submission.mine: listed is {not expected}")

    validator = viewer == "validator"
    queries = {"": OPEN_STATES} | {f"?state={s.value}": {s} for s in S if s != S.draft}
    for query, states in queries.items():
        html = pages.get(f"/validation/{query}", 200 if validator else 403, f"queue as {viewer}")
        for spec in SPECS:
            expected = validator and spec.state in states
            if listed(html, spec, "/validation/") != expected:
                pages.fail(
                    f"{spec} as {viewer} on validation.queue{query}: listed is {not expected}"
                )

    html = pages.get("/review/", 200 if viewer in MAKERS else 403, f"review.queue as {viewer}")
    for spec in SPECS:
        expected = viewer in INVOLVED and spec.state in REVIEW_STATES and sees(viewer, spec)
        if listed(html, spec, "/review/") != expected:
            pages.fail(f"{spec} as {viewer} on review.queue: listed is {not expected}")

    # Pages that list nothing of a report's own still must not leak it.
    pages.get("/", 200, f"main.index as {viewer}")
    pages.get("/notifications/", 200, f"notifications.index as {viewer}")


def _workspaces(pages: Pages, world: World, viewer: str) -> None:
    """the validation and review workspaces, and editing drafts."""
    unknown = f"IDR-{world.year}-99999"
    validator = viewer == "validator"
    unknown_html = pages.get(f"/validation/{unknown}", 404 if validator else 403, "unknown")
    for spec in SPECS:
        key = world.keys[spec]
        what = f"{spec} as {viewer} on validation.detail"
        expected = 403 if not validator else (200 if sees(viewer, spec) else 404)
        html = pages.get(f"/validation/{key}", expected, what)
        if expected == 200 and world.tokens[spec] not in html:
            pages.fail(f"{what}: the report is not shown")
        if expected != 200 and html != unknown_html:
            pages.fail(f"{what}: the answer differs from an unknown reference's")

    maker = viewer in MAKERS
    unknown_html = pages.get(f"/review/{unknown}", 404 if maker else 403, "unknown")
    for spec in SPECS:
        key = world.keys[spec]
        what = f"{spec} as {viewer} on review.detail"
        reach = viewer in INVOLVED and spec.state in REVIEW_STATES and sees(viewer, spec)
        expected = 403 if not maker else (200 if reach else 404)
        html = pages.get(f"/review/{key}", expected, what)
        if expected == 200:
            if world.tokens[spec] not in html:
                pages.fail(f"{what}: the report is not shown")
            if pages.name_shown(html) != sees_reporter_name(viewer, spec):
                pages.fail(f"{what}: reporter's name shown is {pages.name_shown(html)}")
        elif html != unknown_html:
            pages.fail(f"{what}: the answer differs from an unknown reference's")

    # The reporter's edit form: the author's own draft only; any other report they see goes
    # back to its page with the reason; one they do not see is an unknown reference.
    if viewer in AUTHORS:
        unknown_html = pages.get(f"/reports/{unknown}/edit", 404, "unknown on submission.edit")
    for spec in SPECS:
        key = world.keys[spec]
        what = f"{spec} as {viewer} on submission.edit"
        if viewer not in AUTHORS:
            expected = 403
        elif not sees(viewer, spec):
            expected = 404
        else:
            expected = 200 if spec.state == S.draft and viewer == "author" else 302
        html = pages.get(f"/reports/{key}/edit", expected, what)
        if expected == 200 and "Edit draft" not in html:
            pages.fail(f"{what}: the edit form is not shown")
        if expected == 302:
            if pages.location != f"/reports/{key}":
                pages.fail(f"{what}: redirected to {pages.location}, not the report")
            shown = pages.get(f"/reports/{key}", 200, f"{what}, followed")
            if "cannot be edited here" not in shown:
                pages.fail(f"{what}: no reason given on the report's page")
        if expected == 404 and html != unknown_html:
            pages.fail(f"{what}: the 404 differs from an unknown reference's")


@pytest.mark.parametrize("viewer", VIEWERS)
def test_each_page_and_list_shows_a_viewer_what_the_table_says(app, world, viewer):
    pages = Pages(signed_in(app, world, viewer), world, viewer)
    _detail_pages(pages, world, viewer)
    _lists(pages, world, viewer)
    _workspaces(pages, world, viewer)
    assert pages.served > 0
    assert not pages.mismatches, "\n".join(pages.mismatches)


def test_duplicate_hints_show_a_viewer_only_what_the_table_says(app, world):
    """The hints fetched while the report form is typed (POST /reports/similar): typing a
    report's own rare word finds it exactly when the viewer may see it (drafts are not
    in the index); those who may not write reports are refused."""
    with app.app_context():
        outbox.drain()  # the index is built by the outbox, as in the portal
    mismatches = []
    for viewer in VIEWERS:
        client = signed_in(app, world, viewer)
        for spec in SPECS:
            typed = {
                "title": f"Probe {world.tokens[spec]}",
                "devices-0-device_type": "ESME",
                "devices-0-manufacturer_name": "Aldermoor Metering Ltd",
            }
            response = client.post("/reports/similar", data=typed)
            if viewer not in AUTHORS:
                if response.status_code != 403:
                    mismatches.append(f"{viewer}: POST /reports/similar {response.status_code}")
                break
            html = response.get_data(as_text=True)
            leaks = world.token_leaks(viewer, html)
            if leaks:
                mismatches.append(f"{viewer} typing {spec}'s word is shown {leaks}")
            found = f'href="/reports/{world.keys[spec]}"' in html
            if found != (sees(viewer, spec) and spec.state != S.draft):
                mismatches.append(f"{viewer} typing {spec}'s word: found is {found}")
    assert not mismatches, "\n".join(mismatches)


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(app, world):
    client = app.test_client()
    keys = list(world.keys.values())
    paths = [
        "/records/",
        "/reports/mine",
        "/validation/",
        "/review/",
        f"/reports/{world.next_reference}",
        f"/reports/draft-{world.next_id}",
        *(f"/reports/{key}" for key in keys),
        *(f"/validation/{key}" for key in keys),
        *(f"/review/{key}" for key in keys),
    ]
    wrong = []
    for path in paths:
        response = client.get(path)
        if response.status_code != 302 or not response.location.startswith("/auth/login"):
            wrong.append(f"GET {path}: {response.status_code} {response.location}")
        if world.reporter_org in response.get_data(as_text=True):
            wrong.append(f"GET {path}: shows the reporter's name")
    assert not wrong, "\n".join(wrong)


# --- notifications and e-mail ------------------------------------------------------------


def test_notifications_and_emails_never_name_a_security_sensitive_report(app, world):
    """Nor the reporting organisation, to anyone outside it and the validators."""
    viewer_of = {user_id: viewer for viewer, user_id in world.users.items()}
    viewer_of |= {email: viewer for viewer, email in world.emails.items()}
    with app.app_context():
        notifications.send_digests()
        rows = list(db.session.scalars(sa.select(Notification)))
        mails = list(
            db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "email"))
        )
        # (where, recipient, text)
        texts = [
            (f"notification {n.id}", viewer_of[n.user_id], f"{n.subject}\n{n.body}") for n in rows
        ]
        texts += [
            (
                f"e-mail {m.id} ({m.payload['subject']})",
                viewer_of[m.payload["to"]],
                f"{m.payload['subject']}\n{m.payload['body']}",
            )
            for m in mails
        ]
        sensitive_ids = {world.ids[s] for s in SPECS if s.sensitive}
        about_sensitive = {n.report_id for n in rows} & sensitive_ids
    # The check has teeth: sensitive reports were notified, a digest went out, makers were
    # told, and open reports are named by their titles.
    assert about_sensitive, "no notification about a security-sensitive report was written"
    assert any(who == "colleague" and "digest" in text.lower() for _, who, text in texts)
    assert {"involved_maker", "second_involved_maker"} <= {who for _, who, _ in texts}
    assert any(world.tokens[Spec(S.published, False)] in text for _, _, text in texts)
    leaks = [
        f"{where} to {who} names {spec}"
        for where, who, text in texts
        for spec in SPECS
        if spec.sensitive and world.tokens[spec] in text
    ]
    leaks += [
        f"{where} to {who} names the reporting organisation"
        for where, who, text in texts
        if world.reporter_org in text and not may_see_name_anywhere(who)
    ]
    assert not leaks, "\n".join(leaks)


# --- the audit log -----------------------------------------------------------------------


def test_the_audit_log_shows_the_admin_no_title_of_a_report_they_may_not_see(app, world):
    """The audit log names references and actors, never a report's words."""
    client = signed_in(app, world, "admin")
    leaks, number = [], 1
    while True:
        status, html = page(client, f"/admin/audit?page={number}")
        assert status == 200
        if "No audit events match." in html or number > 20:
            break
        leaks += [f"page {number}: {leak}" for leak in world.token_leaks("admin", html)]
        number += 1
    assert number > 1, "the audit log showed no events"
    assert not leaks, "\n".join(leaks)
