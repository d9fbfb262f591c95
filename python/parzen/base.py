"""hyperopt's constants: trial statuses and job states.

A result's `status` is one of the STATUS_* strings; a trial document's
`state` is one of the JOB_STATE_* numbers. parzen's trial states map onto
them as queued -> JOB_STATE_NEW, running -> JOB_STATE_RUNNING, ok and fail
-> JOB_STATE_DONE, and a trial whose objective raised -> JOB_STATE_ERROR.
"""

STATUS_NEW = "new"
STATUS_RUNNING = "running"
STATUS_SUSPENDED = "suspended"
STATUS_OK = "ok"
STATUS_FAIL = "fail"
STATUS_STRINGS = ("new", "running", "suspended", "ok", "fail")

JOB_STATE_NEW = 0
JOB_STATE_RUNNING = 1
JOB_STATE_DONE = 2
JOB_STATE_ERROR = 3
JOB_STATE_CANCEL = 4
JOB_STATES = [JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATE_DONE,
              JOB_STATE_ERROR, JOB_STATE_CANCEL]
JOB_VALID_STATES = {JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATE_DONE}
