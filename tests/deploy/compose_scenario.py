#!/usr/bin/env python3
"""What the users do, through the gateway's published HTTP port (tools/compose-test.sh).

  compose_scenario.py seed  BASE_URL ADMIN_TOKEN STATE_FILE
  compose_scenario.py check BASE_URL ADMIN_TOKEN STATE_FILE

seed:  the admin (a token minted as docs/deployment.md says) creates a leader and a guard in
       lf-accounts; each activates with the one-time code and then signs in with login and
       password; the leader issues staff passes; the guard takes duty at campus/east and records passages through
       POST /api/v1/lianfang.gate.v1.GateService/RecordPassage (admitted entries, a fever
       refused, an exit); the leader reads the dashboard (the live counts agree); the admin
       generates today's daily report and exports it as CSV. What was done is written to
       STATE_FILE.
check: after a restart or a down/up: the guard signs in again with the same password (the
       accounts database survived), every recorded passage is listed, the dashboard shows
       the same figures, the daily report is there and exports to the same CSV, and a
       retried RecordPassage is recognised as a replay (idempotency records survived).

When the gateway does not forward AccountsService yet (404 "no API method"), the leader's
and the guard's tokens are those given in LF_CT_LEADER_TOKEN and LF_CT_GUARD_TOKEN (minted
with `lfctl token` in the accounts container, as docs/deployment.md shows for the first
admin), and the scenario says so.

Exit 0 when all holds, 1 with the reason otherwise. Only the standard library.
"""
import base64
import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.request

SITE, GATE = "campus", "east"
PASSWORD = "Gate-Phone-2026!"


class Failure(Exception):
    pass


class NoAccountsApi(Exception):
    """The gateway's JSON API has no AccountsService."""


def fallback_token(role):
    token = os.environ.get(f"LF_CT_{role.upper()}_TOKEN", "")
    if not token:
        raise Failure(f"the gateway does not forward AccountsService and no "
                      f"LF_CT_{role.upper()}_TOKEN was given")
    return token


