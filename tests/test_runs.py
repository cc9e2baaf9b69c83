"""TREC runs: 6 columns, tie order, atomic writes, round trip through ir-measures."""

import ir_measures
import pytest

from xqg_bench.evaluate.runs import read_trec_run, write_trec_run

RANKINGS = {
    "q2": [("d3", 0.5), ("d1", 0.5), ("d2", 0.9)],
    "q1": [("b", 1.0000001), ("a", 1.0000004)],  # equal after rounding to 6 decimals -> docid order
}


def test_six_columns_sorted_with_ties_by_docid(tmp_path):
    path = tmp_path / "run.trec"
    write_trec_run(str(path), RANKINGS, tag="sys-A")
    lines = path.read_text().splitlines()
    assert lines == [
        "q1 Q0 a 1 1.000000 sys-A",
        "q1 Q0 b 2 1.000000 sys-A",
        "q2 Q0 d2 1 0.900000 sys-A",
        "q2 Q0 d1 2 0.500000 sys-A",
        "q2 Q0 d3 3 0.500000 sys-A",
    ]
    assert all(len(line.split()) == 6 for line in lines)


def test_round_trip_through_ir_measures(tmp_path):
    path = tmp_path / "run.trec"
    write_trec_run(str(path), RANKINGS, tag="sys-A")
    docs = list(ir_measures.read_trec_run(str(path)))
    assert {(d.query_id, d.doc_id) for d in docs} == {(q, d) for q, r in RANKINGS.items() for d, _ in r}
    back = read_trec_run(str(path))
    assert [d for d, _ in back["q2"]] == ["d2", "d1", "d3"]
    qrels = [ir_measures.Qrel("q2", "d1", 1), ir_measures.Qrel("q1", "b", 1)]
    agg = ir_measures.calc_aggregate([ir_measures.RR], qrels, ir_measures.read_trec_run(str(path)))
    # trec_eval (behind ir-measures) breaks score ties by docid *descending*: q1 -> b first (RR 1),
    # q2 -> d3 before d1 (RR 1/3).  Documented in the README.
    assert agg[ir_measures.RR] == pytest.approx((1 + 1 / 3) / 2)


def test_harness_scoring_uses_the_run_files_rank_order(tmp_path):
    from xqg_bench.evaluate.measures import QueryInfo, score_rankings

    path = tmp_path / "run.trec"
    write_trec_run(str(path), RANKINGS, tag="sys-A")
    queries = [QueryInfo("q1", "fi", ("x",)), QueryInfo("q2", "fi", ("x",))]
    qrels = [ir_measures.Qrel("q2", "d1", 1), ir_measures.Qrel("q1", "b", 1)]
    df, _ = score_rankings(read_trec_run(str(path)), queries, qrels, lambda ids: ["t"] * len(ids), ["RR", "R@10t"])
    rr = df[df.measure == "RR"].set_index("query_id")["value"]
    assert rr.to_dict() == {"q1": 0.5, "q2": 0.5}  # (-score, docid ascending), as the rank column says


def test_bad_tag_or_qid_leaves_no_file(tmp_path):
    path = tmp_path / "run.trec"
    with pytest.raises(ValueError, match="tag"):
        write_trec_run(str(path), RANKINGS, tag="has space")
    with pytest.raises(ValueError, match="query id"):
        write_trec_run(str(path), {"bad id": [("d", 1.0)]}, tag="t")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "text, msg, line",
    [
        ("q1 Q0 d1 1 0.5\n", "expected 6 columns", 2),
        ("q1 Q0 d1 one 0.5 t\n", "rank must be an integer", 2),
        ("q1 Q0 d1 1 nan t\n", "not finite", 2),
        ("q1 Q0 d1 1 0.5 t\nq1 Q0 d1 2 0.4 t\n", "appears twice", 3),
    ],
)
def test_bad_run_lines_name_file_and_line(tmp_path, text, msg, line):
    path = tmp_path / "bad.trec"
    path.write_text("q0 Q0 d0 1 1.0 t\n" + text)
    with pytest.raises(ValueError, match=msg) as e:
        read_trec_run(str(path))
    assert f"{path}, line {line}" in str(e.value)


def test_write_returns_what_reading_the_file_gives(tmp_path):
    """The pipeline scores the rankings write_trec_run returns: they must be the file's rankings."""
    import random

    rng = random.Random(3)
    rankings = {
        f"q{i}": [
            (f"d{j}", rng.choice([0.5, -0.0, 1 / 3, 2.0000004999, 2.0000005001, rng.uniform(-5, 5)])) for j in range(30)
        ]
        for i in range(20)
    }
    path = str(tmp_path / "r.trec")
    written = write_trec_run(path, rankings, tag="t")
    assert written == read_trec_run(path)
    assert list(written) == sorted(rankings)
