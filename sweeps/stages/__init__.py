"""The stages a study goes through in one invocation: tuning (``tuning``), the lr_max bisection
(``lr_max``) and the confirmation runs on paired seeds (``confirmation``), each a sequence of
batches asked, launched and told by the trial loop (``trials``)."""
