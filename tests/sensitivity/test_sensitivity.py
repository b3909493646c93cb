"""``kaohe sensitivity`` end to end, with hand-computed and published expectations."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import beta
from tests.support.sensitivity import RATE_SCHEME, assess_case, run_cli

from kaohe.scoring.rank import competition_rank, competition_ranks
from kaohe.sensitivity import Settings, analyse, parse_weights
from kaohe.sensitivity.reload import reload_run

# A wider score table (full marks below 5 %) so that between 2 % and 5 % only the veto (a flag
# over the estimated rate) takes the grade down: the analysis must re-evaluate it per draw.
VETO_SCHEME = RATE_SCHEME.replace(
    "[[null, 0.02, 1.0], [0.02, null, 0.0]]", "[[null, 0.05, 1.0], [0.05, null, 0.0]]"
)

PROVINCES = [
    # code, name, output, quality, wrong, checked
    ("110000", "北京市", 100.0, 100.0, 1, 100),
    ("120000", "天津市", 70.0, 60.0, 0, 80),
    ("130000", "河北省", 40.0, 30.0, 5, 50),
]


def read_units(run: Path) -> dict[str, dict[str, str]]:
    with (run / "sensitivity" / "units.csv").open(encoding="utf-8") as handle:
        return {row["unit"]: row for row in csv.DictReader(handle)}


def test_a_veto_on_a_sampled_rate_follows_the_jeffreys_posterior(tmp_path):
    """1 wrong exit in 100 checks: the grade 好 holds only while the true rate stays below 2 %."""
    run = assess_case(tmp_path, PROVINCES, VETO_SCHEME)
    code, output = run_cli(
        "sensitivity", str(run), "--draws", "6000", "--seed", "7", "--weights", "none"
    )
    assert code == 0, output
    units = read_units(run)
    beijing = units["110000"]
    assert beijing["grade"] == "好"
    expected = beta.cdf(0.02, 1 + 0.5, 100 - 1 + 0.5)  # 0.742; without the veto it would be 0.983
    assert float(beijing["p_好"]) == pytest.approx(expected, abs=0.03)
    assert float(beijing["p_一般"]) == pytest.approx(1 - expected, abs=0.03)
    assert beijing["unstable"] == "true"  # below the default threshold 0.8
    # Hebei: 5 of 50 wrong, far above 2 % — its grade cannot move
    assert float(units["130000"]["nominal_grade_probability"]) == 1.0
    payload = json.loads((run / "sensitivity" / "sensitivity.json").read_text(encoding="utf-8"))
    (sampling,) = payload["sampling"]
    assert sampling == {
        "indicator": "wrong_rate",
        "source": "binomial",
        "detail": "wrong / checked",
        "units_drawn": 3,
        "units_fixed": 0,
    }
    assert payload["unstable"] == ["110000"]
    assert [i["id"] for i in payload["inputs"]] == ["sampling:wrong_rate"]


def test_weights_alone_flip_a_pair_with_the_hand_computed_probability(tmp_path):
    """X leads on output, Y on quality; X ranks first iff 0.625·u1 > 0.375·u2, u ~ U(0.5, 1.5).

    P(u1 <= 0.6·u2) = ∫ from 5/6 to 3/2 of (0.6·u − 0.5) du = 2/15, so P(X first) = 13/15.
    """
    scheme = RATE_SCHEME.replace(
        "method: bands\n  bands: [[85, 好], [60, 一般], [null, 差]]",
        "method: top_n\n  bands: [[1, 好], [2, 一般], [null, 差]]",
    )
    pair = [("110000", "X", 90.0, 50.0, 0, 100), ("120000", "Y", 50.0, 90.0, 0, 100)]
    run = assess_case(tmp_path, pair, scheme)
    code, output = run_cli(
        "sensitivity", str(run), "--draws", "8000", "--weights", "uniform:0.5", "--sampling", "none"
    )
    assert code == 0, output
    units = read_units(run)
    assert float(units["110000"]["p_好"]) == pytest.approx(13 / 15, abs=0.025)
    assert float(units["120000"]["p_好"]) == pytest.approx(2 / 15, abs=0.025)
    assert units["110000"]["rank_p05"] == "1" and units["110000"]["rank_p95"] == "2"
    assert units["110000"]["main_driver"] == "weights:results"
    indices = {
        row["input"]: row
        for row in csv.DictReader((run / "sensitivity" / "indices.csv").open(encoding="utf-8"))
    }
    # the root's weights cannot change the order of two units with equal accuracy scores
    assert float(indices["weights:total"]["total"]) == pytest.approx(0.0, abs=1e-9)
    assert float(indices["weights:results"]["total"]) == pytest.approx(1.0, abs=0.05)


def test_same_seed_same_results_other_seed_other_draws(tmp_path):
    run = assess_case(tmp_path, PROVINCES)
    args = ["sensitivity", str(run), "--draws", "300", "--seed", "11"]
    assert run_cli(*args)[0] == 0
    first = (run / "sensitivity" / "sensitivity.json").read_bytes()
    first_csv = (run / "sensitivity" / "units.csv").read_bytes()
    assert run_cli(*args)[0] == 0
    assert (run / "sensitivity" / "sensitivity.json").read_bytes() == first
    assert (run / "sensitivity" / "units.csv").read_bytes() == first_csv
    assert run_cli(*args[:-1], "12")[0] == 0
    assert (run / "sensitivity" / "sensitivity.json").read_bytes() != first


def test_outputs_and_their_manifest(tmp_path):
    run = assess_case(tmp_path, PROVINCES)
    code, output = run_cli("sensitivity", str(run), "--draws", "200", "--threshold", "0.95")
    assert code == 0, output
    folder = run / "sensitivity"
    assert sorted(p.name for p in folder.iterdir()) == [
        "indices.csv",
        "manifest.json",
        "sensitivity.json",
        "units.csv",
    ]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["outputs"]) == {"indices.csv", "sensitivity.json", "units.csv"}
    assert manifest["settings"]["threshold"] == 0.95
    assert manifest["settings"]["seed"] == 0  # the run's recorded seed
    assert manifest["settings"]["rows_evaluated"] >= 200
    for row in read_units(run).values():
        total = sum(float(row[f"p_{g}"]) for g in ("好", "一般", "差"))
        assert total == pytest.approx(1.0)
        assert int(row["rank_p05"]) <= int(row["median_rank"]) <= int(row["rank_p95"])
    assert "Which uncertain inputs move ranks most" in output


def test_the_hdi_is_reproduced_before_drawing(tmp_path):
    """Geometric aggregation of log goalposts: the nominal draw must give back all 191 values."""
    example = Path(__file__).parents[2] / "examples" / "hdi"
    out = tmp_path / "hdi"
    code, output = run_cli(
        "assess",
        "--scheme",
        str(example / "scheme.yaml"),
        "--data",
        str(example / "data"),
        "--period",
        "2021",
        "--out",
        str(out),
    )
    assert code == 0, output
    code, output = run_cli(
        "sensitivity", str(out), "--draws", "400", "--methods", "aggregate:arithmetic"
    )
    assert code == 0, output
    payload = json.loads((out / "sensitivity" / "sensitivity.json").read_text(encoding="utf-8"))
    assert len(payload["units"]) == 191
    norway = payload["units"]["NOR"]
    assert norway["grade"] == "极高" and norway["probabilities"]["极高"] == 1.0


@pytest.mark.parametrize(
    ("grading", "attributes"),
    [
        ("method: peer_sd\n  peer_group: peer\n  bands: [[1, 好], [0, 一般], [null, 差]]", True),
        (
            "method: quantiles\n  peer_group: peer\n  bands: [[0.5, 好], [0.8, 一般], [null, 差]]",
            True,
        ),
        ("method: bands\n  bands: [[85, 好], [60, 一般], [null, 差]]", False),
    ],
)
def test_every_grading_method_reproduces_the_run(tmp_path, grading, attributes):
    """The batched grader must give back the run's grades (checked inside every analysis)."""
    scheme = RATE_SCHEME.replace(
        "method: bands\n  bands: [[85, 好], [60, 一般], [null, 差]]", grading
    )
    if attributes:
        scheme = scheme.replace("sources:", "unit_attributes:\n  peer: {type: text}\nsources:", 1)
    provinces = [
        (f"{11 + i}0000", f"P{i}", 30.0 + 7 * i, 90.0 - 5 * i, i % 3, 60) for i in range(12)
    ]
    root = tmp_path
    from tests.support.sensitivity import write_csv, write_rate_case

    scheme_path, data = write_rate_case(root, provinces, scheme)
    if attributes:
        units = [("000000", "全国", "", "nation", "region", "")]
        units += [
            (code, name, "000000", "province", "region", "东部" if i % 2 else "西部")
            for i, (code, name, *_) in enumerate(provinces)
        ]
        write_csv(data / "units.csv", ["unit", "name", "parent", "level", "kind", "peer"], units)
    out = root / "run"
    assert (
        run_cli("assess", "--scheme", str(scheme_path), "--data", str(data), "--out", str(out))[0]
        == 0
    )
    state = reload_run(out).result.state
    design, simulation, *_ = analyse(state, Settings(draws=200, seed=3))
    assert simulation.ranks.shape == (design.rows, 12)
    assert set(np.unique(simulation.grades)) <= {0, 1, 2}