def call(base, method, token, body, want=200):
    """One JSON API call. UNAVAILABLE (503: a service restarting) is retried for up to a
    minute, as the clients do."""
    deadline = time.monotonic() + 60
    while True:
        req = urllib.request.Request(
            f"{base}/api/v1/{method}", data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json",
                     **({"authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                status, text = res.status, res.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        except (urllib.error.URLError, ConnectionError) as e:
            status, text = 0, str(e)
        if status not in (0, 503) or want in (0, 503) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if status == 404 and "AccountsService" in method and "no API method" in text:
        raise NoAccountsApi(method)
    if status != want:
        raise Failure(f"{method}: HTTP {status} (wanted {want}): {text[:300]}")
    return json.loads(text) if text else {}


def id_number(seq):
    """A valid 18-character resident ID number (GB 11643 check digit)."""
    body = f"110101198001{(seq % 28) + 1:02d}{seq % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    return body + check


def person(seq):
    return {"idNumber": id_number(seq), "name": f"测试{seq}", "phone": f"1380000{seq:04d}"}


def new_user(base, admin, login, role):
    user = call(base, "lianfang.accounts.v1.AccountsService/CreateUser", admin,
                {"requestId": f"ct-{login}", "login": login, "displayName": login,
                 "role": role, "siteIds": [SITE]})
    code = user.get("activationCode")
    if not code:
        raise Failure(f"CreateUser {login}: no activation code in the answer")
    session = call(base, "lianfang.accounts.v1.AccountsService/Activate", None,
                   {"activationCode": code, "password": PASSWORD})
    if not session.get("accessToken"):
        raise Failure(f"Activate {login}: no access token")
    return sign_in(base, login)


def sign_in(base, login):
    session = call(base, "lianfang.accounts.v1.AccountsService/SignIn", None,
                   {"login": login, "password": PASSWORD})
    token = session.get("accessToken")
    if not token:
        raise Failure(f"SignIn {login}: no access token")
    return token


def campus(base, token):
    dash = call(base, "lianfang.gateway.v1.GatewayService/GetDashboard", token,
                {"siteIds": [SITE]})
    for site in dash.get("sites", []):
        if site.get("siteId") == SITE:
            return {k: int(site.get(k, 0)) for k in
                    ("onsite", "entriesToday", "exitsToday", "deniedToday", "feversToday")}
    raise Failure(f"GetDashboard: no figures for {SITE}: {json.dumps(dash)[:300]}")


def wait_for_figures(base, token, want, what):
    """The dashboard reads Redis (or the services): poll with a bound until it agrees."""
    deadline = time.monotonic() + 60
    while True:
        got = campus(base, token)
        if got == want:
            return
        if time.monotonic() > deadline:
            raise Failure(f"{what}: dashboard shows {got}, expected {want}")
        time.sleep(0.5)


def passages(base, token):
    out, page = set(), ""
    while True:
        res = call(base, "lianfang.gate.v1.GateService/ListPassages", token,
                   {"siteId": SITE, "pageSize": 200, "pageToken": page})
        out |= {p["passageId"] for p in res.get("passages", [])}
        page = res.get("nextPageToken", "")
        if not page:
            return out


def export_csv(base, token, report_id):
    res = call(base, "lianfang.report.v1.ReportService/ExportDailyReport", token,
               {"reportId": report_id, "format": "EXPORT_FORMAT_CSV"})
    content = base64.b64decode(res.get("content", ""))
    if not content or not res.get("filename", "").endswith(".csv"):
        raise Failure(f"ExportDailyReport: empty or not CSV ({res.get('filename')})")
    return content


def record(base, guard, request_id, body):
    return call(base, "lianfang.gate.v1.GateService/RecordPassage", guard,
                dict(body, requestId=request_id))


def seed(base, admin, state_file):
    suffix = str(int(time.time()))[-6:]
    leader_login, guard_login = f"leader{suffix}", f"guard{suffix}"
    try:
        leader = new_user(base, admin, leader_login, "ROLE_LEADER")
        guard = new_user(base, admin, guard_login, "ROLE_GUARD")
        accounts = True
    except NoAccountsApi:
        print("the gateway does not forward AccountsService: leader and guard tokens minted "
              "with lfctl token instead of signing in")
        leader, guard, accounts = fallback_token("leader"), fallback_token("guard"), False
    call(base, "lianfang.gate.v1.GateService/StartDuty", guard,
         {"requestId": f"ct-duty-{suffix}", "siteId": SITE, "gateId": GATE})
    # The campus admits pass holders only: the leader issues staff passes first.
    for seq in (1, 2, 3, 4, 5, 50):
        call(base, "lianfang.gate.v1.GateService/IssuePass", leader,
             {"requestId": f"ct-pass-{suffix}-{seq}", "siteId": SITE, "person": person(seq),
              "kind": "PASS_KIND_STAFF"})
    before = campus(base, leader)
    ids, first = [], None
    entry = {"siteId": SITE, "gateId": GATE, "direction": "DIRECTION_ENTRY"}
    for i in range(5):
        req = dict(entry, person=person(i + 1), temperatureC=36.5)
        res = record(base, guard, f"ct-{suffix}-in-{i}", req)
        if res["passage"].get("decision") != "DECISION_ADMITTED":
            raise Failure(f"entry {i}: not admitted: {res}")
        ids.append(res["passage"]["passageId"])
        first = first or (f"ct-{suffix}-in-{i}", req, res["passage"]["passageId"])
    fever = record(base, guard, f"ct-{suffix}-fever",
                   dict(entry, person=person(50), temperatureC=38.4))
    if fever["passage"].get("decision") != "DECISION_DENIED":
        raise Failure(f"a fever of 38.4 was not refused: {fever}")
    ids.append(fever["passage"]["passageId"])
    out = record(base, guard, f"ct-{suffix}-out",
                 {"siteId": SITE, "gateId": GATE, "direction": "DIRECTION_EXIT",
                  "person": person(1)})
    ids.append(out["passage"]["passageId"])
    want = dict(before)
    want["onsite"] += 4
    want["entriesToday"] += 5
    want["exitsToday"] += 1
    want["deniedToday"] += 1
    want["feversToday"] += 1
    wait_for_figures(base, leader, want, "after recording")
    import zoneinfo
    today = datetime.datetime.now(
        zoneinfo.ZoneInfo(os.environ.get("LIANFANG_TZ", "Asia/Shanghai"))).date().isoformat()
    report = call(base, "lianfang.report.v1.ReportService/GenerateDailyReport", admin,
                  {"requestId": f"ct-report-{suffix}", "date": today})
    report_id = report.get("reportId")
    if not report_id:
        raise Failure(f"GenerateDailyReport: no report id: {json.dumps(report)[:300]}")
    csv = export_csv(base, admin, report_id)
    state = {"guard": guard_login, "leader": leader_login, "accounts": accounts, "passages": ids,
             "figures": want, "report_id": report_id,
             "csv": base64.b64encode(csv).decode(), "retry": first}
    with open(state_file, "w", encoding="utf-8") as f:
        json.dump(state, f)
    print(f"seeded: {'2 users signed in' if accounts else 'no sign-in'}, {len(ids)} passages, dashboard {want}, "
          f"report {report_id} ({len(csv)} bytes of CSV)")


def check(base, admin, state_file):
    with open(state_file, encoding="utf-8") as f:
        state = json.load(f)
    if state["accounts"]:
        guard = sign_in(base, state["guard"])
        leader = sign_in(base, state["leader"])
    else:
        guard, leader = fallback_token("guard"), fallback_token("leader")
    listed = passages(base, leader)
    missing = [p for p in state["passages"] if p not in listed]
    if missing:
        raise Failure(f"{len(missing)} recorded passages are gone: {missing}")
    wait_for_figures(base, leader, state["figures"], "after the restart")
    report = call(base, "lianfang.report.v1.ReportService/GetDailyReport", admin,
                  {"reportId": state["report_id"]})
    if report.get("reportId") != state["report_id"]:
        raise Failure("the daily report is gone")
    if base64.b64encode(export_csv(base, admin, state["report_id"])).decode() != state["csv"]:
        raise Failure("the daily report exports differently after the restart")
    request_id, body, passage_id = state["retry"]
    again = record(base, guard, request_id, body)
    if not again.get("replayed") or again["passage"]["passageId"] != passage_id:
        raise Failure(f"a retried RecordPassage was not recognised: {again}")
    print(f"checked: {'sign-in, ' if state['accounts'] else ''}{len(state['passages'])} passages, dashboard "
          f"{state['figures']}, report {state['report_id']}, replayed retry")


def main(argv):
    if len(argv) != 5 or argv[1] not in ("seed", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    _, phase, base, admin, state_file = argv
    try:
        (seed if phase == "seed" else check)(base.rstrip("/"), admin, state_file)
    except (Failure, KeyError, urllib.error.URLError, OSError) as e:
        print(f"FAIL ({phase}): {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
