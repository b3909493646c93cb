"""The pages: one handler per screen, each checking role and scope through ``kaohe.workflow``
(never trusting what the page showed), each write in one audited transaction."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select

from ..i18n import text
from ..store.accounts import check_password
from ..store.models import (
    Attachment,
    AuditEntry,
    Cycle,
    CycleEvent,
    Finding,
    LoginAttempt,
    Run,
    Unit,
)
from ..workflow import computation, verification_sheet
from ..workflow import cycles as cycle_ops
from ..workflow import findings as finding_ops
from ..workflow import platform_results as result_ops
from ..workflow import records as records_ops
from ..workflow import rectification as rectification_ops
from ..workflow import submissions as submission_ops
from ..workflow import verification as verification_ops
from ..workflow.collection import annotate, catalog, prefill, template
from ..workflow.errors import Forbidden, Invalid, NotFound
from ..workflow.result_views import STATUSES, preliminary_label, status_label
from ..workflow.roles import Actor, require, require_unit
from ..workflow.states import is_locked, overdue, transitions_from
from ..workflow.uploads import MAX_BYTES
from . import language
from .auth import find_user, page_actor
from .rendering import render, templates
from .security import too_many_failures

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _db(request: Request):
    return request.app.state.db


def _views(request: Request):
    return request.app.state.result_views


def _today() -> dt.date:
    return dt.date.today()


async def read_upload(upload: UploadFile) -> tuple[str, bytes]:
    """Read at most the limit (+1 byte, to notice a larger file)."""
    content = await upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Invalid(
            text(
                f"{upload.filename}：文件超过 {MAX_BYTES // (1024 * 1024)} MB 上限",
                f"{upload.filename}: larger than {MAX_BYTES // (1024 * 1024)} MB",
            )
        )
    return upload.filename or "upload", content


def _download(content: bytes, filename: str, media_type: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


# --- login, language ----------------------------------------------------------------------


@router.get("/")
def home(request: Request):
    target = "/dashboard" if request.session.get("user_id") else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page(request: Request):
    return render(request, "login.html", {"error": None})


@router.post("/login")
async def login(
    request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form("")
):
    from .security import csrf_ok

    if not csrf_ok(request.session, csrf_token):
        return render(
            request,
            "login.html",
            {"error": text("登录页面已过期，请重试", "the login page expired; try again")},
            status_code=403,
        )
    db = _db(request)
    ip = request.client.host if request.client else "?"
    username = username.strip()[:64]

    def check() -> tuple[str, int | None]:
        # argon2 and the database block: run off the event loop
        with db.read() as session:
            if too_many_failures(session, username, ip):
                return "limited", None
            user = find_user(session, username)
            ok = check_password(user, password) and user is not None and user.active
        with db.write(username or "?", "login" if ok else "login.failed") as session:
            session.add(LoginAttempt(username=username, ip=ip, ok=ok))
        return ("ok", (user.id, user.version)) if ok else ("wrong", None)

    from starlette.concurrency import run_in_threadpool

    outcome, user_id = await run_in_threadpool(check)
    if outcome == "limited":
        return render(
            request,
            "login.html",
            {
                "error": text(
                    "登录失败次数过多，请 15 分钟后再试", "too many failed logins; wait 15 minutes"
                )
            },
            status_code=429,
        )
    if outcome == "wrong":
        return render(
            request,
            "login.html",
            {"error": text("用户名或密码错误", "wrong user name or password")},
            status_code=401,
        )
    lang = request.session.get("lang")
    request.session.clear()  # a fresh session: no fixation
    user_id, user_version = user_id
    request.session.update(
        {"user_id": user_id, "user_version": user_version, **({"lang": lang} if lang else {})}
    )
    return RedirectResponse("/dashboard", status_code=303)


@router.post("/logout")
def logout(request: Request, actor: Actor = Depends(page_actor)):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/dashboard"):
    if code in ("zh", "en"):
        request.session["lang"] = code
    safe = next if next.startswith("/") and not next.startswith("//") else "/dashboard"
    return RedirectResponse(safe, status_code=303)


# --- dashboard and the cycle --------------------------------------------------------------


@router.get("/dashboard")
def dashboard(request: Request, actor: Actor = Depends(page_actor)):
    today = _today()
    with _db(request).read() as session:
        preliminary = _preliminary_runs(session) if actor.can("results.view.unpublished") else {}
        rows = []
        for cycle in session.scalars(select(Cycle).order_by(Cycle.period.desc(), Cycle.id)):
            rows.append(
                {
                    "cycle": cycle,
                    "due": cycle.deadlines.get(cycle.state),
                    "overdue": overdue(cycle.state, cycle.deadlines, today),
                    "moves": transitions_from(cycle.state, actor.role),
                    "locked": is_locked(cycle.state),
                    "preliminary": preliminary.get(cycle.id, ""),
                }
            )
        spared = _spared(session, actor, rows[0]["cycle"] if rows else None)
        unit = session.get(Unit, actor.unit_code) if actor.unit_code else None
    return render(request, "dashboard.html", {"rows": rows, "spared": spared, "unit": unit})


def _preliminary_runs(session) -> dict[int, str]:
    """Cycle id → why its latest run is preliminary, for the cycles whose latest run is."""
    latest = select(func.max(Run.id)).group_by(Run.cycle_id)
    return {
        cycle_id: preliminary_label(marked)
        for cycle_id, marked in session.execute(
            select(Run.cycle_id, Run.manifest["preliminary"]).where(Run.id.in_(latest))
        )
        if marked
    }


def _spared(session, actor: Actor, cycle: Cycle | None) -> list[dict]:
    """Per source this actor submits: fields Kaohe prefills for it (基层减负)."""
    if cycle is None:
        return []
    out = []
    for source in catalog().values():
        if not submission_ops.may_submit(actor, source) or not source.per_unit:
            continue
        units = submission_ops.reporting_units(session, actor, source)
        _, spared = prefill(session, source, [u.code for u in units], cycle.period)
        out.append({"source": source, "spared": spared, "fields": len(units) * len(source.columns)})
    return out


@router.post("/cycles/{cycle_id}/move")
def move_cycle(
    request: Request,
    cycle_id: int,
    target: str = Form(...),
    version: int = Form(...),
    note: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    with _db(request).write(actor.username, f"cycle.{target}") as session:
        source = cycle_ops.get_cycle(session, cycle_id).state
        cycle_ops.move(session, actor, cycle_id, target, version, note)  # checks role first
        result_ops.require_final(session, cycle_id, source, target)  # refused: rolled back
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/cycles/{cycle_id}")
def cycle_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    with _db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        events = session.scalars(
            select(CycleEvent).where(CycleEvent.cycle_id == cycle_id).order_by(CycleEvent.id)
        ).all()
        runs = (
            session.execute(
                select(Run.id, Run.created_at, Run.manifest["preliminary"])
                .where(Run.cycle_id == cycle_id)
                .order_by(Run.id)
            ).all()
            if actor.can("results.view.unpublished")
            else []
        )
        covered = (
            computation.coverage(session, cycle, request.app.state.compute)
            if cycle.state == "computation" and actor.can("results.compute")
            else None
        )
    runs = [
        {"id": run_id, "created_at": created, "preliminary": preliminary_label(marked)}
        for run_id, created, marked in runs
    ]
    return render(
        request,
        "cycle.html",
        {
            "cycle": cycle,
            "events": events,
            "moves": transitions_from(cycle.state, actor.role),
            "runs": runs,
            "coverage": covered,
            "preliminary": runs[-1]["preliminary"] if runs else "",
        },
    )


@router.post("/cycles/{cycle_id}/compute")
def compute_results(
    request: Request,
    cycle_id: int,
    preliminary: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    """Aggregate the accepted submissions, run the engine and import the run (computation state).
    While assigned field checks are missing this is refused, unless the user chose a preliminary
    run (``preliminary=yes``, its own button). A sync handler: FastAPI runs it in a worker
    thread, so the engine never blocks the loop."""
    computation.compute(
        _db(request), actor, cycle_id, request.app.state.compute, preliminary == "yes"
    )
    return RedirectResponse(f"/cycles/{cycle_id}/results", status_code=303)


# --- submissions --------------------------------------------------------------------------


@router.get("/cycles/{cycle_id}/submissions")
def submissions_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    require(actor, "submission.view")
    with _db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        sources = [s for s in catalog().values() if submission_ops.may_submit(actor, s)]
        subs = submission_ops.visible_submissions(session, actor, cycle_id)
        history = {s.id: submission_ops.versions(session, s.id) for s in subs}
        names = {
            u.code: u.name
            for u in session.scalars(select(Unit).where(Unit.code.in_({s.unit_code for s in subs})))
        }
    return render(
        request,
        "submissions.html",
        {
            "cycle": cycle,
            "sources": sources,
            "subs": subs,
            "history": history,
            "names": names,
            "catalog": catalog(),
            "open": cycle.state == "submission",
        },
    )


@router.get("/cycles/{cycle_id}/submissions/{source_id}/template")
def download_template(
    request: Request, cycle_id: int, source_id: str, actor: Actor = Depends(page_actor)
):
    require(actor, "submission.upload")
    source = submission_ops.source_for(actor, source_id)
    if not submission_ops.may_submit(actor, source):
        raise Forbidden(text("您的角色不报送该数据", "your role does not submit this source"))
    with _db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        units = submission_ops.reporting_units(session, actor, source)
        values, spared = prefill(session, source, [u.code for u in units], cycle.period)
    content = template(source, units, values, spared)
    return _download(content, f"{source.label}-{cycle.period}.xlsx", XLSX)


@router.post("/cycles/{cycle_id}/submissions/{source_id}")
async def upload_submission(
    request: Request,
    cycle_id: int,
    source_id: str,
    file: UploadFile = File(...),
    actor: Actor = Depends(page_actor),
):
    filename, content = await read_upload(file)
    db = _db(request)

    def store():
        with db.write(actor.username, "submission.upload") as session:
            outcome = submission_ops.upload(
                session, actor, cycle_id, source_id, filename, content, today=_today()
            )
            return outcome.submission.id, outcome.version.number, outcome.accepted, outcome.errors

    from starlette.concurrency import run_in_threadpool

    submission_id, number, accepted, errors = await run_in_threadpool(store)
    source = catalog()[source_id]
    return render(
        request,
        "upload_result.html",
        {
            "cycle_id": cycle_id,
            "source": source,
            "submission_id": submission_id,
            "number": number,
            "accepted": accepted,
            "errors": errors,
            "filename": filename,
        },
        status_code=200 if accepted else 422,
    )


@router.get("/submissions/{submission_id}/versions/{number}/annotated")
def annotated(
    request: Request, submission_id: int, number: int, actor: Actor = Depends(page_actor)
):
    with _db(request).read() as session:
        _, version = submission_ops.get_version(session, actor, submission_id, number)
        content = annotate(version.filename, version.content, version.errors)
        stem = version.filename.rsplit(".", 1)[0]
    return _download(content, f"{stem}-{text('错误标注', 'errors')}-v{number}.xlsx", XLSX)


@router.get("/submissions/{submission_id}/versions/{number}/file")
def original_file(
    request: Request, submission_id: int, number: int, actor: Actor = Depends(page_actor)
):
    with _db(request).read() as session:
        _, version = submission_ops.get_version(session, actor, submission_id, number)
        content, filename = version.content, version.filename
    media = XLSX if filename.lower().endswith(".xlsx") else "text/csv"
    return _download(content, filename, media)


# --- verification -------------------------------------------------------------------------


@router.get("/cycles/{cycle_id}/verification")
def verification_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    with _db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        items = verification_ops.assignments(session, actor, cycle_id)
        progress = verification_ops.progress(session, actor, cycle_id)
        sheets = verification_sheet.uploads(session, actor, cycle_id)
        names = {
            u.code: u.name
            for u in session.scalars(
                select(Unit).where(Unit.code.in_({i.unit_code for i in items}))
            )
        }
    return render(
        request,
        "verification.html",
        {
            "cycle": cycle,
            "items": items,
            "progress": progress,
            "names": names,
            "sheets": sheets,
            "open": cycle.state == "verification",
        },
    )


@router.get("/cycles/{cycle_id}/verification/sheet")
def verification_sheet_download(
    request: Request, cycle_id: int, actor: Actor = Depends(page_actor)
):
    with _db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        content = verification_sheet.sheet(session, actor, cycle_id)
    return _download(content, f"{text('核查表', 'verification')}-{cycle.period}.xlsx", XLSX)


@router.post("/cycles/{cycle_id}/verification/sheet")
async def verification_sheet_upload(
    request: Request,
    cycle_id: int,
    file: UploadFile = File(...),
    actor: Actor = Depends(page_actor),
):
    filename, content = await read_upload(file)
    db = _db(request)

    def store():
        with db.write(actor.username, "verification.upload") as session:
            made = verification_sheet.upload(
                session, actor, cycle_id, filename, content, today=_today()
            )
            return made.id, made.number, made.accepted, made.errors, made.applied, made.rows

    from starlette.concurrency import run_in_threadpool

    upload_id, number, accepted, errors, applied, rows = await run_in_threadpool(store)
    return render(
        request,
        "verification_upload.html",
        {
            "cycle_id": cycle_id,
            "upload_id": upload_id,
            "number": number,
            "accepted": accepted,
            "errors": errors,
            "applied": applied,
            "rows": rows,
            "filename": filename,
        },
        status_code=200 if accepted else 422,
    )


@router.get("/verification-uploads/{upload_id}/annotated")
def verification_sheet_annotated(
    request: Request, upload_id: int, actor: Actor = Depends(page_actor)
):
    with _db(request).read() as session:
        item = verification_sheet.get_upload(session, actor, upload_id)
        content = annotate(item.filename, item.content, item.errors)
        stem = item.filename.rsplit(".", 1)[0]
        number = item.number
    return _download(content, f"{stem}-{text('错误标注', 'errors')}-v{number}.xlsx", XLSX)


@router.get("/verification-uploads/{upload_id}/file")
def verification_sheet_file(request: Request, upload_id: int, actor: Actor = Depends(page_actor)):
    with _db(request).read() as session:
        item = verification_sheet.get_upload(session, actor, upload_id)
        content, filename = item.content, item.filename
    media = XLSX if filename.lower().endswith(".xlsx") else "text/csv"
    return _download(content, filename, media)


@router.get("/verification/{assignment_id}")
def verification_form(request: Request, assignment_id: int, actor: Actor = Depends(page_actor)):
    with _db(request).read() as session:
        item = verification_ops.get_assignment(session, actor, assignment_id)
        result = verification_ops.result_of(session, item.id)
        unit = session.get(Unit, item.unit_code)
    return render(
        request,
        "verify_form.html",
        {"item": item, "result": result, "unit": unit, "verdicts": verification_ops.VERDICTS},
    )


@router.post("/verification/{assignment_id}")
def record_verification(
    request: Request,
    assignment_id: int,
    verdict: str = Form(...),
    version: int = Form(...),
    recognizes: str = Form("no"),
    satisfied_team: str = Form("no"),
    satisfied_cadre: str = Form("no"),
    income_verified: str = Form(""),
    note: str = Form(""),
    actor: Actor = Depends(page_actor),
):
    try:
        income = float(income_verified) if income_verified.strip() else None
    except ValueError:
        raise Invalid(
            text(
                f"核实收入应为数字，而不是 {income_verified!r}",
                f"the verified income must be a number, not {income_verified!r}",
            )
        ) from None
    with _db(request).write(actor.username, "verification.record") as session:
        item = verification_ops.get_assignment(session, actor, assignment_id)
        verification_ops.record(
            session,
            actor,
            assignment_id,
            verification_ops.Verdict(
                verdict,
                recognizes == "yes",
                satisfied_team == "yes",
                satisfied_cadre == "yes",
                income,
                note,
            ),
            version,
            today=_today(),
        )
        cycle_id = item.cycle_id
    return RedirectResponse(f"/cycles/{cycle_id}/verification", status_code=303)


# --- results ------------------------------------------------------------------------------


@router.get("/cycles/{cycle_id}/results")
def results_page(
    request: Request,
    cycle_id: int,
    grade: str = "",
    region: str = "",
    q: str = "",
    status: str = "",
    actor: Actor = Depends(page_actor),
):
    with _db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        run, everything = result_ops.ranking(session, actor, cycle_id, views=_views(request))
    rows = result_ops.filter_rows(everything, grade, region, q, status)
    regions = sorted(
        {r.region for r in everything if r.region}
        | {r.peer_group for r in everything if r.peer_group}
    )
    context = {
        "cycle": cycle,
        "run": run,
        "rows": rows,
        "grade": grade,
        "region": region,
        "q": q,
        "status": status,
        "statuses": [(s, status_label(s)) for s in STATUSES],
        "regions": regions,
        "dimensions": [d for d in (run.tree if run else []) if d.get("top")],
        "preliminary": run.preliminary_label if run else "",
    }
    name = "results_table.html" if request.headers.get("hx-request") else "results.html"
    return render(request, name, context)


def _drilldown(card: result_ops.ScoreCard) -> list[dict]:
    """total → dimension → indicator → measure, from the run's explanation of this unit."""
    explain = card.result.explain
    nodes, indicators = explain.get("nodes", {}), explain.get("indicators", {})
    measures = explain.get("measures", {})
    # the scheme's facts recorded when the run was imported (result_ops.facts_of)
    facts = result_ops.scheme_facts(card.run.manifest)
    sources = facts["measure_sources"]  # with each measure's unit
    expressions, reads = facts["indicator_expressions"], facts["indicator_measures"]

    def indicator(ind_id: str) -> dict:
        info = dict(indicators.get(ind_id, {}))
        used = reads.get(ind_id, ())  # the measures its parsed expression names
        info.update(
            id=ind_id,
            expr=expressions.get(ind_id, ""),
            measures=[
                (m, measures[m], (sources.get(m) or {}).get("unit_of_measure"))
                for m in sorted(used)
                if m in measures
            ],
        )
        return info

    out = []
    for dim in card.run.tree:
        if not dim.get("top"):
            continue
        node = nodes.get(dim["id"], {})
        out.append(
            {
                "id": dim["id"],
                "label": dim["label"],
                "points": node.get("points"),
                "max_points": node.get("max_points"),
                "indicators": [indicator(c) for c in node.get("children", []) if c in indicators],
            }
        )
    return out


