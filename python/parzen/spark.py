"""hyperopt.spark (SparkTrials) has no counterpart in parzen; importing it
says what to use instead."""
from ._unsupported import SPARK, Unsupported

raise Unsupported(SPARK)
