"""hyperopt's exception classes, raised where hyperopt raises them."""


class BadSearchSpace(Exception):
    """Something is wrong in the description of the search space."""


class DuplicateLabel(BadSearchSpace):
    """The same label is used for two different hyperparameters."""


class InvalidTrial(ValueError):
    """A trial document is not valid."""

    def __init__(self, msg, obj):
        super().__init__(msg + " " + str(obj))
        self.obj = obj


class InvalidResultStatus(ValueError):
    """The objective returned a status that is not in STATUS_STRINGS."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class InvalidLoss(ValueError):
    """The objective said 'ok' without a loss that is a number."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class AllTrialsFailed(Exception):
    """No trial finished with status 'ok', so there is no best one."""


class InvalidAnnotatedParameter(ValueError):
    """Kept for scripts that catch it; parzen never raises it."""