def _drill_html(request: Request, card: result_ops.ScoreCard, actor: Actor) -> Markup:
    """The drill-down fragment, rendered once per run, unit, language and whether the records
    behind the measures may be opened (the records page checks scope again)."""
    records = actor.can("records.view") and actor.sees_unit(card.unit)
    key = ("drill", card.run.key, card.unit.code, language.current(), records)

    def build() -> Markup:
        return Markup(
            templates.get_template("scorecard_drill.html").render(
                drill=_drilldown(card),
                records=records,
                cycle_id=card.cycle.id,
                unit_code=card.unit.code,
            )
        )

    return _views(request).derived(key, build)


@router.get("/cycles/{cycle_id}/results/{unit_code}")
def scorecard_page(
    request: Request, cycle_id: int, unit_code: str, actor: Actor = Depends(page_actor)
):
    with _db(request).read() as session:
        card = result_ops.scorecard(session, actor, cycle_id, unit_code, views=_views(request))
        unit_findings = (
            finding_ops.unit_findings(session, actor, cycle_id, card.unit)
            if actor.can("finding.view")
            else []
        )
    dims = [d for d in card.run.tree if d.get("top")]

    def rate(result, d) -> float:
        # the share of the unit's own (effective) maximum: re-weighted points are not above 100 %
        most = result.effective_points.get(d["id"]) or d.get("max_points") or 1
        return round(100 * (result.dimensions.get(d["id"]) or 0) / most, 1)

    radar = {
        "indicator": [{"name": d["label"], "max": 100} for d in dims],
        "values": [rate(card.result, d) for d in dims],
        "last": [rate(card.last, d) for d in dims] if card.last else None,
        "labels": [text("本期", "this period"), text("上期", "last period")],
    }
    return render(
        request,
        "scorecard.html",
        {
            "card": card,
            "dims": dims,
            "radar": radar,
            "drill_html": _drill_html(request, card, actor),
            "findings": unit_findings,
            # a preliminary run decides nothing: no outcomes are shown as if they applied
            "outcomes": [] if card.run.preliminary else card.result.explain.get("outcomes", []),
            "preliminary": card.run.preliminary_label,
        },
    )


