"""What a Python text of a process does with variables, read without running it: the names an
expression reads (DMN inputs, conditions), the names a script binds at its top level, and the names it
counts up or down by itself (engine.dmn_inputs, engine.design_loops). A text that does not parse has
no names here: it is refused on its own (bundle.check_expression, the DMN cell checks)."""
from __future__ import annotations

import ast

_SCOPES = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def free_names(text: str) -> set[str]:
    """The variables a Python expression reads: names loaded, less those its comprehensions, lambdas
    and ``:=`` bind. Empty for a text that does not parse (reported as a cell problem on its own)."""
    tree = _parse(text.strip(), "eval")
    if tree is None:
        return set()
    walrus = {n.target.id for n in ast.walk(tree) if isinstance(n, ast.NamedExpr)}
    return _free(tree, frozenset()) - walrus


def _free(node: ast.AST, bound: frozenset[str]) -> set[str]:
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) and node.id not in bound else set()
    if isinstance(node, ast.Lambda):
        args = node.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
        defaults = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        return set().union(*(_free(d, bound) for d in defaults)) | _free(node.body, bound | params)
    if isinstance(node, _COMPREHENSIONS):
        found: set[str] = set()
        inner = bound
        for gen in node.generators:  # each iterable sees the targets bound before it
            found |= _free(gen.iter, inner)
            inner = inner | {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
            for cond in gen.ifs:
                found |= _free(cond, inner)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        return found.union(*(_free(p, inner) for p in parts))
    return set().union(*(_free(child, bound) for child in ast.iter_child_nodes(node)))


def assigned_names(script: str) -> set[str]:
    """The names a script binds at its top level, which the sandbox keeps as task data (the names
    bound inside a comprehension, a lambda or a function body are not)."""
    tree = _parse(script, "exec")
    if tree is None:
        return set()
    names: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.NamedExpr):
            names.add(node.target.id)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # a callable is not task data; its body's names are its own
        todo.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _SCOPES))
    return names


def _parse(text: str, mode: str) -> ast.AST | None:
    try:
        return ast.parse(text, mode=mode)
    except (SyntaxError, ValueError):
        return None  # refused on its own (bundle.check_expression)


def counted_names(script: str) -> set[str]:
    """The variables a script steps up or down by itself: ``n = n + 1``, ``n = 1 + n``,
    ``n += 1``, ``n = n - 1``, ``n -= 1``."""
    tree = _parse(script, "exec")
    names: set[str] = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            if isinstance(node.target, ast.Name):
                names.add(node.target.id)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) \
                and isinstance(node.value.op, (ast.Add, ast.Sub)):
            operands = [node.value.left] + ([node.value.right] if isinstance(node.value.op, ast.Add) else [])
            for target in node.targets:
                if isinstance(target, ast.Name) and any(isinstance(o, ast.Name) and o.id == target.id
                                                        for o in operands):
                    names.add(target.id)
    return names
