"""The checker: holds numeric code against the taps and names what a wrong implementation computes.

:func:`~symconv.checker.check.check` and :func:`~symconv.checker.gradcheck.check_gradients` run the
code under test (:mod:`~symconv.checker.adapters`, :mod:`~symconv.checker.runner`) on exact probes
(:mod:`~symconv.checker.probes`) and, on a mismatch, search the known ways of getting a layer wrong
(:mod:`~symconv.checker.variants`) for the one it computes (:mod:`~symconv.checker.diagnosis`).
"""
