"""Views: SymPy objects built from the taps, lazily and linearly.

:class:`~symconv.views.expansion.Expansion` pairs a layer with an input length; the equations,
the weight-tied matrix, connectivity queries and numeric evaluation are derived from its taps
(:mod:`~symconv.views.build`), entry by entry on request (:mod:`~symconv.views.lazy`).
"""
