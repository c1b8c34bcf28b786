"""The ground floor: helpers every other folder uses, and that use nothing of symconv.

Argument validation with PyTorch-style messages (:mod:`~symconv.base.validate`), symbol naming
(:mod:`~symconv.base.symbols`), exact numbers (:mod:`~symconv.base.values`), the records a
verification returns (:mod:`~symconv.base.verification`) and optional extras
(:mod:`~symconv.base.extras`).
"""
