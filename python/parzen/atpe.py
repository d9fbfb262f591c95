"""hyperopt.atpe has no counterpart in parzen; importing it says what to
use instead."""
from ._unsupported import ATPE, Unsupported

raise Unsupported(ATPE)