def test_batched_ranks_equal_the_rank_step():
    rng = np.random.default_rng(5)
    scores = np.round(rng.uniform(60, 100, size=(50, 40)), 1)  # many ties
    scores[3, 7] = np.nan
    batched = competition_ranks(scores)
    for row, ranks in zip(scores, batched, strict=True):
        expected = np.nan_to_num(competition_rank(row), nan=0)  # 0: no score, no rank
        assert ranks.tolist() == expected.astype(int).tolist()


# --------------------------------------------------------------------------- errors


def test_not_a_run_directory(tmp_path):
    code, output = run_cli("sensitivity", str(tmp_path))
    assert code == 2
    assert "manifest.json is missing" in output


def test_data_changed_after_the_run(tmp_path):
    run = assess_case(tmp_path, PROVINCES)
    with (tmp_path / "data" / "figures.csv").open("a", encoding="utf-8") as handle:
        handle.write("140000,1,1\n")
    code, output = run_cli("sensitivity", str(run), "--draws", "100")
    assert code == 2
    assert "figures.csv" in output and "changed after the run" in output
    assert not (run / "sensitivity").exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--weights", "triangle:3"], "--weights takes uniform:X"),
        (["--methods", "normalize:zscore"], "--methods does not know 'normalize:zscore'"),
        (["--sampling", "bootstrap"], "--sampling takes one of"),
        (["--draws", "1"], "--draws must be at least 2"),
        (["--weights", "none", "--sampling", "none"], "nothing to vary"),
    ],
)
def test_bad_options_exit_2_with_a_message(tmp_path, option, message):
    run = assess_case(tmp_path, PROVINCES)
    code, output = run_cli("sensitivity", str(run), *option)
    assert code == 2, output
    assert message in " ".join(output.split())


