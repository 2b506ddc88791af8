#!/usr/bin/env python3
"""Build crates/domain/data/holidays-cn.json from holiday-cn year files.

Usage: scripts/import-holidays.py ../shared/data/calendar
The output keeps the source commit and the State Council notices (papers).
"""
import json, pathlib, sys

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/calendar")
source = (src / "SOURCE.txt").read_text().strip()
days, papers, years = {}, [], []
for f in sorted(src.glob("20*.json")):
    d = json.loads(f.read_text())
    if not d["days"]:
        continue
    years.append(d["year"])
    papers += d["papers"]
    for day in d["days"]:
        days[day["date"]] = {"date": day["date"], "name": day["name"], "off_day": day["isOffDay"]}
out = {
    "source": f"NateScarlet/holiday-cn (MIT), {source}",
    "years": years,
    "papers": papers,
    "days": [days[k] for k in sorted(days)],
}
dest = pathlib.Path(__file__).resolve().parent.parent / "crates/domain/data/holidays-cn.json"
dest.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
print(f"wrote {dest}: {len(out['days'])} days, years {years}")
