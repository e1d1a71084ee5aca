"""Contrastive objectives. Each module holds one loss with its formula in the docstring."""

from .hadsell import hadsell_contrastive_loss
from .infonce import infonce_loss
from .margin import margin_contrastive_loss
from .triplet import triplet_margin_loss

__all__ = ["margin_contrastive_loss", "hadsell_contrastive_loss", "infonce_loss", "triplet_margin_loss"]