def test_a_failed_analysis_keeps_the_previous_results(tmp_path):
    run = assess_case(tmp_path, PROVINCES)
    assert run_cli("sensitivity", str(run), "--draws", "100")[0] == 0
    before = (run / "sensitivity" / "units.csv").read_bytes()
    bad = tmp_path / "estimates.csv"
    bad.write_text("unit,indicator,low,high\n110000,quality_index,0.1,0.2\n", encoding="utf-8")
    code, output = run_cli("sensitivity", str(run), "--estimates", str(bad))
    assert code == 2
    assert f"{bad}:2: indicator quality_index is not an estimated indicator" in " ".join(
        output.split()
    )
    assert (run / "sensitivity" / "units.csv").read_bytes() == before


def test_messages_in_chinese_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("KAOHE_LANG", "zh")
    code, output = run_cli("sensitivity", str(tmp_path / "nowhere"))
    assert code == 2
    assert "不是考核结果目录" in output


def test_weights_parse():
    assert parse_weights("dirichlet:40").kind == "dirichlet"
    assert parse_weights("uniform").amount == 0.2
    assert not parse_weights("none").active


def test_moving_the_run_directory_still_finds_its_inputs(tmp_path):
    """The manifest records absolute inputs; a run directory can be copied elsewhere."""
    run = assess_case(tmp_path, PROVINCES)
    moved = tmp_path / "elsewhere" / "run"
    moved.parent.mkdir()
    shutil.copytree(run, moved)
    assert run_cli("sensitivity", str(moved), "--draws", "100")[0] == 0


def test_a_unit_without_data_has_no_rank_and_no_grade(tmp_path):
    from tests.support.sensitivity import write_csv, write_rate_case

    provinces = [*PROVINCES, ("140000", "山西省", 0.0, 0.0, 0, 0)]
    scheme, data = write_rate_case(tmp_path, provinces)
    # Shanxi sent no figures and was not checked: nothing to score
    write_csv(
        data / "figures.csv", ["unit", "output", "quality"], [p[:1] + p[2:4] for p in PROVINCES]
    )
    out = tmp_path / "run"
    code, output = run_cli(
        "assess", "--scheme", str(scheme), "--data", str(data), "--out", str(out)
    )
    assert code == 0, output
    code, output = run_cli("sensitivity", str(out), "--draws", "200")
    assert code == 0, output
    shanxi = read_units(out)["140000"]
    assert shanxi["score"] == "" and shanxi["grade"] == ""
    assert shanxi["unstable"] == "false"
    assert float(shanxi["nominal_grade_probability"]) == 1.0  # never graded in any draw


def test_too_many_draws_for_memory_is_refused_before_drawing(tmp_path):
    run = assess_case(tmp_path, PROVINCES)
    code, output = run_cli("sensitivity", str(run), "--draws", "200000000")
    assert code == 2
    assert "GiB of memory; use --draws" in " ".join(output.split())
