"""What a person sees: the MLflow UI, in headless Chromium, shows the family run, its report and
the study's runs with their params.

The UI is a React app, so the page is rendered by a real browser (Debian's ``chromium``): read back
with ``--dump-dom`` after a virtual-time budget, or clicked through with ``chromedriver`` (spoken to
over its W3C WebDriver HTTP protocol). Screenshots go to ``$GAMMASWEEP_ARTIFACTS`` (.ci/run sets it)
or to the test's temp folder.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import optuna
import pytest
from mlflow.tracking import MlflowClient

from support.servers import free_port
from support.sweep_runner import run_sweep
from support.waiting import wait_until
from sweeps import tracking
from sweeps.tracking.family_run import describe, family_run
from sweeps.tracking.run_labels import AXIS_PARAMS, PREFIX, run_name

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium (.ci/run does)")]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=15000", "--window-size=1400,2400",
]


def chromium(url: str, *mode: str) -> str:
    """Load ``url`` in a fresh profile and return what ``mode`` prints (the DOM for --dump-dom)."""
    with tempfile.TemporaryDirectory(prefix="gammasweep-chromium-") as profile:
        proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *mode, url],
                              capture_output=True, text=True, timeout=120)
    return proc.stdout


def rendered(url: str, expected: str, attempts: int = 3) -> str:
    """The rendered DOM of ``url`` once it contains ``expected`` (a slow machine may need another go)."""
    for _ in range(attempts):
        dom = chromium(url, "--dump-dom")
        if expected in dom:
            return dom
    raise AssertionError(f"{expected!r} never appeared in {url}; the page said:\n{text_of(dom)[:3000]}")


class _Rows(HTMLParser):
    """Table rows as {label: [cells]}: MLflow's compare page has a labelled row per field and a
    column per run."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._row: list[tuple[str, str]] | None = None
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell, self._kind = "", tag

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append((self._kind, self._cell.strip()))
            self._cell = None
        elif tag == "tr" and self._row:
            if self._row[0][0] == "th":   # the row's label, then one cell per run (th or td)
                self.rows.setdefault(self._row[0][1].rstrip(":"), [text for _, text in self._row[1:]])
            self._row = None


