"""Reading X-ARF's YAML safely: the safe loader only, with size, depth and alias bounds.

`yaml.safe_load` never runs code, but a small document whose anchors are referenced many
times ("billion laughs") expands to an enormous structure for whoever walks it. The
document is composed first (aliases stay shared nodes, so this is cheap), its expanded size
and depth are counted without expanding it, and it is constructed only within the bounds.
"""

from __future__ import annotations

from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Scalars whose safe constructors return the value at once (no merge keys, no `=` values).
_PLAIN_SCALARS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "timestamp")
)
_MAP = "tag:yaml.org,2002:map"


class YamlRejected(ValueError):
    """A YAML document refused, with the reason."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []


def _check_expansion(root: yaml.Node, *, max_nodes: int, max_depth: int) -> int:
    """The number of nodes the document expands to, refusing recursive aliases, nesting
    deeper than `max_depth` and expansions beyond `max_nodes`."""
    if isinstance(root, yaml.MappingNode) and all(
        type(key) is yaml.ScalarNode and type(value) is yaml.ScalarNode for key, value in root.value
    ):
        # A flat mapping of scalars (the usual report): one level, its size known at once.
        if root.value and max_depth < 1:
            raise YamlRejected(f"YAML nested deeper than {max_depth} levels")
        total = 1 + 2 * len(root.value)
        if total > max_nodes:
            raise YamlRejected(
                f"YAML expands to more than {max_nodes} nodes (aliases repeated too often)"
            )
        return total
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, finished = stack.pop()
        key = id(node)
        if finished:
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > max_nodes:
                raise YamlRejected(
                    f"YAML expands to more than {max_nodes} nodes (aliases repeated too often)"
                )
            sizes[key] = total
            on_path.discard(key)
            continue
        if key in sizes:
            continue
        if depth > max_depth:
            raise YamlRejected(f"YAML nested deeper than {max_depth} levels")
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) in on_path:
                raise YamlRejected("YAML has a recursive alias")
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))
    return sizes[id(root)]


def _construct(loader: Any, root: yaml.Node) -> Any:
    """The document's value, as `construct_document` gives it. A flat mapping of plain
    scalars (the usual report) is built straight from their constructors."""
    if (
        type(root) is yaml.MappingNode
        and root.tag == _MAP
        and all(
            type(key) is yaml.ScalarNode
            and type(value) is yaml.ScalarNode
            and key.tag in _PLAIN_SCALARS
            and value.tag in _PLAIN_SCALARS
            for key, value in root.value
        )
    ):
        build = loader.yaml_constructors
        return {
            build[key.tag](loader, key): build[value.tag](loader, value)
            for key, value in root.value
        }
    return loader.construct_document(root)


def load_bounded(text: str, *, max_bytes: int, max_nodes: int, max_depth: int) -> Any:
    """`yaml.safe_load(text)` within bounds; raises `YamlRejected` saying why not."""
    size = len(text.encode("utf-8", "replace"))
    if size > max_bytes:
        raise YamlRejected(f"YAML document is {size} bytes (limit {max_bytes})")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, max_nodes=max_nodes, max_depth=max_depth)
        return _construct(loader, node)
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise YamlRejected(f"not valid YAML: {problem}") from None
    except RecursionError:
        raise YamlRejected(f"YAML nested deeper than {max_depth} levels") from None
    finally:
        loader.dispose()
