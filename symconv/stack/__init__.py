"""Stacks: :class:`~symconv.stack.sequential.Sequential`, layers composed, with their gradients."""
