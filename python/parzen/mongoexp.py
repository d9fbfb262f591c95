"""hyperopt.mongoexp (MongoTrials, hyperopt-mongo-worker) has no
counterpart in parzen; importing it says what to use instead."""
from ._unsupported import MONGO, Unsupported

raise Unsupported(MONGO)
