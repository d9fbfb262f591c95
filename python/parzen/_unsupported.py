"""Messages for the hyperopt features parzen leaves out on purpose, with
what to use instead."""

ATPE = (
    "parzen has no ATPE (hyperopt.atpe): use tpe.suggest, parzen's TPE, "
    "or anneal.suggest / mix.suggest")
MONGO = (
    "parzen has no MongoTrials (hyperopt.mongoexp): several processes "
    "share a search through a persistent study instead, "
    "Trials(study=NAME) in each of them (or `parzen worker STUDY -- CMD` "
    "for workers that are programs); see python/README.md")
SPARK = (
    "parzen has no SparkTrials (hyperopt.spark): run one process per core "
    "or GPU on a persistent study, Trials(study=NAME), or start "
    "`parzen worker STUDY -- CMD` on each node (for example as a Slurm "
    "job array); see python/README.md")


class Unsupported(ImportError):
    """A hyperopt feature parzen does not have; the message says what to
    use instead."""
