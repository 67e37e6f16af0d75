"""Synthetic but realistic load over the organisation tree, for benchmarks and capacity planning.

Everything is derived from one `random.Random(seed)`, so the same seed gives the same people, the same
applications per organisation and status, and the same member numbers. Rows are written in bulk: COPY on
PostgreSQL (a million applications in minutes), `bulk_create` on SQLite. Every generated account's username
starts with `load_`, which is how `load_reset` finds the rows again.

The write path deliberately skips the services (no per-row locks, notices or progress signals) but keeps
every invariant the services keep: valid, encrypted and blind-indexed ID numbers, eligibility snapshots,
one open application per person and organisation, gapless member numbers per organisation and year with
the counter set to the last number issued, and an audit row for each step.
"""

from __future__ import annotations

import bisect
import io
import itertools
import json
import random
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from approvals.eligibility import all_met, criteria_as_json, eligibility_check
from approvals.models import Application, Recommendation
from members.models import Award, Consent, MemberNumberCounter, Membership, Notice, Person, User
from members.services.consent import CONSENT_VERSION
from members.services.numbers import member_number_format
from orgs.models import AuditEvent, Org, OrgUserObjectPermission

PREFIX = "load_"
ADMIN_PREFIX = f"{PREFIX}admin_"

BEIJING = dt_timezone(timedelta(hours=8))
# Data covers January to November 2026, independent of the day the generator runs.
PERIOD_START = datetime(2026, 1, 1, tzinfo=BEIJING)
PERIOD_END = datetime(2026, 11, 30, 23, 59, tzinfo=BEIJING)
# Submissions per month: slow after the new year, peaks before the mid-year and year-end reviews.
MONTH_WEIGHTS = [4, 5, 8, 9, 10, 8, 6, 7, 10, 12, 11]
# month -> (epoch seconds of its first Beijing midnight, days in month)
MONTH_STARTS = {
    m: (datetime(2026, m, 1, tzinfo=BEIJING).timestamp(),
        (datetime(2026, m + 1, 1, tzinfo=BEIJING) - datetime(2026, m, 1, tzinfo=BEIJING)).days)
    for m in range(1, 12)
}

# Where people apply first. County 科协 carry the bulk (冀科协〔2017〕90号 targets 30,000 of 60,000 at
# county level); provincial societies and universities take most of the rest.
HOME_WEIGHTS = {
    (Org.Level.COUNTY, Org.Kind.KEXIE): 12,
    (Org.Level.COUNTY, Org.Kind.PARK): 3,
    (Org.Level.CITY, Org.Kind.KEXIE): 4,
    (Org.Level.CITY, Org.Kind.SOCIETY): 3,
    (Org.Level.PROVINCE, Org.Kind.SOCIETY): 3,
    (Org.Level.PROVINCE, Org.Kind.UNIVERSITY): 4,
    (Org.Level.PROVINCE, Org.Kind.ENTERPRISE): 2,
    (Org.Level.PROVINCE, Org.Kind.KEXIE): 1,
}
S = Application.Status
STATUS_WEIGHTS_ELIGIBLE = {S.APPROVED: 56, S.SUBMITTED: 14, S.RETURNED: 7, S.REJECTED: 10, S.WITHDRAWN: 13}
STATUS_WEIGHTS_INELIGIBLE = {S.APPROVED: 15, S.SUBMITTED: 20, S.RETURNED: 15, S.REJECTED: 35, S.WITHDRAWN: 15}
REAPPLY_RATE = 0.3  # after a rejection or withdrawal
RECOMMEND_MEMBER_RATE = 0.12  # an approved member is recommended to the organisation above
RECOMMEND_OPEN_RATE = 0.03  # an application still under review is supported upwards

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文玉兰春海燕鹏飞宇浩然晨思雨嘉欣子涵博睿"
EMPLOYERS = [
    "河北工业大学", "河北医科大学", "燕山大学", "河北农业大学", "河北省农林科学院", "石家庄市第一医院",
    "唐山钢铁集团", "河北省气象局", "保定市农业农村局", "邯郸市中心医院", "沧州市第二中学", "某县农技推广站",
    "廊坊市环境监测站", "承德市林业局", "衡水市人民医院", "张家口市科技馆",
]
DISCIPLINES = ["材料科学", "临床医学", "作物栽培", "机械工程", "环境科学", "计算机科学", "畜牧兽医", "土木工程",
               "化学工程", "科普教育", "电气工程", "林学"]
