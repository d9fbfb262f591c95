-- parzen schema, version 3.
--
-- A pruner's decision to stop a trial is final, so it is kept with the
-- trial: prune_step is the step the trial was judged at when the pruner
-- said "prune" (NULL: no such decision). After a restart the decision
-- stands, whatever the history has become since; and a trial that was
-- told to stop takes no later step. A trial handed out again starts a new
-- run: its reports and its decision are cleared with the hand-out.
ALTER TABLE trial ADD COLUMN prune_step INTEGER CHECK (prune_step >= 0);
