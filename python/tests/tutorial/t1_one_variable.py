# The hyperopt tutorial, example 1: one variable. Unchanged but for the
# import (the test replaces "from hyperopt" with "from parzen").
from hyperopt import fmin, tpe, hp

best = fmin(
    fn=lambda x: x ** 2 - x + 1,
    space=hp.uniform('x', -2, 2),
    algo=tpe.suggest,
    max_evals=100)
print(best)

import json  # noqa: E402  (for the test, not the tutorial)
print("RESULT " + json.dumps(best))
