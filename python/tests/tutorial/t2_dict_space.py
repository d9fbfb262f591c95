# The hyperopt tutorial, example 2: a dict space. Unchanged but for the
# import (the test replaces "from hyperopt" with "from parzen").
from hyperopt import fmin, tpe, hp

def f(space):
    x = space['x']
    y = space['y']
    return x ** 2 + y ** 2

space = {
    'x': hp.uniform('x', -10, 10),
    'y': hp.uniform('y', -10, 10),
}

best = fmin(fn=f, space=space, algo=tpe.suggest, max_evals=200)
print(best)

import json  # noqa: E402  (for the test, not the tutorial)
print("RESULT " + json.dumps(best))
