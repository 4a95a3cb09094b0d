"""YAML from files a repository controls: plain data only, with bounded aliases, depth and values.

`yaml.safe_load` never runs code, but it still expands aliases: a few hundred bytes of nested
aliases ("billion laughs") stand for billions of nodes, which anything walking or printing the
data (`str()`, JSON, a copy) would expand. A recursive alias builds a cyclic object that
recursion over it never leaves, and scalars such as `2001-13-01` or a 5,000-digit integer raise
ValueError instead of YAMLError. `load` rejects all of these with a `YAMLError`.
"""

from __future__ import annotations

from typing import Any

import yaml

# Nodes of the document once every alias is expanded: configs and front matter hold dozens.
MAX_NODES = 100_000
MAX_DEPTH = 100


class YamlLimitError(yaml.YAMLError):
    """The document is valid YAML but not acceptable as plain, bounded data."""


class BoundedSafeLoader(yaml.SafeLoader):
    """SafeLoader that checks the composed node graph before building any Python object."""

    def compose_document(self) -> yaml.Node | None:
        node: yaml.Node | None = super().compose_document()
        if node is not None:
            _check(node)
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check(root: yaml.Node) -> None:
    """Expanded size and depth of the node graph (a DAG once aliases are resolved), iteratively."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                raise YamlLimitError(
                    f"aliases expand to more than {MAX_NODES:,} values (a YAML bomb?)"
                )
            if depth[key] > MAX_DEPTH:
                raise YamlLimitError(f"values nested more than {MAX_DEPTH} deep")
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlLimitError("an alias refers to a value that contains it (recursive data)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


def load(text: str) -> Any:
    """The plain data of one YAML document; YAMLError for anything unsafe, unbounded or invalid."""
    try:
        return yaml.load(text, Loader=BoundedSafeLoader)
    except yaml.YAMLError:
        raise
    except RecursionError:
        raise YamlLimitError(f"values nested more than {MAX_DEPTH} deep") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # Scalars the resolver accepts but Python refuses: `2001-13-01`, `!!int x`, huge integers.
        raise YamlLimitError(f"a value cannot be read ({exc})") from None