def text_of(dom: str) -> str:
    class Text(HTMLParser):
        parts: list[str] = []
        skip = False

        def handle_starttag(self, tag, attrs):
            self.skip = tag in ("script", "style")

        def handle_data(self, data):
            if not self.skip and data.strip():
                self.parts.append(data.strip())

    t = Text()
    t.parts = []
    t.feed(dom)
    return " ".join(t.parts)


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("GAMMASWEEP_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def screenshot(url: str, name: str, tmp_path: Path) -> Path:
    out = Path(os.environ.get("GAMMASWEEP_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    chromium(url, f"--screenshot={path}")
    return path


@pytest.fixture(scope="module")
def swept(mlflow_server, tmp_path_factory):
    """A tiny sweep with its report, tracked by the MLflow server: (output folder, the process)."""
    out = tmp_path_factory.mktemp("browser")
    return out, run_sweep(out, "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.study_name=browser",
                          "hydra.sweeper.n_trials=3", f"mlflow.tracking_uri={mlflow_server.url}",
                          "mlflow.artifact_location=null", "hydra.sweeper.report=true")


def test_mlflow_ui_shows_the_studys_runs_with_their_params(mlflow_server, swept):
    tmp_path, proc = swept
    study = optuna.load_study(study_name="browser.quadratic.rmsprop", storage=f"sqlite:///{tmp_path}/optuna.db")
    client = MlflowClient(tracking_uri=mlflow_server.url)
    experiment = client.get_experiment_by_name("gammasweep-browser").experiment_id

    # The link the sweep prints opens the experiment's runs table (model training, not GenAI
    # traces): the family run, its study's parent run and trials nested under it, and the
    # experiment's description saying how to read them.
    link = re.search(r"^MLflow: (\S+)$", proc.stdout, re.M).group(1)
    assert link == f"{mlflow_server.url}/#/experiments/{experiment}?workflowType=machine_learning"
    page = text_of(rendered(link, "matching runs"))
    assert f"{2 + len(study.trials)} matching runs" in page
    assert "holds the" in page and "log10_1m_gamma" in page, page[:3000]
    assert screenshot(link, "mlflow-ui-runs-table.png", tmp_path).stat().st_size > 10_000

    # The compare page shows every trial's run with its lr, gamma and eps.
    ids = [t.user_attrs["mlflow_run_id"] for t in study.trials]
    query = urllib.parse.urlencode({"runs": json.dumps(ids), "experiments": json.dumps([experiment]),
                                    "workflowType": "machine_learning"})
    compare = f"{mlflow_server.url}/#/compare-runs?{query}"
    rows = _Rows()
    rows.feed(rendered(compare, ">gamma<"))
    assert sorted(rows.rows["Run ID"]) == sorted(ids), rows.rows.keys()
    axes = ("lr", "gamma", "eps", *AXIS_PARAMS.values())
    shown = {run_id: {k: rows.rows[k][i] for k in ("Run Name", *axes)}
             for i, run_id in enumerate(rows.rows["Run ID"])}
    for trial in study.trials:
        cells = shown[trial.user_attrs["mlflow_run_id"]]
        outcome = trial.user_attrs.get("outcome", "pruned")
        assert cells["Run Name"] == PREFIX.get(outcome, "") + run_name("rmsprop", trial.params, trial.number)
        p = {k.split(".")[-1]: v for k, v in trial.params.items()}
        p |= {AXIS_PARAMS["log10_lr"]: math.log10(p["lr"]), AXIS_PARAMS["log10_eps"]: math.log10(p["eps"]),
              AXIS_PARAMS["log10_1m_gamma"]: math.log10(1 - p["gamma"])}
        for name in axes:   # the log10 axes too, so parallel coordinates spread the trials out
            assert float(cells[name]) == pytest.approx(p[name], rel=1e-9), name

    path = screenshot(compare, "mlflow-ui-compare-runs.png", tmp_path)
    assert path.stat().st_size > 10_000, "the screenshot is blank"


class Browser:
    """Headless Chromium driven by ``chromedriver`` over the W3C WebDriver protocol (plain HTTP)."""

    def __init__(self):
        self.port = free_port()
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_until(lambda: self._ready(), 30, interval=0.2)
        options = {"binary": CHROMIUM, "args": [*FLAGS[:-2], "--window-size=1400,1000"]}
        self.session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})["sessionId"]

    def _ready(self) -> bool:
        try:
            return self._call("GET", "/status")["ready"]
        except OSError:
            return False

    def _call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as r:
            return json.loads(r.read())["value"]

    def do(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def find(self, xpath: str, within: float = 60):
        """The first element at ``xpath``, once the app has rendered it."""
        found = []

        def present():
            found[:] = self.do("POST", "/elements", {"using": "xpath", "value": xpath})
            return bool(found)

        assert wait_until(present, within, interval=0.5), (
            f"{xpath} never appeared in {self.script('return location.href')}: "
            + self.script("return document.body.innerText")[:3000])
        return found[0]

    def click(self, xpath: str) -> None:
        element = self.find(xpath)
        self.do("POST", f"/element/{next(iter(element.values()))}/click", {})

    def script(self, code: str):
        return self.do("POST", "/execute/sync", {"script": code, "args": []})

    def save(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.do("GET", "/screenshot")))
        return path

    def close(self) -> None:
        try:
            self.do("DELETE", "")
        finally:
            self.driver.terminate()
            self.driver.wait(30)


@pytest.fixture
def browser():
    if CHROMEDRIVER is None:
        pytest.skip("no chromedriver: apt-get install chromium-driver")
    b = Browser()
    try:
        yield b
    finally:
        b.close()


# the runs table's run names (the experiment's description links runs too, in a new tab)
TABLE_RUN = "a[href*=\"/runs/\"]:not([target=_blank])"
RUN_LINKS = f"return [...document.querySelectorAll('{TABLE_RUN}')].map(a => a.textContent.trim())"


def test_from_the_printed_link_the_family_report_renders_in_three_clicks(swept, browser, tmp_path):
    out, proc = swept
    link = re.search(r"^MLflow: (\S+)$", proc.stdout, re.M).group(1)
    browser.do("POST", "/url", {"url": link})
    # The runs table: the family run is the first row (its studies' runs nest under it).
    browser.find("//a[contains(@href, '/runs/') and not(@target='_blank') and normalize-space()='browser']")
    names = [n for n in browser.script(RUN_LINKS) if n]
    assert names[0] == "browser", names
    assert "browser.quadratic.rmsprop" not in names[:1]
    shot = shots(tmp_path)
    browser.save(shot / "mlflow-ui-family-run-on-top.png")

    browser.click("//a[contains(@href, '/runs/') and not(@target='_blank') and normalize-space()='browser']")  # 1
    browser.save(shot / "mlflow-ui-family-run.png")
    browser.click("//*[@role='tab' and normalize-space()='Artifacts'] | //a[normalize-space()='Artifacts']"
                  " | //button[normalize-space()='Artifacts']")                  # 2: its artifacts
    browser.click("//*[normalize-space(text())='report.html']")                    # 3: the report
    frame = browser.find("//iframe")
    browser.save(shot / "mlflow-ui-family-report.png")
    browser.do("POST", "/frame", {"id": frame})
    widths = []

    def images_loaded():
        widths[:] = browser.script("return [...document.images].map(i => i.complete ? i.naturalWidth : 0)")
        return bool(widths) and all(w > 0 for w in widths)

    assert wait_until(images_loaded, 60, interval=0.5), widths
    report = (out / "reports" / "browser" / "report.md").read_text(encoding="utf-8")
    assert len(widths) == report.count(".png)"), widths


def model_training(browser: Browser) -> bool:
    """Whether the page is in MLflow's Model-training mode: its sidebar lists the model registry;
    in GenAI mode it lists Observability (traces, sessions) instead."""
    text = browser.script("return document.body.innerText")
    return "Model registry" in text and "Observability" not in text


def test_the_descriptions_links_open_the_family_run_in_model_training(swept, browser, tmp_path):
    """The experiment's description links the family run and its report.html, and the report's
    "Runs in MLflow" section the printed link. MLflow 3.17 keeps the GenAI/Model-training switch
    per browser (GenAI for a new one) and does not read the experiment's ``mlflow.experimentKind``
    on a run page: every link carries ``?workflowType=machine_learning``; a fresh browser
    (chromedriver's own profile) shows what each opens."""
    out, proc = swept
    link = re.search(r"^MLflow: (\S+)$", proc.stdout, re.M).group(1)
    report = (out / "reports" / "browser" / "report.md").read_text(encoding="utf-8")
    assert f"<{link}>" in report, "the report's MLflow section gives the printed link"
    browser.do("POST", "/url", {"url": link})
    browser.find("//a[@target='_blank' and contains(@href, '/runs/')]")
    hrefs = browser.script("return [...document.querySelectorAll('a[target=_blank][href*=\"/runs/\"]')]"
                           ".map(a => a.href)")
    run, html = sorted(set(hrefs), key=len)
    assert html == run.replace("?", "/artifacts/report.html?") and run.endswith("?workflowType=machine_learning")
    browser.do("POST", "/url", {"url": run})
    browser.find("//*[normalize-space()='browser.quadratic.rmsprop']")   # among its child runs
    assert model_training(browser)
    browser.do("POST", "/url", {"url": html})
    browser.find("//iframe")
    assert model_training(browser)
    browser.save(shots(tmp_path) / "mlflow-ui-report-link.png")


def test_compare_preselects_the_log_axes(swept, browser, tmp_path):
    """From the printed link: expand the family and its study, tick the trained trials, *Compare*:
    parallel coordinates open on lr, 1−γ, ε (log10) coloured by val_loss; the contour plot on lr
    and 1−γ."""
    out, proc = swept
    study = optuna.load_study(study_name="browser.quadratic.rmsprop", storage=f"sqlite:///{out}/optuna.db")
    trained = [t.user_attrs["mlflow_run_id"] for t in study.trials if t.user_attrs.get("outcome") == "trained"]
    assert len(trained) >= 2, "a comparison needs two trained trials"
    link = re.search(r"^MLflow: (\S+)$", proc.stdout, re.M).group(1)
    browser.do("POST", "/url", {"url": link})
    runs = MlflowClient(tracking_uri=re.match(r"(http://[^/]+)", link).group(1))
    parent = study.user_attrs["mlflow_parent_run_id"]
    family = runs.get_run(parent).data.tags["mlflow.parentRunId"]
    for row in (family, parent):   # expand the family run, then its study's run
        browser.click(f"//div[@row-id='{row}']//button[contains(@data-component-id, 'runnamecellrenderer')]")
    for run_id in trained:
        browser.click(f"//div[@row-id='{run_id}']//input[contains(@class, 'ag-checkbox-input')]")
    browser.click("//button[normalize-space()='Compare']")
    titles = "return [...document.querySelectorAll('{}')].map(e => e.textContent)"
    axes = []

    def drawn(selector: str, n: int):
        def ready():
            axes[:] = browser.script(titles.format(selector))
            return len(axes) >= n
        return ready

    assert wait_until(drawn(".parcoords .axis-title", 4), 60, interval=0.5), axes
    assert axes == ["1_log10_lr", "2_log10_1m_gamma", "3_log10_eps", "val_loss"]
    browser.save(shots(tmp_path) / "mlflow-ui-compare-log-axes.png")
    browser.click("//*[@role='tab' and normalize-space()='Contour Plot']")
    assert wait_until(drawn(".xtitle, .ytitle", 2), 60, interval=0.5), axes
    assert axes == ["1_log10_lr", "2_log10_1m_gamma"]


def test_the_family_run_tops_the_first_page_of_many_runs(mlflow_server, browser, tmp_path):
    """150 trial runs (MLflow shows 100 a page, newest first): the oldest run, the family's, is
    still the first row — the UI fetches the parents of a page's runs — and expands to its studies."""
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    url = mlflow_server.url
    experiment = tracking.ensure_experiment(url, "gammasweep-many", None)
    family = family_run(url, experiment, "many")
    describe(url, experiment, "many", family)
    studies = {}
    # the trial runs straight into the server's database: 300 HTTP calls would take ~20 s
    direct = MlflowClient(tracking_uri=f"sqlite:///{mlflow_server.root}/mlflow.db")
    for optimizer in ("sgd", "rmsprop"):
        name = f"many.quadratic.{optimizer}"
        studies[name] = tracking.client(url).create_run(
            experiment, run_name=name, tags={"gammasweep.study": name, "mlflow.parentRunId": family}).info.run_id
        for n in range(75):
            direct.create_run(experiment, run_name=f"{optimizer} lr={n} #{n}",
                              tags={"mlflow.parentRunId": studies[name], "gammasweep.trial": str(n)})
    _, link = tracking.ui_link(url, experiment)
    browser.do("POST", "/url", {"url": link})
    browser.find("//a[contains(@href, '/runs/') and not(@target='_blank') and normalize-space()='many']")
    names = [n for n in browser.script(RUN_LINKS) if n]
    assert names[0] == "many", names[:5]
    browser.click(f"//div[@row-id='{family}']//button[contains(@data-component-id, 'runnamecellrenderer')]")
    assert wait_until(lambda: set(studies) <= set(browser.script(RUN_LINKS)), 60, interval=0.5), (
        browser.script(RUN_LINKS)[:5])
    names = [n for n in browser.script(RUN_LINKS) if n]
    assert names[0] == "many" and set(names[1:3]) == set(studies), names[:5]
    browser.save(shots(tmp_path) / "mlflow-ui-first-page-150-runs.png")
