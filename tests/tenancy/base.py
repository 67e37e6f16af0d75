"""The tenancy matrix: every URL of the project is classified here, org-scoped ones with who may use them.

Actors (all fixtures from tests/conftest.py): `admin_a` administers county A (the target's org), `admin_b`
its sibling county, `city_admin` their city, `other_city_admin` another city, `province_admin` the
province, `staff` provincial staff (read-only), `applicant` a registered applicant, and the 三员 officers
`system_officer`, `security_officer`, `audit_officer`, each holding its role over the city: none of them may
reach a page about people or applications, so they are in no READERS or MANAGERS set.

Each app contributes a module `tests/tenancy/matrix_<app>.py` with:
- `SCOPED`: list of `Case` — one object inside county A's subtree, the URL that reaches it, and the actors
  that may use it; every other actor must get 404 (not 403, not a page).
- `UNSCOPED`: URL names that are not org-scoped (public pages, one's own data), with why.
"""

from dataclasses import dataclass, field
from typing import Callable

OFFICERS = ("system_officer", "security_officer", "audit_officer")
ALL_ACTORS = (
    "admin_a", "admin_b", "city_admin", "other_city_admin", "province_admin", "staff", "applicant", *OFFICERS,
)
# Who can reach an object in county A for reading / for acting on it.
READERS = frozenset({"admin_a", "city_admin", "province_admin", "staff"})
MANAGERS = frozenset({"admin_a", "city_admin", "province_admin"})


@dataclass(frozen=True)
class Case:
    url_name: str
    # Builds (url, post_data or None for GET) from the test context (a dict of fixtures and objects).
    build: Callable[[dict], tuple[str, dict | None]]
    allowed: frozenset = field(default=READERS)
    # Allowed actors must not get 404; a redirect or 200 both mean "reached".
    note: str = ""
