"""Connected components of a link graph, in numpy (hook and pointer-jump: no per-edge Python)."""

from __future__ import annotations

import numpy as np


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label of each of n nodes: the smallest node id in its component."""
    parent = np.arange(n, dtype=np.int64)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if len(left) == 0:
        return parent
    while True:
        root_l, root_r = parent[left], parent[right]
        if np.array_equal(root_l, root_r):
            return parent
        low = np.minimum(root_l, root_r)
        np.minimum.at(parent, root_l, low)
        np.minimum.at(parent, root_r, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
