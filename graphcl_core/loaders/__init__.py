"""Graph loading for GraphCL Studio: bundled samples, Planetoid datasets and uploaded files.

Everything returns a ``GraphBundle`` that satisfies one contract (undirected, no self-loops, no
duplicates, float32 features), and everything a user can get wrong raises ``GraphLoadError``
(or ``GraphTooLargeError``) with a message meant for a person, never a traceback.
"""

from .api import UploadColumns, load_graph, load_upload, upload_columns
from .bundled import BundledGraph, list_bundled
from .limits import SizeLimits
from .node_table import node_table_columns, node_table_feature_columns, node_table_label_column
from .planetoid import PLANETOID_NAMES, load_planetoid

__all__ = ["load_graph", "load_upload", "load_planetoid", "list_bundled", "BundledGraph", "PLANETOID_NAMES",
           "SizeLimits", "node_table_columns", "node_table_feature_columns", "node_table_label_column",
           "upload_columns", "UploadColumns"]