@router.get("/cycles/{cycle_id}/results/{unit_code}/records/{measure}")
def records_page(
    request: Request,
    cycle_id: int,
    unit_code: str,
    measure: str,
    page: int = 1,
    actor: Actor = Depends(page_actor),
):
    """The source rows behind one measure of a unit's score card: the unit and its subtree."""
    require(actor, "records.view")
    with _db(request).read() as session:
        card = result_ops.scorecard(session, actor, cycle_id, unit_code, views=_views(request))
        require_unit(actor, card.unit)
        found = records_ops.records(session, card.run, card.unit, measure, page)
    return render(
        request,
        "records.html",
        {"card": card, "found": found, "preliminary": card.run.preliminary_label},
    )


# --- findings and appeals -----------------------------------------------------------------


@router.get("/cycles/{cycle_id}/findings")
def findings_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    with _db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        items = finding_ops.visible_findings(session, actor, cycle_id)
        appeals = finding_ops.visible_appeals(session, actor, cycle_id)
        names = {
            u.code: u.name
            for u in session.scalars(
                select(Unit).where(Unit.code.in_({f.unit_code for f in items}))
            )
        }
        evidence = {a.id: finding_ops.attachments(session, "appeal", a.id) for a, _ in appeals}
    return render(
        request,
        "findings.html",
        {
            "cycle": cycle,
            "items": items,
            "appeals": appeals,
            "names": names,
            "evidence": evidence,
            "window": cycle.state == "feedback",
        },
    )