EDUCATION_WEIGHTS = {
    Person.Education.JUNIOR_HIGH_OR_BELOW: 2, Person.Education.HIGH_SCHOOL: 3, Person.Education.SECONDARY_VOCATIONAL: 5,
    Person.Education.JUNIOR_COLLEGE: 18, Person.Education.BACHELOR: 42, Person.Education.MASTER: 20,
    Person.Education.DOCTOR: 10,
}
TITLE_WEIGHTS = {
    Person.Title.NONE: 8, Person.Title.JUNIOR: 22, Person.Title.INTERMEDIATE: 38,
    Person.Title.ASSOCIATE_SENIOR: 22, Person.Title.SENIOR: 10,
}
AWARD_COUNT_WEIGHTS = {0: 15, 1: 60, 2: 25}
AWARD_WEIGHTS = {"county": 35, "city": 30, "provincial": 25, "national": 10}
AWARD_NAMES = {
    "county": ["县科技进步奖", "县优秀科技工作者"],
    "city": ["市科技进步奖", "市优秀科技工作者"],
    "provincial": ["河北省科技进步奖", "河北省自然科学奖"],
    "national": ["国家科技进步奖", "全国优秀科技工作者"],
}
AWARD_ISSUERS = {"county": "县人民政府", "city": "市人民政府", "provincial": "河北省人民政府", "national": "国务院"}
# Hebei region codes for ID numbers (prefectural districts), never the one used by the test fixtures.
REGION_CODES = ["130104", "130105", "130108", "130203", "130302", "130402", "130503", "130602",
                "130702", "130802", "130902", "131002", "131102"]
BIRTH_DAYS = 14_600  # birth dates 1960-01-01 .. 1999-12-22
ID_SPACE = len(REGION_CODES) * BIRTH_DAYS * 1000
# Prime and coprime with ID_SPACE and 10**9, so i -> ID number and i -> mobile are bijections.
SCATTER = 1_000_003
# Below this many people encryption runs in-process; above it a process pool spreads the Fernet work
# (about 0.1 ms per value) over every core.
POOL_THRESHOLD = 20_000
COPY_CHUNK = 50_000

COLUMNS = {
    User: ["id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email",
           "is_staff", "is_active", "date_joined", "full_name", "mobile", "department", "created_by_id"],
    Person: ["id", "user_id", "name", "gender", "birth_date", "id_number_encrypted", "id_number_index",
             "id_number_masked", "mobile", "email", "employer", "discipline", "education", "title",
             "is_rural_expert", "is_popsci_leader", "restricted_at", "created_at", "updated_at"],
    Consent: ["id", "user_id", "version", "given_at", "withdrawn_at"],
    Award: ["id", "person_id", "name", "level", "year", "issuer", "evidence", "created_at"],
    Application: ["id", "person_id", "org_id", "status", "eligibility", "meets_criteria", "explanation",
                  "declaration_signed_at", "submitted_at", "decided_at", "decided_by_id", "decision_comment",
                  "override_reason", "recommendation_id", "created_at", "updated_at"],
    Recommendation: ["id", "person_id", "from_org_id", "to_org_id", "source_membership_id",
                     "source_application_id", "opinion", "recommended_by_id", "created_at"],
    Membership: ["id", "person_id", "org_id", "level", "number", "grade", "category", "status", "joined_on",
                 "application_id", "created_at", "updated_at", "unit_id"],
    AuditEvent: ["id", "actor_id", "at", "ip", "action", "object_type", "object_id", "org_id", "comment", "data"],
}
INSERT_ORDER = [User, Person, Consent, Award, Application, Recommendation, Membership, AuditEvent]


@dataclass
class LoadResult:
    counts: dict[str, int]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


# --- identity values ------------------------------------------------------------------------------------

def id_number_for(i: int, seed: int) -> str:
    from kexie.validators import id_number_check_digit

    k = (i * SCATTER + seed * 7919) % ID_SPACE
    seq, k = k % 1000, k // 1000
    day, region = k % BIRTH_DAYS, k // BIRTH_DAYS
    birth = date(1960, 1, 1) + timedelta(days=day)
    first17 = f"{REGION_CODES[region]}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_number_check_digit(first17)


