"""The event-sourcing core that feature handlers and every tool build on."""

from workbench.core.codes import Code
from workbench.core.ids import ROOT
from workbench.core.rejection import Rejected
from workbench.core.transaction import Transaction

__all__ = ["Code", "ROOT", "Rejected", "Transaction"]