@router.post("/findings/{finding_id}/appeal")
async def appeal(
    request: Request,
    finding_id: int,
    reason: str = Form(...),
    evidence: UploadFile | None = File(None),
    actor: Actor = Depends(page_actor),
):
    attached = await read_upload(evidence) if evidence is not None and evidence.filename else None
    with _db(request).write(actor.username, "appeal.create") as session:
        made = finding_ops.file_appeal(session, actor, finding_id, reason, attached, today=_today())
        cycle_id = session.get(Finding, made.finding_id).cycle_id
    return RedirectResponse(f"/cycles/{cycle_id}/findings", status_code=303)


@router.post("/appeals/{appeal_id}/decide")
def decide(
    request: Request,
    appeal_id: int,
    decision: str = Form(...),
    note: str = Form(""),
    version: int = Form(...),
    actor: Actor = Depends(page_actor),
):
    with _db(request).write(actor.username, "appeal.decide") as session:
        made = finding_ops.decide_appeal(
            session, actor, appeal_id, decision == "accept", note, version
        )
        cycle_id = session.get(Finding, made.finding_id).cycle_id
    return RedirectResponse(f"/cycles/{cycle_id}/findings", status_code=303)


# --- rectification ------------------------------------------------------------------------


@router.get("/cycles/{cycle_id}/rectifications")
def rectifications_page(request: Request, cycle_id: int, actor: Actor = Depends(page_actor)):
    today = _today()
    with _db(request).read() as session:
        cycle = cycle_ops.get_cycle(session, cycle_id)
        items = rectification_ops.visible(session, actor, cycle_id)
        names = {
            u.code: u.name
            for u in session.scalars(
                select(Unit).where(Unit.code.in_({i.unit_code for i in items}))
            )
        }
        evidence = {i.id: finding_ops.attachments(session, "rectification", i.id) for i in items}
    return render(
        request,
        "rectifications.html",
        {
            "cycle": cycle,
            "items": items,
            "names": names,
            "evidence": evidence,
            "overdue": {i.id: rectification_ops.is_overdue(i, today) for i in items},
            "status_label": rectification_ops.status_label,
        },
    )


