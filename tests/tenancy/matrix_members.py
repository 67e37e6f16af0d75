"""The applicant's pages act only on the signed-in person's own data; none is org-scoped.

tests/members/test_ownership.py proves that another person's awards, evidence and applications answer 404.
"""

SCOPED: list = []

UNSCOPED = {
    "members:register": "public registration (rate limited per IP)",
    "members:consent": "own consent",
    "members:consent_withdraw": "own consent",
    "members:me": "own data",
    "members:profile": "own profile",
    "members:mobile_change": "own account: a code to the new number and the current password",
    "members:email_verify": "own account's email address",
    "members:password_reset": "public: recovery by a code to the account's mobile or verified email",
    "members:award_create": "own awards",
    "members:award_edit": "own award; another person's id is 404 (tests/members/test_ownership.py)",
    "members:award_delete": "own award; another person's id is 404 (tests/members/test_ownership.py)",
    "members:award_evidence": "own evidence; another person's id is 404 (tests/members/test_ownership.py)",
    "members:data": "own data",
    "members:data_export_json": "own data",
    "members:data_export_xlsx": "own data",
    "members:account_delete": "own account",
    "members:notice_list": "own notices",
    "members:notice_read": "own notices; other users' ids change nothing (tests/members/test_notices.py)",
}
