"""The sections per value of the compared factor: Sensitivity to γ (with the confirmation
verdicts), lr × γ, Divergence and speed. γ is the family's factor (``FamilyAnalysis.label``: β1
for a β1 study), each table's rows the values of its variant's factor (``Variant.column``)."""

from __future__ import annotations

from ..confirmation import test_metric
from ..family import FamilyAnalysis
from ..summary import finite, fmt, interval, power_clause, protocol_words
from ..figures._names import variant_file
from ..points import GAMMA_EDGES
from ..speed import TARGET_QUANTILE
from ._markdown import image, join, min_max, missing, num, pm, table
from ._presets import GAMMA

_NONE = "no study of this family sweeps γ"


def sensitivity_section(a: FamilyAnalysis) -> str:
    x = a.label
    out = [f"## Sensitivity to {x}\n",
           f"At each {x} point: the best final metric over all trials there, i.e. with lr (and ε) "
           f"re-tuned for that {x}, and the best over only the trials at one fixed lr (the lr of the "
           "study's best trial; ±0.25 decade when lr was sampled continuously). Flat when re-tuned "
           f"but steep at fixed lr means {x} moves the best lr rather than mattering by itself. {x} "
           "points are the grid values, or bins with edges "
           f"{', '.join(f'{e:g}' for e in GAMMA_EDGES)} for continuously sampled {x}. The band "
           f"is over seed re-runs of the best re-run configuration at that {x}: mean ± standard "
           "deviation, with min–max as vertical lines.\n"]
    if not a.variants:
        return join(*out, missing(_NONE, GAMMA))
    if not a.has_seeds:
        out.append("_No seed re-runs in this family: no bands; each point is a single run._\n")
    for r in a.variants:
        out += [f"### {r.variant.name}", confirmation_table(r),
                image(variant_file("paired", r.variant.name), "paired differences")
                if not r.confirmation.empty else "",
                image(variant_file("sensitivity", r.variant.name), "sensitivity"),
                table(r.curve, {
                    r.variant.label: "span", "trials": "n", "best (lr re-tuned)": "best",
                    "its lr": lambda x: num(x["best_lr"], ".3g"), "trial": "best_trial",
                    "best run's outcome": "best_outcome", "best at fixed lr": "fixed_best",
                    "seeds mean ± std": lambda x: pm(x["seed_mean"], x["seed_std"], x["seed_n"]),
                    "seeds min–max": min_max,
                })]
    return join(*out)


def confirmation_table(r) -> str:
    """The verdicts' table: per γ the confirmation runs and the paired test against the reference."""
    p, t = r.protocol, r.confirmation
    metric = test_metric(r.variant.metric)
    x = p["label"]
    intro = (f"Confirmation ({metric}, paired seeds; reference {x} = {p['reference']:g}; difference = "
             f"{x} − reference among the seeds where both runs trained; {protocol_words(t, p)}; failures "
             "compared apart by McNemar's exact test, Holm):\n")
    if r.variant.deterministic:
        return "Confirmation: not applicable (deterministic: every seed gives the same run).\n"
    if t.empty:
        return "Confirmation: none (no seed re-runs scored on the test split), so no verdict.\n"
    means = r.confirm_means.set_index("config")
    rows = [x | {"mean": means["mean"].get(x["config"]), "std": means["std"].get(x["config"]),
                 "lr": means["lr"].get(x["config"])} for x in t.to_dict("records")]
    ref = p["reference"]
    if ref in means.index:
        rows.append({"config": ref, "n": means.loc[ref, "n"], "mean": means.loc[ref, "mean"],
                     "std": means.loc[ref, "std"], "lr": means.loc[ref, "lr"], "verdict": "reference"})
    rows.sort(key=lambda x: x["config"])
    return intro + "\n" + table(rows, {
        p["label"]: lambda x: f"{x['config']:g}", "runs": "n", "its lr": lambda x: num(x.get("lr"), ".3g"),
        f"mean {metric}": lambda x: num(x.get("mean")), "std": lambda x: num(x.get("std"), ".2g"),
        "difference": lambda x: _cell(x.get("mean_diff"), True),
        "simultaneous interval": lambda x: interval(x.get("ci_low"), x.get("ci_high")) or "–",
        "p (adj.)": lambda x: num(x.get("p_diff_adj"), ".2g"),
        "TOST p (adj.)": lambda x: num(x.get("p_equiv_adj"), ".2g"),
        "MDE": lambda x: num(x.get("mde"), ".3g"),
        "failed (ref.)": lambda x: (f"{int(x['failed'])} ({int(x['ref_failed'])}) of {int(x['n_seeds'])}"
                                    if finite(x.get("failed")) else "–"),
        "failure p (Holm)": lambda x: num(x.get("p_fail_holm"), ".2g"),
        "verdict": "verdict",
    }) + (f"\n{power_clause(t, p)}\n" if power_clause(t, p) else "")


def _cell(x, signed: bool = False) -> str:
    return fmt(x, signed) if finite(x) else "–"


def lr_gamma_section(a: FamilyAnalysis) -> str:
    out = [f"## lr × {a.label}\n",
           "Colour: the best final metric of the cell (over ε and anything else swept); × marks a "
           "cell where every run diverged, k/n one where some did; grey cells have no complete run. "
           "lr rows are the grid values or half-decade bins.\n"]
    if not a.variants:
        return join(*out, missing(_NONE, GAMMA))
    for r in a.variants:
        m = r.lr_gamma
        out += [f"\n### {r.variant.name}\n", image(variant_file("heatmap", r.variant.name), f"lr x {r.variant.column}"),
                f"{len(m)} cells; {int(m['all_diverged'].sum())} with every run diverged, "
                f"{int(((m['n_diverged'] > 0) & ~m['all_diverged']).sum())} with some.\n"]
    return join(*out)


def divergence_speed_section(a: FamilyAnalysis) -> str:
    x = a.label
    out = ["## Divergence and speed\n",
           f"Divergence rate: the fraction of COMPLETE runs at each {x} point (all lr) that diverged "
           "(loss above divergence_factor × its step-0 value, or not finite); pruned runs are not "
           f"counted. Steps to target: the target is the {TARGET_QUANTILE:.0%} quantile of the "
           "final metric of the variant's non-diverged runs (75 % for a maximised metric); the "
           f"value is the first evaluation step at which the fastest non-diverged run at that {x} "
           "reached it (resolution: eval_every steps).\n"]
    if not a.variants:
        return join(*out, missing(_NONE, GAMMA))
    for r in a.variants:
        col = r.variant.column
        s = r.speed.set_index(col)
        rows = [d | {"steps": s["steps"].get(d[col]), "reached": s["n_reached"].get(d[col])}
                for d in r.divergence.to_dict("records")]
        out += [f"\n### {r.variant.name}\n",
                image(variant_file("divergence", r.variant.name), "divergence rate"),
                image(variant_file("speed", r.variant.name), "steps to target"),
                f"Target: {r.variant.metric} {'≤' if r.variant.direction == 'minimize' else '≥'} "
                f"{num(r.target)} ("
                + ("declared before the runs, hydra.sweeper.protocol.target" if r.protocol.get("target")
                   is not None else "not declared: the best quarter's final value, chosen after the runs")
                + ").",
                table(rows, {r.variant.label: "span", "runs": "n", "diverged": "n_diverged", "collapsed": "n_collapsed",
                             "rate": lambda x: f"{x['rate']:.0%}", "steps to target": "steps",
                             "runs reaching it": "reached"})]
    return join(*out)
