"""`python -m seed [--reset] [--seed N] [--url URL] [--today YYYY-MM-DD]`: build the demo town."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from core import config
from models import STATUS_ORDER
from seed import town
from services import users


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seed",
                                     description="生成演示数据 / Build the demo town")
    parser.add_argument("--reset", action="store_true",
                        help="drop every table first (all existing data is lost)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--url", default=None,
                        help="SQLAlchemy database URL (default: DIANDAN_DATABASE_URL)")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day the history ends before (default: today)")
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = args.url or config.database_url()

    last = [-1]

    def progress(fraction: float, message: str) -> None:
        percent = int(fraction * 100)
        if percent // 5 != last[0] // 5 or fraction >= 1.0:
            last[0] = percent
            print(f"[{percent:3d}%] {message}", flush=True)

    try:
        result = town.build(url, seed=args.seed, reset=args.reset, progress=progress,
                            today=args.today, scale=args.scale)
    except town.DatabaseNotEmpty as err:
        print(err, file=sys.stderr)
        return 1
    c = result.counts
    print(f"完成 / done in {result.seconds:.1f} s → {url}")
    print(f"  站点 sites: {c['sites_center']} 中心, {c['sites_station']} 所, {c['sites_point']} 站;"
          f" 志愿服务队 teams: {c['teams_corps']} 总队, {c['teams_detachment']} 支队,"
          f" {c['teams_squad']} 小队; 志愿者 volunteers: {c['volunteers']};"
          f" 服务项目 menu items: {c['menu_items']}")
    print(f"  工单 orders: {c['orders']} (" + ", ".join(
        f"{s}={c['orders_' + s]}" for s in STATUS_ORDER)
          + f"); events: {c['events']}")
    print(f"  演示账号 demo logins ({users.DEMO_PASSWORD}): " + ", ".join(users.DEMO_USERNAMES))
    print(f"  县级管理员 county admin: admin / {result.admin_password}"
          "  (请妥善保存 / keep it safe)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
