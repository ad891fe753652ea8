"""The local model engine.

Only this package imports mlx, and only in the modules that need it (``worker``,
``model_files.load_model``, ``kv_store``, ``tiny_model``, ``bench``): the stream
splitter and the memory estimator are plain Python and safe to import anywhere.
"""
