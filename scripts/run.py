#!/usr/bin/env python3
"""Run kexie locally: .venv, migrations (SQLite by default), the Hebei tree, demo accounts, dev server."""

import os
import sys
from datetime import date

sys.path.insert(0, os.path.dirname(__file__))
from bootstrap import ensure_venv, manage  # noqa: E402


def demo_environment(address: str) -> dict[str, str]:
    """Settings of the demo server, each applied only where the environment does not already say otherwise."""
    host = address.rsplit(":", 1)[0]
    everywhere = host in ("0.0.0.0", "")
    environment = {
        "DJANGO_SETTINGS_MODULE": "kexie.settings.local",
        # The demo runs as people will see it: DEBUG off, so a missing page or an error shows the Chinese
        # 404/500 pages instead of Django's debug pages; whitenoise serves the static files (local settings).
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "*" if everywhere else f"127.0.0.1,localhost,{host}",
        # The demo accounts sign in with a password alone; production requires two-factor for administrators.
        "KEXIE_TWO_FACTOR_REQUIRED": "0",
    }
    if not everywhere:
        # Certificates and census invitations print the address the demo is served at. Listening on every
        # interface, certificates use the address each visitor reached (kexie.site.site_url).
        environment["KEXIE_SITE_URL"] = f"http://{address}"
    return environment


def main() -> None:
    ensure_venv()
    address = os.environ.get("KEXIE_ADDRESS", "127.0.0.1:8000")
    for name, value in demo_environment(address).items():
        os.environ.setdefault(name, value)
    manage("migrate", "--noinput", "-v", "0")
    manage("load_orgs")
    manage("seed_demo")
    year = str(date.today().year)
    manage("seed_targets", "--year", year)
    manage("recompute_progress", "--year", year)
    print(f"\n系统已启动：http://{address}/  （按 Ctrl+C 停止）", flush=True)
    if os.environ["KEXIE_TWO_FACTOR_REQUIRED"] == "0":
        print("演示模式：管理员登录不要求两步验证（生产环境默认要求）；短信验证码打印在本窗口。\n", flush=True)
    manage("runserver", address)


if __name__ == "__main__":
    main()
