"""The tools the model calls: ``web_search`` and ``web_visit``.

What the model sees is exactly the text format it was trained on; what the app keeps
(titles, URLs, full text, markdown) travels beside it in ``ToolOutput.data``.
"""
