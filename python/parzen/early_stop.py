"""hyperopt's early-stopping functions for fmin's `early_stop_fn`.

An early-stop function is called after every trial as
`fn(trials, *state)` and returns `(stop, state)`.
"""


def no_progress_loss(iteration_stop_count=20, percent_increase=0.0):
    """Stop when the best loss has not improved (by more than
    `percent_increase` percent) for `iteration_stop_count` trials."""

    def stop_fn(trials, best_loss=None, iteration_no_progress=0):
        docs = trials.trials
        new_loss = docs[-1]["result"].get("loss") if docs else None
        if best_loss is None:
            return False, [new_loss, iteration_no_progress + 1]
        threshold = best_loss - abs(best_loss * (percent_increase / 100.0))
        # As hyperopt: a trial without a loss (failed) starts over.
        if new_loss is None or new_loss < threshold:
            best_loss = new_loss
            iteration_no_progress = 0
        else:
            iteration_no_progress += 1
        return (iteration_no_progress >= iteration_stop_count,
                [best_loss, iteration_no_progress])

    return stop_fn


__all__ = ["no_progress_loss"]
