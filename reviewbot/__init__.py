"""reviewbot: enforce the checklists in agent documents with static rules over Python and SQL."""

__version__ = "0.1.0"
