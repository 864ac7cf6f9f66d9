"""Linkage scores shared by the benchmarks: pairwise precision/recall/F1 and exact-cluster F1 against truth."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pairs(sizes: pd.Series) -> float:
    c = sizes.to_numpy(dtype=np.float64)
    return float((c * (c - 1) / 2).sum())


def cluster_scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Pairwise scores over all pairs of records put in one cluster; cluster F1 over exact clusters."""
    both = pd.DataFrame({"t": pd.factorize(truth)[0], "p": pd.factorize(predicted)[0]})
    tp = _pairs(both.groupby(["t", "p"]).size())
    true_pairs, pred_pairs = _pairs(both.groupby("t").size()), _pairs(both.groupby("p").size())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # Exact clusters: a predicted cluster is right when it holds exactly one true person's records.
    signature_t = both.groupby("t")["p"].agg(["min", "max", "size"])
    signature_p = both.groupby("p")["t"].agg(["min", "max", "size"])
    exact_t = (signature_t["min"] == signature_t["max"]) & (
        signature_t["size"].to_numpy() == both.groupby("p").size().reindex(signature_t["min"]).to_numpy()
    )
    exact = float(exact_t.sum())
    cluster_precision, cluster_recall = exact / len(signature_p), exact / len(signature_t)
    cluster_f1 = 2 * cluster_precision * cluster_recall / (cluster_precision + cluster_recall)
    return {"precision": precision, "recall": recall, "f1": f1, "cluster_f1": cluster_f1}
