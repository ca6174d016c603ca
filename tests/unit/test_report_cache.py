"""The incremental report: studies without new trials come from the cache, and the report is the
same, byte for byte, as one built from nothing."""

import logging
import pickle

import pytest
from optuna.distributions import FloatDistribution
from support.synthetic import (
    GAMMAS,
    LRS,
    gamma_strong,
    grid,
    lr_only,
    make_seeds,
    make_study,
    sqlite_storage,
)

from sweeps import report
from sweeps.analysis import cache as caching
from sweeps.analysis import family, load_family, load_studies
from sweeps.terminal.progress import Progress, ReportProgress

OUTPUTS = ("report.md", "answer.json", "report.html")


def _written(url: str, out, progress: ReportProgress | None = None) -> dict[str, bytes]:
    """The report's files (not its cache) as ``write_report`` leaves them."""
    report.write_report(storage=url, family="inc", out_dir=str(out), progress=progress)
    return {f.name: f.read_bytes() for f in sorted(out.iterdir()) if f.is_file() and not f.name.startswith(".")}


def _counting(monkeypatch, module, name: str, calls: list) -> None:
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)


def test_a_rerun_analyses_only_the_study_with_new_trials_and_writes_the_same_report(tmp_path, monkeypatch):
    url, storage = sqlite_storage(tmp_path / "optuna.db")
    rms = make_study(storage, "inc", {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "rmsprop"},
                     grid(lr=LRS, gamma=GAMMAS), gamma_strong)
    make_seeds(storage, rms, [t.number for t in rms.trials if t.params["optimizer.lr"] == 1e-2], gamma_strong)
    sgd = make_study(storage, "inc", {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "sgd"},
                     grid(lr=LRS), lr_only)
    out = tmp_path / "report"
    first = _written(url, out)
    assert (out / ".cache" / ".gitignore").read_text() == "*\n"   # never in git

    # A trial that is running changes nothing the report reads; once complete, its study is new.
    before = caching.study_keys(load_family(url, "inc"), load_studies(url, "inc"))
    running = sgd.ask({"optimizer.lr": FloatDistribution(1e-4, 1.0, log=True)})
    assert caching.study_keys(load_family(url, "inc"), load_studies(url, "inc")) == before
    sgd.tell(running.number, 0.42)
    after = caching.study_keys(load_family(url, "inc"), load_studies(url, "inc"))
    assert {s for s in after if after[s] != before[s]} == {sgd.study_name}

    # a corrupt entry and a foreign one are computed again, never an error
    entries = sorted((out / ".cache").glob("*.pkl"))
    entries[0].write_bytes(b"\x80\x05 not a pickle")
    entries[1].write_bytes(pickle.dumps(["not", "an", "entry"]))

    calls: list[str] = []
    _counting(monkeypatch, family, "_variant", calls)
    _counting(monkeypatch, family, "importances", calls)
    for kind in report._FIGURES:
        monkeypatch.setitem(report._FIGURES, kind, _counted_figure(report._FIGURES[kind], kind, calls))
    _counting(monkeypatch, report, "optimizer_figure", calls)
    progress = ReportProgress()
    (out / "answer.json").write_bytes(first["answer.json"])
    warm = _written(url, out, progress)
    assert (progress.changed, progress.total) == (1, 3)
    # rmsprop and its seeds unchanged: no variant analysed or drawn again (unless its entry was
    # the corrupt one); sgd's importances and the family's optimizer figure are
    assert calls.count("importances") == 1 and calls.count("optimizer_figure") == 1
    assert calls.count("_variant") <= 1 and len([c for c in calls if c.startswith("figure:")]) <= 5

    monkeypatch.undo()
    for f in (out / ".cache").iterdir():
        f.unlink()
    (out / "answer.json").write_bytes(first["answer.json"])   # the same previous answer for both
    cold = _written(url, out)
    assert sorted(warm) == sorted(cold) and [n for n in cold if warm[n] != cold[n]] == []
    assert all(name in cold for name in OUTPUTS)


def _counted_figure(draw, kind, calls):
    def counted(*args, **kwargs):
        calls.append(f"figure:{kind}")
        return draw(*args, **kwargs)
    return counted


def test_cache_entries_hold_only_for_their_key_and_code(tmp_path):
    c = caching.Cache(tmp_path / "c", "v1+abc")
    assert c.get("x", "k") is None
    c.put("x", "k", {"png": b"\x89PNG"})
    assert c.get("x", "k") == {"png": b"\x89PNG"}
    assert c.get("x", "other key") is None
    assert caching.Cache(tmp_path / "c", "v2+abc").get("x", "k") is None   # another code version
    assert c.through("x", "k", lambda: pytest.fail("computed although stored")) == {"png": b"\x89PNG"}
    for entry in (tmp_path / "c").glob("*.pkl"):
        entry.write_bytes(entry.read_bytes()[:10])   # cut short, as by a full disk
    assert c.get("x", "k") is None
    assert c.through("x", "k", lambda: 7) == 7 and c.get("x", "k") == 7

    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    caching.Cache(blocked, "v1").put("x", "k", 1)   # cannot be written: costs time, not the report
    assert caching.code_key("v1") != caching.code_key("v2") and caching.code_key("v1") == caching.code_key("v1")


def test_report_progress_is_two_log_lines_and_the_steps_on_the_bar(caplog, capsys):
    caplog.set_level(logging.INFO, logger="sweeps.report")
    quiet = ReportProgress()
    quiet.start(5, 18)
    quiet.step("figures of mnist_mlp/mnist_5k/rmsprop")   # no bar (cron, CI): nothing printed
    quiet.done()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "Building the report: 5 of 18 studies re-analysed (13 unchanged) …"
    assert lines[1].startswith("Report built in ") and lines[1].endswith(": 5 of 18 studies re-analysed (13 unchanged).")
    assert len(lines) == 2 and capsys.readouterr().err == ""

    bar = Progress(enabled=True)
    try:
        ReportProgress().step("figures of mnist_mlp/mnist_5k/rmsprop")
        assert bar.bar.desc.startswith("report") and bar.bar.postfix == "figures of mnist_mlp/mnist_5k/rmsprop"
    finally:
        bar.close()
    assert len(caplog.records) == 2
