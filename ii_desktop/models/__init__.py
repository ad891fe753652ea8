"""The model manager: the models on this machine, downloads from the hub, quantization
on the device, and what a model folder is.

Each module keeps huggingface_hub and mlx-lm inside the functions that need them, so
importing this package stays quick and pulls in neither.
"""