def mobile_for(i: int, seed: int) -> str:
    return f"19{(i * SCATTER + seed) % 10**9:09d}"


def _protect_chunk(id_numbers: list[str]) -> list[tuple[str, str, str]]:
    from members.crypto import encrypt_id_numbers, id_number_blind_indexes
    from kexie.validators import mask_id_number

    # The batch helpers read the keys once per chunk instead of once per value.
    return list(zip(encrypt_id_numbers(id_numbers), id_number_blind_indexes(id_numbers),
                    map(mask_id_number, id_numbers)))


def _protect_pool(people: int):
    """A process pool for the Fernet work when there are enough people to repay it, else None.

    Forked before the write transaction opens, with the parent's connection closed first: no worker ever holds
    (and later closes) the socket the parent goes on writing through. Workers never touch the database.
    """
    if people < POOL_THRESHOLD:
        return None
    import multiprocessing
    import os

    connection.close()
    return multiprocessing.get_context("fork").Pool(os.cpu_count() or 1)


def _protect_all(id_numbers: list[str], pool=None) -> list[tuple[str, str, str]]:
    if pool is None or len(id_numbers) < POOL_THRESHOLD:
        return _protect_chunk(id_numbers)
    size = 10_000
    chunks = [id_numbers[i : i + size] for i in range(0, len(id_numbers), size)]
    return [item for chunk in pool.map(_protect_chunk, chunks) for item in chunk]


# --- writing --------------------------------------------------------------------------------------------

def _pg_escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


_json_memo: dict[int, tuple[list, str]] = {}


def _pg_list(value: list) -> str:
    # Eligibility snapshots are shared lists from a small cache: serialise each once.
    cached = _json_memo.get(id(value))
    if cached is None or cached[0] is not value:
        cached = _json_memo[id(value)] = (value, _pg_escape(json.dumps(value, ensure_ascii=False)))
    return cached[1]


# COPY text format by Python type; a dict lookup beats an isinstance chain at millions of values.
_PG_TEXT = {
    str: _pg_escape,
    type(None): lambda v: "\\N",
    bool: lambda v: "t" if v else "f",
    int: str,
    datetime: datetime.isoformat,
    date: date.isoformat,
    dict: lambda v: _pg_escape(json.dumps(v, ensure_ascii=False)),
    list: _pg_list,
}


def _pg_text(value) -> str:
    """One value in PostgreSQL COPY text format."""
    fmt = _PG_TEXT.get(type(value))
    if fmt is None:  # str subclasses such as TextChoices members
        fmt = _PG_TEXT[str] if isinstance(value, str) else _PG_TEXT.get(type(value), lambda v: _pg_escape(str(v)))
    return fmt(value)


def _defaulted_columns(model) -> tuple[list[str], tuple]:
    """The columns the generator does not write and the value each gets: the field's default, else NULL.

    A new field without either would make COPY fail late; fail here with the reason instead.
    """
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in COLUMNS[model]:
            continue
        if not (f.has_default() or f.null or f.empty_strings_allowed):
            raise RuntimeError(f"{model.__name__}.{f.attname} needs a value: add it to bench/loadgen.py COLUMNS")
        names.append(f.attname)
        values.append(f.get_default() if f.has_default() else None if f.null else "")
    return names, tuple(values)


def rows_write(model, rows: list[tuple]) -> int:
    """Insert rows (tuples in COLUMNS[model] order, ids included) with COPY or bulk_create; columns the
    generator does not know take their default."""
    extra_columns, extra_values = _defaulted_columns(model)
    columns = COLUMNS[model] + extra_columns
    if extra_columns:
        rows = [row + extra_values for row in rows]
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        sql = f"COPY {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), COPY_CHUNK):
                buf = io.StringIO()
                for row in rows[start : start + COPY_CHUNK]:
                    buf.write("\t".join(map(_pg_text, row)))
                    buf.write("\n")
                buf.seek(0)
                cursor.copy_expert(sql, buf)
    else:
        for start in range(0, len(rows), 10_000):
            model.objects.bulk_create(
                [model(**dict(zip(columns, row))) for row in rows[start : start + 10_000]], batch_size=2_000
            )
    return len(rows)