@router.post("/rectifications/{item_id}/evidence")
async def rectification_evidence(
    request: Request,
    item_id: int,
    file: UploadFile = File(...),
    note: str = Form(""),
    version: int = Form(...),
    actor: Actor = Depends(page_actor),
):
    filename, content = await read_upload(file)
    with _db(request).write(actor.username, "rectification.evidence") as session:
        item = rectification_ops.submit_evidence(
            session, actor, item_id, filename, content, note, version
        )
        cycle_id = item.cycle_id
    return RedirectResponse(f"/cycles/{cycle_id}/rectifications", status_code=303)


@router.post("/rectifications/{item_id}/verify")
def rectification_verify(
    request: Request,
    item_id: int,
    decision: str = Form(...),
    note: str = Form(""),
    version: int = Form(...),
    actor: Actor = Depends(page_actor),
):
    with _db(request).write(actor.username, "rectification.verify") as session:
        item = rectification_ops.verify(session, actor, item_id, decision == "close", note, version)
        cycle_id = item.cycle_id
    return RedirectResponse(f"/cycles/{cycle_id}/rectifications", status_code=303)


@router.get("/attachments/{attachment_id}")
def attachment(request: Request, attachment_id: int, actor: Actor = Depends(page_actor)):
    with _db(request).read() as session:
        item = session.get(Attachment, attachment_id)
        if item is None:
            raise NotFound(text("没有该附件", "no such attachment"))
        if item.owner_kind == "rectification":
            rectification_ops.get(session, actor, item.owner_id)
        else:
            from ..store.models import Appeal

            owner = session.get(Appeal, item.owner_id)
            require(actor, "finding.view")
            require_unit(actor, session.get(Unit, owner.unit_code))
        content, filename, media = item.content, item.filename, item.content_type
    return _download(content, filename, media)


# --- audit log ----------------------------------------------------------------------------


@router.get("/audit")
def audit_page(request: Request, before: int | None = None, actor: Actor = Depends(page_actor)):
    require(actor, "audit.view")
    with _db(request).read() as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(100)
        if before:
            query = query.where(AuditEntry.id < before)
        entries = session.scalars(query).all()
    return render(request, "audit.html", {"entries": entries})
