"""Proofs for every size: a small, sound engine for the finite sums of convolution, and its theorems.

Terms are SymPy expressions: sums over integer ranges (zero when empty), Iverson brackets,
sequences, ``floor`` and ``Mod`` (:mod:`~symconv.proofs.terms`). Rules are named lemmas whose
side conditions are integer facts proven for all values, by SymPy or z3
(:mod:`~symconv.proofs.rules`, :mod:`~symconv.proofs.facts`). A :class:`Theorem` holds a
statement, its hypotheses and its proof; :data:`theorems` names the library; :func:`prove`
proves a user's statement or refuses it with the reason and a counterexample. z3 is imported
only when a side condition needs it.

Examples:
    >>> from symconv.proofs import theorems
    >>> theorems["bounds"].verify()
    True
"""

from __future__ import annotations

from symconv.proofs.facts import ProofError
from symconv.proofs.proof import Theorem
from symconv.proofs.prove import prove
from symconv.proofs.theorems import theorems

__all__ = ["ProofError", "Theorem", "prove", "theorems"]
