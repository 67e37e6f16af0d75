#!/usr/bin/env python3
"""Run kexie locally: .venv, migrations (SQLite by default), the Hebei tree, demo accounts, dev server."""

import os
import sys
from datetime import date

sys.path.insert(0, os.path.dirname(__file__))
from bootstrap import ensure_venv, manage  # noqa: E402


def main() -> None:
    ensure_venv()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kexie.settings.local")
    # The demo accounts sign in with a password alone; production requires two-factor for administrators.
    os.environ.setdefault("KEXIE_TWO_FACTOR_REQUIRED", "0")
    manage("migrate", "--noinput", "-v", "0")
    manage("load_orgs")
    manage("seed_demo")
    year = str(date.today().year)
    manage("seed_targets", "--year", year)
    manage("recompute_progress", "--year", year)
    address = os.environ.get("KEXIE_ADDRESS", "127.0.0.1:8000")
    print(f"\n系统已启动：http://{address}/  （按 Ctrl+C 停止）", flush=True)
    if os.environ["KEXIE_TWO_FACTOR_REQUIRED"] == "0":
        print("演示模式：管理员登录不要求两步验证（生产环境默认要求）；短信验证码打印在本窗口。\n", flush=True)
    manage("runserver", address)


if __name__ == "__main__":
    main()
