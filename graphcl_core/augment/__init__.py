"""Where positive and negative pairs come from: graph edges, shared labels, or two augmented views."""

from .negatives import sample_negatives
from .pairs import PAIR_EXPLANATIONS, PairSet, generate_pairs
from .views import drop_edge_mask, drop_edges, mask_features, undirected_pair_ids

__all__ = ["generate_pairs", "PairSet", "PAIR_EXPLANATIONS", "sample_negatives", "drop_edge_mask", "undirected_pair_ids",
           "drop_edges", "mask_features"]
