"""The reports layer: result objects turned into files (Markdown, CSV tables, figures).

Nothing here simulates or fits: each writer takes what an algorithm of the layers below returned
and writes it, through the output-folder policy of :mod:`sim.results.store`.
"""
