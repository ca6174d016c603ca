"""Hydra's side of the sweeper: the Sweeper plugin (``sweeper``, an orchestrator of stages), the
search-space syntax (``search_space``), a preset's parts and studies (``parts``, ``plan``), job
configs copied instead of composed (``job_configs``), and config errors in one paragraph."""