@contextmanager
def _bulk_indexes_deferred(models):
    """Within the caller's transaction, drop the secondary indexes and foreign keys of `models` and
    rebuild them after the load.

    Building an index from a million rows at once and validating a foreign key with one join are each many
    times faster than maintaining them row by row. DDL is transactional in PostgreSQL: if anything fails the
    rollback restores every index and constraint, so nothing is disabled beyond this transaction.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        # ALTER TABLE refuses to run while earlier writes of this transaction still have deferred foreign-key
        # checks queued: run them now, then restore Django's deferred mode.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")


def _next_id(model) -> int:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        top = cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value FROM {sequence}")
            top = max(top, cursor.fetchone()[0])
    return top + 1


def _sequences_advance(models) -> None:
    """Pre-assigned ids bypass the PostgreSQL sequences; move each past the highest id now in use."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 1))",
                [table],
            )


# --- the story of each applicant ------------------------------------------------------------------------

class _Builder:
    def __init__(self, *, seed: int, orgs: list[Org], admins: dict[int, int], first_person: int = 0):
        # Appending to earlier load: a stream of its own, while identities continue the same bijections from
        # `first_person` on, so no ID number or mobile repeats one already generated.
        self.rng = random.Random(seed) if first_person == 0 else random.Random(f"{seed}:{first_person}")
        self.seed = seed
        self.orgs = {o.pk: o for o in orgs}
        self.admins = admins
        self.ids = {m: _next_id(m) for m in INSERT_ORDER}
        self.rows: dict[type, list[tuple]] = {m: [] for m in INSERT_ORDER}
        self.id_numbers: list[str] = []
        self.approved: list[tuple] = []  # (org_id, decided_at, application_id, membership_id, override)
        self.membership_rows: dict[int, list] = {}
        self.eligibility_cache: dict[tuple, tuple[list, bool]] = {}
        self.password = make_password(None)
        self.applications = 0
        self.pick_tables: dict[int, tuple] = {}
        self.home_weights_map = {o: HOME_WEIGHTS.get((o.level, o.kind), 1) for o in orgs}
        self.month_weights_map = dict(zip(range(1, 12), MONTH_WEIGHTS))

    def _id(self, model) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    def _pick(self, weights: dict):
        # random.choices rebuilds cumulative weights on every call; at a million rows that dominates.
        table = self.pick_tables.get(id(weights))
        if table is None:
            table = self.pick_tables[id(weights)] = (list(weights), list(itertools.accumulate(weights.values())))
        keys, cumulative = table
        return keys[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def _moment(self, after: datetime | None = None, max_days: float = 30) -> datetime:
        """A UTC instant: a working hour in a weighted month, or 6 hours to `max_days` days after `after`."""
        if after is None:
            start, days = MONTH_STARTS[self._pick(self.month_weights_map)]
            seconds = start + self.rng.randrange(days) * 86400 + self.rng.uniform(8, 20) * 3600
        else:
            seconds = after.timestamp() + self.rng.uniform(6, 24 * max_days) * 3600
        return datetime.fromtimestamp(int(seconds), dt_timezone.utc)

    def _eligibility(self, level: str, person: dict, best_award: tuple | None) -> tuple[list, bool]:
        key = (level, person["education"], person["title"], person["is_rural_expert"] or person["is_popsci_leader"],
               best_award)
        if key not in self.eligibility_cache:
            probe = Person(
                education=person["education"], title=person["title"],
                is_rural_expert=person["is_rural_expert"], is_popsci_leader=person["is_popsci_leader"],
            )
            awards = [Award(name=best_award[0], level=best_award[1])] if best_award else []
            criteria = eligibility_check(probe, level, awards=awards)
            self.eligibility_cache[key] = (criteria_as_json(criteria), all_met(criteria))
        return self.eligibility_cache[key]

    def person_add(self, i: int, limit: int) -> None:
        rng = self.rng
        user_id, person_id = self._id(User), self._id(Person)
        mobile = mobile_for(i, self.seed)
        id_number = id_number_for(i, self.seed)
        self.id_numbers.append(id_number)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        joined = self._moment()
        email = f"{PREFIX}{mobile}@example.com" if rng.random() < 0.6 else ""
        self.rows[User].append((
            user_id, self.password, None, False, f"{PREFIX}{mobile}", "", "", email, False, True, joined,
            name, mobile, "", None,
        ))
        self.rows[Consent].append((self._id(Consent), user_id, CONSENT_VERSION, joined, None))
        person = {
            "education": self._pick(EDUCATION_WEIGHTS), "title": self._pick(TITLE_WEIGHTS),
            "is_rural_expert": rng.random() < 0.04, "is_popsci_leader": rng.random() < 0.04,
        }
        # Encrypted, indexed and masked values are filled in after the pool has run (see load_generate).
        self.rows[Person].append([
            person_id, user_id, name, "male" if int(id_number[16]) % 2 else "female",
            date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])), None, None, None,
            mobile, email, rng.choice(EMPLOYERS), rng.choice(DISCIPLINES), person["education"], person["title"],
            person["is_rural_expert"], person["is_popsci_leader"], None, joined, joined,
        ])
        best_award = None
        for _ in range(self._pick(AWARD_COUNT_WEIGHTS)):
            level = self._pick(AWARD_WEIGHTS)
            award_name = rng.choice(AWARD_NAMES[level])
            self.rows[Award].append((
                self._id(Award), person_id, award_name, level, rng.randrange(2010, 2026), AWARD_ISSUERS[level], "",
                joined,
            ))
            if best_award is None or _AWARD_RANK[level] > _AWARD_RANK[best_award[1]]:
                best_award = (award_name, level)

        ctx = {"user_id": user_id, "person_id": person_id, "person": person, "best_award": best_award}
        home = self._pick(self.home_weights_map)
        app = self._application(ctx, home, submitted_at=self._moment(), limit=limit)
        while app and app["status"] in (S.REJECTED, S.WITHDRAWN) and rng.random() < REAPPLY_RATE:
            app = self._application(ctx, home, submitted_at=self._moment(after=app["decided_at"]), limit=limit)
        # Recommendations climb county -> city -> province while each level keeps approving.
        org = home
        while app and org.parent_id in self.orgs and app["status"] in (S.APPROVED, S.SUBMITTED):
            rate = RECOMMEND_MEMBER_RATE if app["status"] == S.APPROVED else RECOMMEND_OPEN_RATE
            if rng.random() >= rate:
                break
            app = self._recommend(ctx, app, org, limit)
            org = self.orgs[org.parent_id]

    def _application(self, ctx, org: Org, *, submitted_at: datetime, limit: int, recommendation=None):
        if self.applications >= limit or submitted_at > PERIOD_END:
            return None
        rng = self.rng
        self.applications += 1
        eligibility, meets = self._eligibility(org.level, ctx["person"], ctx["best_award"])
        status = self._pick(STATUS_WEIGHTS_ELIGIBLE if meets else STATUS_WEIGHTS_INELIGIBLE)
        acted_at = self._moment(after=submitted_at)
        if acted_at > PERIOD_END:
            status = S.SUBMITTED  # not decided within the period: still waiting
        app_id = self._id(Application)
        admin = self.admins[org.pk]
        decided_at = decided_by = None
        comment = override = ""
        if status == S.APPROVED:
            decided_at, decided_by = acted_at, admin
            comment = rng.choice(("", "同意", "符合条件，同意入会"))
            if not meets:
                override = "该同志长期扎根基层，业绩突出，经集体研究同意破格批准"
        elif status == S.REJECTED:
            decided_at, decided_by, comment = acted_at, admin, "不符合会员条件，且未提供补充说明"
        elif status == S.RETURNED:
            decided_by, comment = admin, "请补充奖励证明材料"
        elif status == S.WITHDRAWN:
            decided_at = acted_at
        declared = recommendation["declared"] if recommendation else submitted_at
        explanation = "" if meets or recommendation else "本人长期从事基层科技推广工作，申请破格入会"
        self.rows[Application].append((
            app_id, ctx["person_id"], org.pk, str(status), eligibility, meets, explanation, declared, submitted_at,
            decided_at, decided_by, comment, override, recommendation["id"] if recommendation else None,
            submitted_at, (decided_at or acted_at) if status != S.SUBMITTED else submitted_at,
        ))
        audit = self.rows[AuditEvent]
        if recommendation:
            audit.append((
                self._id(AuditEvent), recommendation["by"], submitted_at, None, "recommendation.create",
                "approvals.application", str(app_id), org.pk, recommendation["opinion"],
                {"from_org": recommendation["from_org"], "recommendation": recommendation["id"]},
            ))
        else:
            audit.append((self._id(AuditEvent), ctx["user_id"], submitted_at, None, "application.submit",
                          "approvals.application", str(app_id), org.pk, "", {}))
        membership_id = None
        if status == S.APPROVED:
            membership_id = self._id(Membership)
            self.approved.append((org.pk, acted_at, app_id, membership_id, bool(override)))
            # Number and audit row are completed once every approval is known (numbers follow decision order).
            grade = Membership.Grade.SENIOR if ctx["person"]["title"] == Person.Title.SENIOR else Membership.Grade.ORDINARY
            self.membership_rows[membership_id] = [
                membership_id, ctx["person_id"], org.pk, org.level, None, str(grade),
                str(Membership.Category.REGULAR), str(Membership.Status.ACTIVE),
                acted_at.astimezone(BEIJING).date(), app_id, acted_at, acted_at,
            ]
        elif status != S.SUBMITTED:
            action = {S.RETURNED: "application.return", S.REJECTED: "application.reject",
                      S.WITHDRAWN: "application.withdraw"}[status]
            actor = ctx["user_id"] if status == S.WITHDRAWN else admin
            audit.append((self._id(AuditEvent), actor, acted_at, None, action, "approvals.application", str(app_id),
                          org.pk, comment, {}))
        return {"id": app_id, "status": status, "submitted_at": submitted_at, "decided_at": acted_at,
                "declared": declared, "membership_id": membership_id}

    def _recommend(self, ctx, source: dict, from_org: Org, limit: int):
        to_org = self.orgs[from_org.parent_id]
        after = source["decided_at"] if source["status"] == S.APPROVED else source["submitted_at"]
        created_at = self._moment(after=after, max_days=20)
        if created_at > PERIOD_END or self.applications >= limit:
            return None
        rec_id = self._id(Recommendation)
        by = self.admins[from_org.pk]
        opinion = "该同志业务能力突出，同意推荐"
        from_membership = source["status"] == S.APPROVED
        self.rows[Recommendation].append((
            rec_id, ctx["person_id"], from_org.pk, to_org.pk,
            source["membership_id"] if from_membership else None, None if from_membership else source["id"],
            opinion, by, created_at,
        ))
        self.rows[AuditEvent].append((self._id(AuditEvent), by, created_at, None, "recommendation.create",
                                      "approvals.recommendation", str(rec_id), from_org.pk, opinion, {}))
        return self._application(
            ctx, to_org, submitted_at=created_at, limit=limit,
            recommendation={"id": rec_id, "by": by, "opinion": opinion, "from_org": from_org.pk,
                            "declared": source["declared"]},
        )

    def memberships_number(self, counters: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
        """Gapless numbers per organisation and year in decision order, continuing existing counters."""
        self.approved.sort()
        last = dict(counters)
        for org_id, decided_at, app_id, membership_id, override in self.approved:
            year = decided_at.astimezone(BEIJING).year
            sequence = last.get((org_id, year), 0) + 1
            last[(org_id, year)] = sequence
            row = self.membership_rows.pop(membership_id)
            number = member_number_format(org=self.orgs[org_id], year=year, sequence=sequence)
            row[4] = number
            self.rows[Membership].append((*row, None))  # individual members: no unit
            self.rows[AuditEvent].append((
                self._id(AuditEvent), self.admins[org_id], decided_at, None, "application.approve",
                "approvals.application", str(app_id), org_id, "", {"member_number": number, "override": override},
            ))
        return last


_AWARD_RANK = {"county": 1, "city": 2, "provincial": 3, "national": 4}


# --- entry points ---------------------------------------------------------------------------------------

def generated_users():
    return User.objects.filter(username__startswith=PREFIX)


def generated_people():
    return Person.objects.filter(user__username__startswith=PREFIX)


def load_exists() -> bool:
    return generated_users().exists()


def _orgs_ensure(*, national: bool = False, seed: int = 1, log=lambda message: None) -> list[Org]:
    """The organisations to generate over: the existing tree, else the Hebei tree, or with `national` the
    national-shaped tree (bench.national_tree) built into an empty table."""
    if not Org.objects.exists():
        if national:
            from bench.national_tree import orgs_build_national

            step = time.perf_counter()
            count = orgs_build_national(seed=seed)
            log(f"生成全国组织树：{count} 个组织（{time.perf_counter() - step:.1f} 秒）")
        else:
            from orgs.services.tree import orgs_load_csv

            orgs_load_csv(Path(settings.BASE_DIR) / "orgs" / "data" / "hebei_orgs.csv")
    elif national and not Org.objects.filter(parent=None, level=Org.Level.NATIONAL).exists():
        raise ValueError("the organisation table holds a tree without a national root; --national needs an empty one")
    return list(Org.objects.filter(is_active=True).order_by("code"))


def _admins_ensure(orgs: list[Org]) -> dict[int, int]:
    """One generated administrator per organisation, granted through the permission policy (in bulk: a
    national tree has about 10,000 organisations)."""
    from orgs import permissions

    usernames = {org.pk: f"{ADMIN_PREFIX}{org.code.lower()}" for org in orgs}
    existing = dict(User.objects.filter(username__in=usernames.values()).values_list("username", "pk"))
    password = make_password(None)
    missing = [org for org in orgs if usernames[org.pk] not in existing]
    User.objects.bulk_create(
        [User(username=usernames[org.pk], password=password, full_name=f"{org.name}管理员") for org in missing],
        batch_size=2_000,
    )
    created = dict(User.objects.filter(username__in=[usernames[o.pk] for o in missing]).values_list("username", "pk"))
    permissions.grant_administer_each([(created[usernames[org.pk]], org.pk) for org in missing])
    existing.update(created)
    return {org.pk: existing[usernames[org.pk]] for org in orgs}


# People are built, encrypted and written this many applications at a time, so memory stays at what one batch
# needs (about 3 GB per million) whatever the total; only the approvals wait for numbering at the end.
BATCH_APPLICATIONS = 1_000_000
BATCH_MODELS = [m for m in INSERT_ORDER if m is not Membership]


def load_generate(*, applications: int, seed: int, national: bool = False, append: bool = False,
                  log=lambda message: None, batch: int = BATCH_APPLICATIONS) -> LoadResult:
    """Create `applications` applications (exactly) with their people, awards, decisions and memberships.

    With `append`, they are added to load generated before (with the same seed): new people, member numbers
    continuing each counter. A copy of a 1M database grows to a larger one this way while keeping the first
    million rows, and with them every subtree's earlier data, identical.
    """
    if applications < 1:
        raise ValueError("applications must be positive")
    started = time.perf_counter()
    timings: dict[str, float] = {}
    orgs = _orgs_ensure(national=national, seed=seed, log=log)
    with transaction.atomic():
        admins = _admins_ensure(orgs)
    counters = {(c.org_id, c.year): c.last_value for c in MemberNumberCounter.objects.filter(org__in=orgs)}
    first_person = generated_people().count() if append else 0
    builder = _Builder(seed=seed, orgs=orgs, admins=admins, first_person=first_person)
    pool = _protect_pool(min(applications, batch))
    counts = dict.fromkeys((m._meta.label_lower for m in INSERT_ORDER), 0)

    def write(model) -> None:
        step = time.perf_counter()
        label = model._meta.label_lower
        written = rows_write(model, builder.rows[model])
        builder.rows[model] = []
        counts[label] += written
        timings[label] = timings.get(label, 0) + time.perf_counter() - step
        log(f"写入 {label}：{written} 行（{time.perf_counter() - step:.1f} 秒）")

    try:
        # One transaction: foreign keys are checked at commit and a failure leaves nothing behind.
        with transaction.atomic(), _bulk_indexes_deferred(INSERT_ORDER):
            i = first_person
            while builder.applications < applications:
                step = time.perf_counter()
                first_person = i
                goal = min(applications, builder.applications + batch)
                while builder.applications < goal:
                    builder.person_add(i, applications)
                    i += 1
                timings["build"] = timings.get("build", 0) + time.perf_counter() - step
                log(f"生成内存数据：{i - first_person} 人，累计 {builder.applications} 份申请"
                    f"（{time.perf_counter() - step:.1f} 秒）")
                step = time.perf_counter()
                protected = _protect_all(builder.id_numbers, pool)
                for row, (encrypted, index, masked) in zip(builder.rows[Person], protected):
                    row[5], row[6], row[7] = encrypted, index, masked
                builder.rows[Person] = [tuple(r) for r in builder.rows[Person]]
                builder.id_numbers = []
                timings["encrypt"] = timings.get("encrypt", 0) + time.perf_counter() - step
                log(f"身份证号加密与索引：{len(protected)} 个（{time.perf_counter() - step:.1f} 秒）")
                for model in BATCH_MODELS:
                    write(model)
            final = builder.memberships_number(counters)
            write(Membership)
            write(AuditEvent)
            for (org_id, year), last_value in final.items():
                if counters.get((org_id, year)) != last_value:
                    MemberNumberCounter.objects.update_or_create(
                        org_id=org_id, year=year, defaults={"last_value": last_value}
                    )
            _sequences_advance(INSERT_ORDER)
            step = time.perf_counter()
        timings["indexes"] = time.perf_counter() - step
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    step = time.perf_counter()
    statistics_refresh()
    timings["analyze"] = time.perf_counter() - step
    return LoadResult(counts=counts, seconds=time.perf_counter() - started, timings=timings)


def statistics_refresh() -> None:
    """Fresh planner statistics and visibility map, so plans and index-only scans match the new volume."""
    tables = [m._meta.db_table for m in INSERT_ORDER + [MemberNumberCounter]]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.get_autocommit():
            for table in tables:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
        elif connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        else:
            cursor.execute("ANALYZE")


def load_reset(log=lambda message: None) -> dict[str, int]:
    """Delete every generated row (accounts starting with `load_` and everything hanging off them).

    Set-based deletes: Django's collector would load millions of rows into memory first. The audit trail is
    append-only for real activity; generated rows are removed here and only here.
    """
    users = generated_users().values("id")
    persons = Person.objects.filter(user__in=users).values("id")
    counts = {}
    with transaction.atomic():
        Application.objects.filter(person__in=persons, recommendation__isnull=False).update(recommendation=None)
        steps = [
            ("orgs.auditevent", AuditEvent.objects.filter(actor__in=users)),
            ("approvals.recommendation", Recommendation.objects.filter(person__in=persons)),
            ("members.membership", Membership.objects.filter(person__in=persons)),
            ("approvals.application", Application.objects.filter(person__in=persons)),
            ("members.award", Award.objects.filter(person__in=persons)),
            ("members.consent", Consent.objects.filter(user__in=users)),
            ("members.notice", Notice.objects.filter(user__in=users)),
            ("orgs.orguserobjectpermission", OrgUserObjectPermission.objects.filter(user__in=users)),
            ("members.person", Person.objects.filter(user__in=users)),
            ("members.user", generated_users()),
        ]
        for label, queryset in steps:
            step = time.perf_counter()
            # _raw_delete: one DELETE ... WHERE statement, no collector, no per-row signals.
            with _append_only_suspended() if label == "orgs.auditevent" else nullcontext():
                counts[label] = queryset._raw_delete(connection.alias)
            log(f"删除 {label}：{counts[label]} 行（{time.perf_counter() - step:.1f} 秒）")
        _counters_rewind()
    return counts


@contextmanager
def _append_only_suspended():
    """Let this transaction delete generated audit rows past the PostgreSQL append-only trigger.

    ALTER TABLE is transactional: the trigger is back on at commit (or rollback), and the table lock it
    takes keeps every other writer out of the audit table until then, so no real audit row can be
    deleted in the meantime.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred foreign-key checks of this transaction are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE orgs_auditevent DISABLE TRIGGER orgs_auditevent_append_only")
        yield
        cursor.execute("ALTER TABLE orgs_auditevent ENABLE TRIGGER orgs_auditevent_append_only")


def _counters_rewind() -> None:
    """After a reset each counter points at the highest number still held, so numbering stays gapless."""
    highest: dict[tuple[int, int], int] = {}
    for org_id, number in Membership.objects.exclude(number=None).values_list("org_id", "number"):
        year, sequence = int(number[1:5]), int(number.rsplit("-", 1)[1])
        highest[(org_id, year)] = max(highest.get((org_id, year), 0), sequence)
    for counter in MemberNumberCounter.objects.all():
        value = highest.get((counter.org_id, counter.year), 0)
        if value == 0:
            counter.delete()
        elif value != counter.last_value:
            counter.last_value = value
            counter.save(update_fields=["last_value"])
